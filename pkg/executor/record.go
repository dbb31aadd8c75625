package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// stateCtx detaches state writes from cancellation: after a second Ctrl-C
// in-flight calls are cancelled, but what they did must still be recorded.
func stateCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// answerGrace returns the context for one call that is not idempotent
// (addPassword) and the function that releases it. Cancelling ctx (the
// second Ctrl-C) does not cut the call off at once: it gets up to grace more
// to answer, then is cancelled too (with ctx's cause, so it still reads as
// cancelled).
//
// Why: cancelling an HTTP request does not cancel the write behind it. Graph
// (and the simulator, whose HTTP/1.1 server cannot see the client go while
// it has not read the body) finishes an addPassword whose client went away;
// cancelling only threw the answer away — the one copy of the secret — and
// turned a known outcome into an unknown one. The next run then read the app
// before the write landed, found nothing, closed the journal entry and added
// a second password: a live credential nobody holds (issue 12, item 3).
// Waiting for the answer makes the outcome known in the run that made the
// call; settleJournal covers an answer slower than grace.
func answerGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(context.Cause(ctx))
		case <-gctx.Done():
		}
	})
	return gctx, func() { stop(); cancel(context.Canceled) }
}

// pendingEntries are journal entries this run looked at and left open on
// purpose: a create whose object is not found yet, but whose call may still
// take effect (see settleJournal). commit leaves them open, so a later run
// still finds and removes what the call makes.
type pendingEntries struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (p *pendingEntries) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids == nil {
		p.ids = map[string]bool{}
	}
	p.ids[id] = true
}

func (p *pendingEntries) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ids[id]
}

// openJournal is the journal entries for address that are still to be
// settled by this run (the pending ones are not).
func (r *run) openJournal(address string) []state.JournalEntry {
	var out []state.JournalEntry
	for _, e := range r.opts.State.OpenJournal(address) {
		if !r.pending.has(e.ID) {
			out = append(out, e)
		}
	}
	return out
}

