package state

// Get returns a copy of the current record at address, without copying the
// whole state as State does: an apply looks up one record per action, and a
// full copy each time made a fleet-sized apply quadratic in the state's size.
func (h *Handle) Get(address string) (Resource, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.Get(address)
}

// OpenJournal is State().OpenJournal(address) without the full copy.
func (h *Handle) OpenJournal(address string) []JournalEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.OpenJournal(address)
}
