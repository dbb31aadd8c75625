package executor

import (
	"context"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// passwordOnlyPlan is the password change of the quickstart plan as a
// re-plan makes it once the app exists: the app's ids filled in, no
// dependency. action NoOp stands for "exists: keyID".
func passwordOnlyPlan(h *harness, app *azure.Application, action planner.Action, keyID string) *planner.Plan {
	p := quickstartPlan(h.deliverTo)
	pc := p.Changes[1]
	pc.DependsOn = nil
	pc.Action = action
	pc.Password.AppObjectID, pc.Password.AppID, pc.Password.KeyID = app.ObjectID, app.AppID, keyID
	return &planner.Plan{FormatVersion: planner.FormatVersion, Tenants: p.Tenants, Changes: []planner.Change{pc}}
}

// TestHardStopDuringAddPasswordKeepsTheAnswer: the second Ctrl-C arrives
// while addPassword is on the wire. Graph makes the password anyway, and its
// answer is the only copy of the secret: apply must wait for it (within
// AnswerGrace), deliver and record it, rather than throw it away and leave a
// live password nobody holds for a later run to race with.
func TestHardStopDuringAddPasswordKeepsTheAnswer(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.fake.onAdd = cancel
	rep := h.applyCtx(ctx, quickstartPlan(h.deliverTo), nil)
	if got := resultOf(t, rep, addrPwd).Status; got != StatusCancelled && got != StatusSucceeded {
		t.Fatalf("password: %v %v", got, resultOf(t, rep, addrPwd).Err)
	}
	app := onlyApp(t, h.fake)
	if len(app.Passwords) != 1 {
		t.Fatalf("live passwords %+v, want 1", app.Passwords)
	}
	key := app.Passwords[0].KeyID
	st := h.state()
	if r, _ := st.Get(addrPwd.String()); r.ID != key {
		t.Errorf("state records password %q, live is %s", r.ID, key)
	}
	if len(st.OpenJournal(addrPwd.String())) != 0 {
		t.Errorf("journal left open although the outcome is known: %+v", st.OpenJournal(addrPwd.String()))
	}
	if d := readDelivered(t, h.deliverTo); d.KeyID != key {
		t.Errorf("delivered keyId %s, live %s", d.KeyID, key)
	}
	h.scanForSecrets()
}

// TestLateAddPasswordIsRemovedByALaterRun: the answer does not come within
// AnswerGrace, and the write lands only after the next run has settled the
// journal and made its own password. The journal entry must stay open until
// the outcome is known, so the run after that finds the late password (our
// displayName and exactly the journaled endDateTime) and removes it; once the
// entry is older than any write could take, it is closed.
func TestLateAddPasswordIsRemovedByALaterRun(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.fake.onAdd, h.fake.lateAdd = cancel, true
	grace := func(o *Options) { o.AnswerGrace = time.Millisecond }
	rep := h.applyCtx(ctx, quickstartPlan(h.deliverTo), grace)
	if got := resultOf(t, rep, addrPwd).Status; got != StatusCancelled {
		t.Fatalf("password: %v %v, want cancelled", got, resultOf(t, rep, addrPwd).Err)
	}
	if n := len(h.state().OpenJournal(addrPwd.String())); n != 1 {
		t.Fatalf("%d journal entries after an unknown outcome, want 1", n)
	}
	h.fake.onAdd, h.fake.lateAdd = nil, false
	app := onlyApp(t, h.fake)

	// Run 2 settles before the write lands: nothing to see yet.
	h.clock.t = h.clock.t.Add(time.Minute)
	if rep := h.apply(passwordOnlyPlan(h, app, planner.Create, ""), grace); rep.ExitCode() != ExitOK {
		t.Fatalf("second run: %+v", rep.Summary.Failures)
	}
	if n := len(h.state().OpenJournal(addrPwd.String())); n != 1 {
		t.Errorf("the second run closed the entry of a write that may still land (%d entries open)", n)
	}
	for _, land := range h.fake.landAdd {
		land()
	}
	if len(app.Passwords) != 2 {
		t.Fatalf("setup: %d live passwords after the late write, want 2", len(app.Passwords))
	}
	delivered := readDelivered(t, h.deliverTo).KeyID

	// Run 3: the plan is a no-op for the delivered password; the open entry
	// makes it look, find the late one and remove it.
	h.clock.t = h.clock.t.Add(time.Minute)
	if rep := h.apply(passwordOnlyPlan(h, app, planner.NoOp, delivered), grace); rep.ExitCode() != ExitOK {
		t.Fatalf("third run: %+v", rep.Summary.Failures)
	}
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID != delivered {
		t.Errorf("live passwords %+v, want only the delivered %s", app.Passwords, delivered)
	}
	if j := h.state().Journal; len(j) != 0 {
		t.Errorf("journal after the late password was removed: %+v", j)
	}
	h.scanForSecrets()
}

// TestUnknownAddPasswordEntryExpires: a write that never lands keeps its
// entry open only while it still could; a run after lateWriteWindow closes
// it, and a no-op run before that neither closes it nor rewrites state.
func TestUnknownAddPasswordEntryExpires(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.fake.onAdd, h.fake.lateAdd = cancel, true
	grace := func(o *Options) { o.AnswerGrace = time.Millisecond }
	h.applyCtx(ctx, quickstartPlan(h.deliverTo), grace)
	h.fake.onAdd, h.fake.lateAdd = nil, false
	app := onlyApp(t, h.fake)
	h.clock.t = h.clock.t.Add(time.Minute)
	if rep := h.apply(passwordOnlyPlan(h, app, planner.Create, ""), grace); rep.ExitCode() != ExitOK {
		t.Fatalf("second run: %+v", rep.Summary.Failures)
	}
	delivered := readDelivered(t, h.deliverTo).KeyID
	serial := h.state().Serial
	h.clock.t = h.clock.t.Add(time.Minute)
	h.apply(passwordOnlyPlan(h, app, planner.NoOp, delivered), grace)
	if st := h.state(); len(st.Journal) != 1 || st.Serial != serial {
		t.Errorf("a no-op run inside the window: journal %+v, serial %d→%d", st.Journal, serial, st.Serial)
	}
	h.clock.t = h.clock.t.Add(lateWriteWindow)
	h.apply(passwordOnlyPlan(h, app, planner.NoOp, delivered), grace)
	if j := h.state().Journal; len(j) != 0 {
		t.Errorf("journal after the window: %+v", j)
	}
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID != delivered {
		t.Errorf("live passwords %+v, want only %s", app.Passwords, delivered)
	}
}