// begin writes a journal entry for a write call about to be made on c, before
// the call, so a crash mid-call leaves evidence the next plan reconciles from
// Azure. intent holds the non-secret facts needed to find the object again.
func (r *run) begin(ctx context.Context, c *planner.Change, op string, intent map[string]string) (string, error) {
	var id string
	err := r.opts.State.Update(stateCtx(ctx), func(s *state.State) error {
		var err error
		id, err = s.BeginJournal(state.JournalEntry{
			Address:   c.Address.String(),
			Type:      string(c.Type),
			Tenant:    c.Tenant,
			Operation: op,
			StartedAt: r.opts.Now().UTC(),
			Intent:    intent,
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("%s: writing the journal entry before %s: %w", c.Address, op, err)
	}
	return id, nil
}

// commit records the result of a write call and closes its journal entry in
// one state write, so there is no moment where the result is lost and the
// entry is gone. Leftover entries for the same address (from a run that
// crashed) are closed too: the object's fate is now known.
func (r *run) commit(ctx context.Context, c *planner.Change, journalID string, fn func(*state.State) error) error {
	err := r.opts.State.Update(stateCtx(ctx), func(s *state.State) error {
		for _, e := range s.OpenJournal(c.Address.String()) {
			if r.pending.has(e.ID) {
				continue
			}
			if err := s.EndJournal(e.ID); err != nil {
				return err
			}
		}
		if journalID != "" {
			// Already closed above when it was for this address; otherwise
			// close it now.
			if err := s.EndJournal(journalID); err != nil && !errors.Is(err, state.ErrNoJournalEntry) {
				return err
			}
		}
		// A record that moved address (the app was renamed, a grant's role
		// changed) leaves its old entry in the same write.
		if prev := c.PreviousAddress; !prev.IsZero() && prev != c.Address {
			s.Remove(prev.String())
			for _, e := range s.OpenJournal(prev.String()) {
				if err := s.EndJournal(e.ID); err != nil {
					return err
				}
			}
		}
		// fn runs last so it may open the journal entry of a follow-up call
		// in the same write (a rotation's removal of the old password).
		if fn != nil {
			return fn(s)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: recording the result in state: %w", c.Address, err)
	}
	if r.opts.Hooks != nil && r.opts.Hooks.AfterRecord != nil {
		r.opts.Hooks.AfterRecord(c.Address.String())
	}
	return nil
}

// abandon handles a failed write call. When Azure answered, the call
// certainly did not take effect and the journal entry is closed; when the
// outcome is unknown (no response, a cancelled or timed-out call, a 5xx) the
// entry stays for the next plan to reconcile.
func (r *run) abandon(ctx context.Context, c *planner.Change, journalID string, callErr error) {
	if outcomeUnknown(callErr) {
		r.log.Debug("leaving journal entry open: outcome of the call is unknown", "address", c.Address.String(), "journal", journalID)
		return
	}
	err := r.opts.State.Update(stateCtx(ctx), func(s *state.State) error { return s.EndJournal(journalID) })
	if err != nil {
		r.log.Warn("could not close journal entry", "address", c.Address.String(), "journal", journalID, "error", err)
	}
}

// outcomeUnknown reports whether a failed call may still have taken effect.
func outcomeUnknown(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, azure.ErrIncompleteAnswer) {
		return true // a success status with a body that is not the object
	}
	var ae *azure.Error
	if !errors.As(err, &ae) {
		return true
	}
	return ae.StatusCode == 0 || ae.StatusCode >= 500
}

// afterCall runs the crash-test hook between an Azure write and its record.
func (r *run) afterCall(c *planner.Change) {
	if r.opts.Hooks != nil && r.opts.Hooks.AfterCall != nil {
		r.opts.Hooks.AfterCall(c.Address.String())
	}
}

// record makes sure state knows an object that exists and was not written
// by this apply (a no-op or an adoption): it puts res unless state already
// records the same object (type, tenant, id, origin), so a re-apply with
// nothing to do neither bumps the serial nor drops attributes recorded when
// the object was made (a password's hint and expiry).
func (r *run) record(ctx context.Context, c *planner.Change, res state.Resource) error {
	_, movedFrom := r.opts.State.Get(c.PreviousAddress.String())
	if cur, ok := r.opts.State.Get(res.Address); ok && sameRecord(cur, res) && len(r.openJournal(res.Address)) == 0 && !movedFrom {
		return nil
	}
	return r.commit(ctx, c, "", func(s *state.State) error { return s.Put(res) })
}

func sameRecord(a, b state.Resource) bool {
	return a.Type == b.Type && a.Tenant == b.Tenant && strings.EqualFold(a.ID, b.ID) && a.Origin == b.Origin
}

// retry runs fn under the apply's retry policy. afterCreate widens what is
// retried to the 404s and token errors of objects that were just created.
// Each retry is reported as a progress event so a long wait for replication
// does not look like a hang.
func (r *run) retry(ctx context.Context, c *planner.Change, afterCreate bool, what string, fn func(context.Context) error) error {
	rt := r.opts.Retry
	rt.Classify = retryableAzure
	if afterCreate {
		rt.Classify = retryableAfterCreate
	}
	rt.OnRetry = func(e RetryEvent) {
		r.log.Debug("retrying", "address", c.Address.String(), "call", what, "attempt", e.Attempt, "wait", e.Wait, "error", e.Err)
		r.ev.emit(Event{
			Type: EventProgress, Address: c.Address.String(), Action: c.Action.String(), Tenant: c.Tenant,
			Message: fmt.Sprintf("%s: attempt %d failed (%s), retrying in %s", what, e.Attempt, azure.KindOf(e.Err), e.Wait.Round(time.Millisecond)),
		})
	}
	return rt.Do(ctx, fn)
}

// retryGet runs one read under the apply's retry policy (replication-lag
// errors are not retried: reads happen only for objects that already
// existed) and returns what it read.
func retryGet[T any](ctx context.Context, r *run, c *planner.Change, what string, get func(context.Context) (T, error)) (T, error) {
	var v T
	err := r.retry(ctx, c, false, what, func(ctx context.Context) error {
		var err error
		v, err = get(ctx)
		return err
	})
	return v, err
}

// deleteRecorded is the delete of an app, a service principal or a role
// assignment: refused when state says galshare adopted the object; the id is
// the plan's, else state's; with no id at all there is nothing to delete and
// the record is only forgotten. owned then re-reads the live object and
// refuses it when it is not galshare's (trust.go); gone means it no longer
// exists, and the record is only forgotten. Otherwise the delete is
// journalled (intent {intentKey: id}), retried as what, and the record
// forgotten once it is done.
func (r *run) deleteRecorded(ctx context.Context, c *planner.Change, planID, intentKey, what string,
	owned func(ctx context.Context, id string) (gone bool, err error), del func(ctx context.Context, id string) error) error {
	if err := r.refuseAdoptedDelete(c); err != nil {
		return err
	}
	id := planID
	if id == "" {
		if cur, ok := r.opts.State.Get(c.Address.String()); ok {
			id = cur.ID
		}
	}
	if id == "" {
		return r.forget(ctx, c, "")
	}
	gone, err := owned(ctx, id)
	if err != nil {
		return err
	}
	if gone {
		r.progress(c, "already deleted outside galshare; removing the record")
		return r.forget(ctx, c, "")
	}
	jid, err := r.begin(ctx, c, state.OpDelete, map[string]string{intentKey: id})
	if err != nil {
		return err
	}
	if err := r.retry(ctx, c, false, what, func(ctx context.Context) error { return del(ctx, id) }); err != nil {
		r.abandon(ctx, c, jid, err)
		return err
	}
	r.afterCall(c)
	return r.forget(ctx, c, jid)
}

// progress reports a step of a long action.
func (r *run) progress(c *planner.Change, msg string) {
	r.ev.emit(Event{Type: EventProgress, Address: c.Address.String(), Action: c.Action.String(), Tenant: c.Tenant, Message: msg})
}

// refuseAdoptedDelete is the last guard of "galshare deletes nothing it did
// not create": whatever the plan says, an object state records as adopted
// (under the change's address, or the one it moved from) is never deleted.
func (r *run) refuseAdoptedDelete(c *planner.Change) error {
	for _, a := range []planner.Address{c.Address, c.PreviousAddress} {
		if a.IsZero() {
			continue
		}
		if cur, ok := r.opts.State.Get(a.String()); ok && cur.Origin == state.OriginAdopted {
			return fmt.Errorf("%s: refusing to delete an object galshare adopted (it existed before galshare managed it)", c.Address)
		}
	}
	return nil
}

// forget removes the record of a deleted or forgotten object (and its
// journal entries, and its entry under a previous address).
func (r *run) forget(ctx context.Context, c *planner.Change, journalID string) error {
	return r.commit(ctx, c, journalID, func(s *state.State) error {
		s.Remove(c.Address.String())
		return nil
	})
}

// originFor is the origin recorded for an object this apply created or
// found: the plan's when it says, else created.
func originFor(c *planner.Change) state.Origin {
	if c.Origin == planner.OriginAdopted {
		return state.OriginAdopted
	}
	return state.OriginCreated
}
