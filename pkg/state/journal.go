package state

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Journal operations. The set is open like resource types; these are the
// ones the executor writes.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
	OpRotate = "rotate"
)

// JournalEntry records a write call to Azure that has started. It is written
// before the call and removed in the same write that records the call's
// result, so an entry found on load means "this call may or may not have
// happened": the next plan must look in Azure before acting again.
type JournalEntry struct {
	// ID identifies the entry; BeginJournal assigns a UUID when empty.
	ID string `json:"id"`
	// Address of the resource the call acts on.
	Address string `json:"address"`
	// Type of that resource, e.g. TypePassword.
	Type string `json:"type"`
	// Tenant the call goes to.
	Tenant string `json:"tenant"`
	// Operation is what the call does: OpCreate, OpUpdate, OpDelete…
	Operation string `json:"operation"`
	// StartedAt is when the entry was begun; BeginJournal fills it when zero.
	StartedAt time.Time `json:"startedAt"`
	// Intent holds the non-secret facts needed to find the object again
	// (display name, deterministic role-assignment name, old keyId…).
	// Secret-looking keys are refused.
	Intent map[string]string `json:"intent,omitempty"`
}

func (e JournalEntry) clone() JournalEntry {
	e.Intent = maps.Clone(e.Intent)
	return e
}

// ErrNoJournalEntry is returned by EndJournal for an id that is not open.
var ErrNoJournalEntry = errors.New("no such journal entry")

// BeginJournal adds e to the journal and returns its id. Call it inside
// Handle.Update before the Azure write call, so the entry is on disk before
// the call can have any effect.
func (s *State) BeginJournal(e JournalEntry) (string, error) {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.StartedAt.IsZero() {
		e.StartedAt = time.Now().UTC()
	}
	if err := checkJournal(e); err != nil {
		return "", err
	}
	if s.journalIndex(e.ID) >= 0 {
		return "", fmt.Errorf("journal entry %s: duplicate id", e.ID)
	}
	s.Journal = append(s.Journal, e.clone())
	return e.ID, nil
}

// EndJournal removes the entry id. Call it in the same Handle.Update that
// records the call's result (Put or Remove), so there is never a moment when
// the result is lost and the entry is gone.
func (s *State) EndJournal(id string) error {
	i := s.journalIndex(id)
	if i < 0 {
		return fmt.Errorf("journal entry %s: %w", id, ErrNoJournalEntry)
	}
	s.Journal = slices.Delete(s.Journal, i, i+1)
	return nil
}

// OpenJournal returns copies of the journal entries for address (all
// entries when address is empty): the calls whose outcome is unknown.
func (s *State) OpenJournal(address string) []JournalEntry {
	var out []JournalEntry
	for _, e := range s.Journal {
		if address == "" || e.Address == address {
			out = append(out, e.clone())
		}
	}
	return out
}

func (s *State) journalIndex(id string) int {
	return slices.IndexFunc(s.Journal, func(e JournalEntry) bool { return e.ID == id })
}
