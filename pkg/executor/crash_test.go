package executor

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// crashAt returns hooks that "crash" (panic, which the walker turns into a
// failed action without any further bookkeeping, just as a kill would leave
// things) at one point of one address.
func crashAt(point string, addr planner.Address) *Hooks {
	hit := func(p string) func(string) {
		return func(a string) {
			if p == point && a == addr.String() {
				panic("simulated crash at " + p + " of " + a)
			}
		}
	}
	return &Hooks{AfterCall: hit("call"), AfterDeliver: hit("deliver"), AfterRecord: hit("record")}
}

func onlyApp(t *testing.T, f *fakeAzure) *azure.Application {
	t.Helper()
	if len(f.apps) != 1 {
		t.Fatalf("%d apps, want 1", len(f.apps))
	}
	for _, a := range f.apps {
		return a
	}
	return nil
}

// TestPasswordCrashRecovery interrupts the password create at each point and
// checks that re-applying the same plan (the planner plans the create again,
// since state has no password) ends with exactly one password, delivered and
// recorded, and no journal.
func TestPasswordCrashRecovery(t *testing.T) {
	tests := []struct {
		point       string
		wantAdds    int // AddPassword calls over both runs
		wantRemoves int // RemovePassword calls over both runs
	}{
		// Added but never delivered: the orphan is removed, a new one added.
		{"call", 2, 1},
		// Delivered but not recorded: the delivered one is kept.
		{"deliver", 1, 0},
		// Recorded: the second run's create is... still a create in this
		// plan, so it settles nothing and adds a second; the planner would
		// have planned a no-op. Covered by the rotation test instead.
	}
	for _, tt := range tests {
		t.Run(tt.point, func(t *testing.T) {
			h := newHarness(t)
			rep := h.apply(quickstartPlan(h.deliverTo), func(o *Options) { o.Hooks = crashAt(tt.point, addrPwd) })
			if r := resultOf(t, rep, addrPwd); r.Status != StatusFailed || !strings.Contains(r.Err.Error(), "simulated crash") {
				t.Fatalf("first run: %v %v", r.Status, r.Err)
			}
			if j := h.state().OpenJournal(addrPwd.String()); len(j) != 1 {
				t.Fatalf("crash left %d journal entries, want 1", len(j))
			}
			// Second run: the planner would now know the app; plan the
			// password create with the app's ids.
			app := onlyApp(t, h.fake)
			plan := quickstartPlan(h.deliverTo)
			pc := plan.Changes[1]
			pc.DependsOn = nil
			pc.Password.AppObjectID, pc.Password.AppID = app.ObjectID, app.AppID
			plan.Changes = []planner.Change{pc}
			h.clock.t = h.clock.t.Add(time.Minute)
			rep = h.apply(plan, nil)
			if rep.ExitCode() != ExitOK {
				t.Fatalf("second run: %+v", rep.Summary.Failures)
			}
			if len(app.Passwords) != 1 {
				t.Fatalf("passwords after recovery: %+v", app.Passwords)
			}
			key := app.Passwords[0].KeyID
			if d := readDelivered(t, h.deliverTo); d.KeyID != key {
				t.Errorf("delivered keyId %s, live %s", d.KeyID, key)
			}
			st := h.state()
			if r, _ := st.Get(addrPwd.String()); r.ID != key {
				t.Errorf("state keyId %q, live %s", r.ID, key)
			}
			if len(st.Journal) != 0 {
				t.Errorf("journal after recovery: %+v", st.Journal)
			}
			if n := h.fake.count("AddPassword"); n != tt.wantAdds {
				t.Errorf("AddPassword calls %d, want %d", n, tt.wantAdds)
			}
			if n := h.fake.count("RemovePassword"); n != tt.wantRemoves {
				t.Errorf("RemovePassword calls %d, want %d", n, tt.wantRemoves)
			}
			h.scanForSecrets()
		})
	}
}

