package state

import (
	"context"
	"errors"
	"fmt"
)

// ErrLineageMismatch is returned by Replace when the new content belongs to
// another state: restoring or migrating it would mix two histories.
var ErrLineageMismatch = errors.New("lineage differs")

// Decode parses and validates the bytes of a state (a kept version, a
// migrated file) exactly as a load does: corrupt or future-version content
// is refused. loc names it in errors.
func Decode(loc string, data []byte) (*State, error) { return decode(loc, data) }

// Replace writes s whole in place of the held state, for `state restore`
// and `state migrate`. s must be of the same lineage (or the held state
// must not exist yet). With keepSerial the serial is s's own, which must
// not be below the held one (migrate into an empty backend); otherwise it
// is the held serial plus one, so saved plans made against the replaced
// content are refused as stale.
func (h *Handle) Replace(ctx context.Context, s *State, keepSerial bool) error {
	if err := validate(s); err != nil {
		return fmt.Errorf("state refused: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if h.leading || len(h.queue) > 0 {
		return errors.New("state replace while updates are in flight")
	}
	cur := h.cur
	if cur.Exists() && cur.Lineage != "" && s.Lineage != cur.Lineage {
		return fmt.Errorf("%s holds lineage %s, the new content %s: %w", h.be, cur.Lineage, s.Lineage, ErrLineageMismatch)
	}
	next := s.Clone()
	next.Version = CurrentVersion
	switch {
	case !keepSerial:
		next.Serial = cur.Serial + 1
	case next.Serial < cur.Serial:
		return fmt.Errorf("%s is at serial %d, newer than the content's %d", h.be, cur.Serial, next.Serial)
	}
	var enc encoder
	data, err := enc.encode(next)
	if err != nil {
		return fmt.Errorf("saving state %s: %w", h.be, err)
	}
	tag, err := h.lease.Write(context.WithoutCancel(ctx), data, h.disk)
	if tag != nil {
		next.exists = true
		h.cur, h.disk, h.enc = next, tag, encoder{}
	}
	return err
}
