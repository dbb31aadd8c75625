package state

import (
	"fmt"
	"math"

	"github.com/google/uuid"
)

// Batched updates. An apply records every action twice (its journal entry,
// then its result) from up to 3×--parallelism goroutines. Copying the state,
// stamping, comparing and validating it are each a pass over every record,
// so doing them once per Update made a fleet's apply quadratic: 74 s of a
// 2,500-consumer apply went there. Instead the Update calls that arrive
// while a write is under way queue up, and one of them — the leader —
// applies the whole queue to one copy, checks it once and writes it once.
// Each caller still gets its own fn's error and returns only once its change
// is on disk (or the write failed).

// update is one queued Update call.
type update struct {
	fn   func(*State) error
	done chan updateResult // buffered: the leader never waits on a caller
}

// updateResult is what an update's caller learns: its error, that its fn
// panicked (re-raised in the caller's goroutine), or that it must now lead.
type updateResult struct {
	err      error
	panicked bool
	panicVal any
	takeover bool
}

// lead applies and writes one batch: everything queued. h.mu is held on
// entry and released on return. When more updates queued meanwhile, the
// first of them is told to lead the next batch, so no caller waits on
// others' writes after its own landed.
func (h *Handle) lead() {
	batch := h.queue
	h.queue = nil
	base, prevDisk := h.cur, h.disk
	h.mu.Unlock()

	next, results := h.applyBatch(base, batch)
	var (
		snap    *State
		disk    Tag
		written bool
		werr    error
	)
	switch {
	case next != nil && base.Serial == math.MaxInt64:
		werr = fmt.Errorf("%s: %w (serial %d); galshare will not write a serial it could not read back: "+
			"set \"serial\" in that file to a smaller value (saved plans become stale)", h.Path(), ErrSerialExhausted, base.Serial)
	case next != nil:
		cp := *next
		snap = &cp
		snap.Serial = base.Serial + 1
		disk, written, werr = h.write(snap, prevDisk)
	}

	h.mu.Lock()
	if written {
		snap.exists = true
		h.cur, h.disk = snap, disk
	}
	if len(h.queue) > 0 {
		h.queue[0].done <- updateResult{takeover: true}
	} else {
		h.leading = false
	}
	h.mu.Unlock()
	for i, o := range batch {
		r := results[i]
		if r.err == nil && !r.panicked && next != nil {
			r.err = werr // written together: the write's fate is each one's
		}
		o.done <- r
	}
}

// applyBatch applies batch's fns to a copy of base and returns the state to
// write (nil: nothing changed) and each fn's result. The common case is one
// copy for the whole batch; when some fn fails, panics, or the result does
// not validate, the batch is applied again one fn at a time on fresh copies,
// so only the culprits are refused and their partial changes dropped.
func (h *Handle) applyBatch(base *State, batch []*update) (*State, []updateResult) {
	results := make([]updateResult, len(batch))
	work := base.Clone()
	ok := true
	for _, o := range batch {
		if r := runUpdate(o.fn, work); r.err != nil || r.panicked {
			ok = false
			break
		}
	}
	if ok {
		if next, err := h.finish(base, work); err == nil {
			return next, results
		}
	}
	cur, changed := base, false
	for i, o := range batch {
		work := cur.Clone()
		if results[i] = runUpdate(o.fn, work); results[i].err != nil || results[i].panicked {
			continue
		}
		next, err := h.finish(cur, work)
		if err != nil {
			results[i].err = err
			continue
		}
		if next != nil {
			cur, changed = next, true
		}
	}
	if !changed {
		return nil, results
	}
	return cur, results
}

// runUpdate calls fn on s, turning a panic into a result for its caller.
func runUpdate(fn func(*State) error, s *State) (r updateResult) {
	defer func() {
		if p := recover(); p != nil {
			r = updateResult{panicked: true, panicVal: p}
		}
	}()
	return updateResult{err: fn(s)}
}

// finish makes next, fns' work on a copy of base, ready to write: the
// fields fns may not change restored, bookkeeping stamped, a lineage on the
// first write, and what changed validated. It returns nil when next is
// base's content unchanged (nothing to write: the serial stays, so saved
// plans do not look stale).
func (h *Handle) finish(base, next *State) (*State, error) {
	next.Version, next.Lineage, next.Serial, next.exists = base.Version, base.Lineage, base.Serial, base.exists
	checked := h.stamp(base, next)
	if sameState(next, base) {
		return nil, nil
	}
	if next.Lineage == "" {
		next.Lineage = uuid.NewString()
	}
	// Only what changed is checked: base was checked when it was loaded or
	// written.
	if err := validateChanged(next, checked); err != nil {
		return nil, fmt.Errorf("state update refused: %w", err)
	}
	return next, nil
}