// TestRotationCrashBeforeRemovingOld: the new password is delivered and
// recorded, the process dies before the old one is removed. The next apply
// (the planner sees a fresh secret: no-op) removes the old one.
func TestRotationCrashBeforeRemovingOld(t *testing.T) {
	h := newHarness(t)
	h.apply(quickstartPlan(h.deliverTo), nil)
	app := onlyApp(t, h.fake)
	old := app.Passwords[0]
	h.clock.t = h.clock.t.Add(8000 * time.Hour)
	rep := h.apply(rotationPlan(h, app, old), func(o *Options) { o.Hooks = crashAt("record", addrPwd) })
	if resultOf(t, rep, addrPwd).Status != StatusFailed || len(app.Passwords) != 2 {
		t.Fatalf("setup: %v, %d passwords", resultOf(t, rep, addrPwd).Err, len(app.Passwords))
	}
	newKey := readDelivered(t, h.deliverTo).KeyID

	p := rotationPlan(h, app, old).Changes[0]
	p.Action, p.Password.KeyID, p.Password.ReplacesKeyID, p.Fingerprint = planner.NoOp, newKey, "", ""
	rep = h.apply(&planner.Plan{FormatVersion: planner.FormatVersion, Changes: []planner.Change{p}}, nil)
	if rep.ExitCode() != ExitOK {
		t.Fatalf("second run: %+v", rep.Summary.Failures)
	}
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID != newKey {
		t.Fatalf("passwords %+v, want only %s", app.Passwords, newKey)
	}
	if len(h.state().Journal) != 0 {
		t.Errorf("journal %+v", h.state().Journal)
	}
}

// TestAddPasswordDroppedResponse: the password is made but the response is
// lost. The retry must not leave two passwords.
func TestAddPasswordDroppedResponse(t *testing.T) {
	h := newHarness(t)
	h.fake.failAfter["AddPassword"] = []error{dropped()}
	rep := h.apply(quickstartPlan(h.deliverTo), nil)
	if rep.ExitCode() != ExitOK {
		t.Fatalf("%+v", rep.Summary.Failures)
	}
	app := onlyApp(t, h.fake)
	if len(app.Passwords) != 1 {
		t.Fatalf("passwords %+v", app.Passwords)
	}
	if d := readDelivered(t, h.deliverTo); d.KeyID != app.Passwords[0].KeyID {
		t.Errorf("delivered %s, live %s", d.KeyID, app.Passwords[0].KeyID)
	}
}

// TestCrashAfterEachActionConverges interrupts a full apply after each write
// call in turn (before its result is recorded) and re-applies the original
// plan with the app's ids filled in, as a re-plan would. Creates are
// idempotent, so nothing is duplicated.
func TestCrashAfterEachActionConverges(t *testing.T) {
	for _, addr := range []planner.Address{addrApp, addrSPPub, addrSPCons, addrGalRole, addrConRole} {
		t.Run(addr.String(), func(t *testing.T) {
			h := newHarness(t)
			rep := h.apply(quickstartPlan(h.deliverTo), func(o *Options) { o.Hooks = crashAt("call", addr) })
			if resultOf(t, rep, addr).Status != StatusFailed {
				t.Fatalf("no crash at %s", addr)
			}
			rep = h.apply(quickstartPlan(h.deliverTo), nil)
			// The password create re-runs only if it had not succeeded.
			if rep.Summary.Failed != 0 {
				t.Fatalf("second run: %+v", rep.Summary.Failures)
			}
			onlyApp(t, h.fake)
			if len(h.fake.sps) != 2 || len(h.fake.ras) != 2 {
				t.Errorf("sps=%d ras=%d, want 2 2", len(h.fake.sps), len(h.fake.ras))
			}
			if len(h.state().Journal) != 0 {
				t.Errorf("journal %+v", h.state().Journal)
			}
			for _, a := range []planner.Address{addrApp, addrSPPub, addrSPCons, addrGalRole, addrConRole} {
				if _, ok := h.state().Get(a.String()); !ok {
					t.Errorf("%s missing from state", a)
				}
			}
		})
	}
}

func TestDeliveredFileIsAtomicAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/nested/dir/secret.json"
	if err := deliver(planner.Delivery{Kind: "file", Path: path}, azure.DeliveredSecret{ClientID: "app", Secret: azure.NewSecret("v1"), KeyID: "k1"}); err != nil {
		t.Fatal(err)
	}
	if err := deliver(planner.Delivery{Kind: "file", Path: path}, azure.DeliveredSecret{ClientID: "app", Secret: azure.NewSecret("v2"), KeyID: "k2"}); err != nil {
		t.Fatal(err)
	}
	d := readDelivered(t, path)
	if d.KeyID != "k2" || d.Secret.Reveal() != "v2" {
		t.Errorf("got %s", d.KeyID)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir + "/nested/dir")
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if err := deliver(planner.Delivery{Kind: "keyvault", Path: "x"}, azure.DeliveredSecret{}); err == nil {
		t.Error("unknown delivery kind accepted")
	}
}
