package executor_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
)

// sibling is a second manifest against the same simulator as w: the
// quickstart with another name (and so another uniqueName and marker) but
// the same displayName, with its own state file and delivery directory.
func (w *simWorld) sibling(name string) *simWorld {
	w.t.Helper()
	src, err := os.ReadFile(w.manifest)
	if err != nil {
		w.t.Fatal(err)
	}
	text := strings.Replace(string(src), "name: contoso-golden-images", "name: "+name, 1)
	if text == string(src) {
		w.t.Fatal("the quickstart's name line moved; update sibling")
	}
	dir := filepath.Join(w.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.t.Fatal(err)
	}
	manifest := filepath.Join(dir, "manifest.yaml")
	if err := os.WriteFile(manifest, []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return &simWorld{t: w.t, sim: w.sim, conn: w.conn, dir: dir, manifest: manifest,
		statePath: filepath.Join(dir, "galshare.state.json"), logs: w.logs}
}

// appsNamed lists the simulator's apps with a display name.
func appsNamed(sim *azsim.Sim, tenant, displayName string) []azsim.AppView {
	var out []azsim.AppView
	for _, a := range sim.Applications(tenant) {
		if a.DisplayName == displayName {
			out = append(out, a)
		}
	}
	return out
}

// Issue 12 item 2: a second manifest with the same displayName never adopts
// the first one's app, password, service principals or role assignments;
// both converge side by side and destroying one leaves the other intact.
func TestE2ETwoManifestsSameDisplayName(t *testing.T) {
	first := newSimWorld(t, "quickstart")
	first.replicateNow()
	first.converge()
	second := first.sibling("other-team")

	p := second.plan(false)
	for _, c := range p.Changes {
		if c.Adopt {
			t.Errorf("the second manifest adopts %s (%s): %s", c.Address, c.Origin, c.Reason)
		}
	}
	if c := p.Change(planner.AppAddress("myGalleryApp")); c == nil || c.Action != planner.Create {
		t.Fatalf("second manifest's app: %+v, want a create\n%s", c, changes(p))
	}
	second.converge()

	m1, m2 := first.load(), second.load()
	apps := appsNamed(first.sim, m1.Publisher.Tenant, "myGalleryApp")
	if len(apps) != 2 {
		t.Fatalf("%d apps named myGalleryApp, want one per manifest", len(apps))
	}
	for _, w := range []*simWorld{first, second} {
		p := w.plan(false)
		if p.HasChanges() || p.IsBlocked() {
			t.Errorf("%s: plan after both applies has changes:\n%s", w.load().Name, changes(p))
		}
		if rep := w.verify(nil); !rep.OK {
			t.Errorf("%s: verify fails:\n%s", w.load().Name, dumpReport(rep))
		}
		w.checkOwn()
	}

	pd := first.plan(true)
	if rep := first.apply(pd); rep.ExitCode() != executor.ExitOK {
		t.Fatalf("destroy of the first: %d\n%s", rep.ExitCode(), failures(rep))
	}
	left := appsNamed(first.sim, m1.Publisher.Tenant, "myGalleryApp")
	if len(left) != 1 || left[0].UniqueName != m2.Publisher.App.UniqueName {
		t.Fatalf("after destroying the first manifest, apps left: %+v", left)
	}
	if p := second.plan(false); p.HasChanges() || p.IsBlocked() {
		t.Errorf("the second manifest has changes after the first was destroyed:\n%s", changes(p))
	}
	if rep := second.verify(nil); !rep.OK {
		t.Errorf("the second manifest's verify fails after the first was destroyed:\n%s", dumpReport(rep))
	}
	second.checkOwn()
}

// checkOwn asserts that w's state names only objects of w's own app: its
// app carries w's uniqueName, and every SP and role assignment state records
// belongs to that app.
func (w *simWorld) checkOwn() {
	w.t.Helper()
	m := w.load()
	st := readState(w.t, w.statePath)
	rec, ok := st.Get(planner.AppAddress(m.Publisher.App.DisplayName).String())
	if !ok {
		w.t.Fatalf("%s: no app in state", m.Name)
	}
	appID := rec.Attributes[planner.AttrAppID]
	for _, a := range w.sim.Applications(m.Publisher.Tenant) {
		if a.AppID == appID && a.UniqueName != m.Publisher.App.UniqueName {
			w.t.Errorf("%s: state's app %s has uniqueName %q, want %q", m.Name, appID, a.UniqueName, m.Publisher.App.UniqueName)
		}
	}
	sps := map[string]bool{}
	for _, r := range st.Resources {
		if r.Type == string(planner.TypeServicePrincipal) {
			if !strings.EqualFold(r.Attributes[planner.AttrAppID], appID) {
				w.t.Errorf("%s: %s is of app %s, not %s", m.Name, r.Address, r.Attributes[planner.AttrAppID], appID)
			}
			sps[strings.ToLower(r.ID)] = true
		}
	}
	for _, r := range st.Resources {
		if r.Type == string(planner.TypeRoleAssignment) && !sps[strings.ToLower(r.Attributes[planner.AttrPrincipalID])] {
			w.t.Errorf("%s: %s grants principal %s, not one of its own SPs", m.Name, r.Address, r.Attributes[planner.AttrPrincipalID])
		}
	}
}

// Issue 12 item 2: verify never ends in "run galshare apply" when apply has
// nothing to do. With the delivered file gone, state still holds the
// password, so the plan has no change; verify must say what does help.
func TestVerifyAdviceFollowsThePlan(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	w.converge()
	m := w.load()
	if err := os.Remove(m.Publisher.App.Secret.DeliverTo.Path); err != nil {
		t.Fatal(err)
	}
	p := w.plan(false)
	if p.HasChanges() {
		t.Fatalf("plan after removing the delivered file has changes:\n%s", changes(p))
	}
	rep := w.verifyPlanned(p)
	var secret *executor.Check
	for i, c := range rep.Checks {
		if c.Kind == executor.CheckSecret {
			secret = &rep.Checks[i]
		}
		if c.Result == executor.ResultFail && strings.Contains(c.Fix, "galshare apply") && !strings.Contains(c.Fix, "nothing to do") {
			t.Errorf("%s %s: fix %q, but the plan has nothing for apply to do", c.Party, c.Kind, c.Fix)
		}
	}
	if secret == nil || secret.Result != executor.ResultFail || !strings.Contains(secret.Fix, "--secret-file") {
		t.Errorf("secret row %+v; want a failure that says how to get the value back", secret)
	}
}

// Where the plan does have the write, the fix still sends the reader to
// apply.
func TestVerifyAdviceKeepsApplyWhenPlanned(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	w.converge()
	st := readState(t, w.statePath)
	rec, _ := st.Get(planner.AppAddress("myGalleryApp").String())
	removeConsumerRole(t, w, rec.Attributes[planner.AttrAppID])
	p := w.plan(false)
	rep := w.verifyPlanned(p)
	found := false
	for _, c := range rep.Checks {
		if c.Kind == executor.CheckRole && c.Result == executor.ResultFail {
			found = true
			if !strings.HasPrefix(c.Fix, "run galshare apply") {
				t.Errorf("role row fix %q; the plan creates %s", c.Fix, c.Address)
			}
		}
	}
	if !found {
		t.Fatalf("no failed role row:\n%s", dumpReport(rep))
	}
}

// Issue 12 item 3 (plan side): a password on galshare's app that is neither
// in state nor delivered is a working credential nobody holds. The plan
// removes it, apply does, and the next plan has nothing to do.
func TestE2EUnknownPasswordRemoved(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	w.converge()
	m := w.load()
	st := readState(t, w.statePath)
	rec, _ := st.Get(planner.AppAddress(m.Publisher.App.DisplayName).String())
	d, err := w.conn.Directory(t.Context(), m.Publisher.Tenant)
	if err != nil {
		t.Fatal(err)
	}
	np, err := d.AddPassword(t.Context(), rec.ID, m.Publisher.App.Secret.Description, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	p := w.plan(false)
	addr := "app." + m.Publisher.App.DisplayName + ".secret[" + strings.ToLower(np.KeyID) + "]"
	c := p.Change(planner.MustParseAddress(addr))
	if c == nil || c.Action != planner.Delete || !strings.Contains(c.Reason, "nobody holds") {
		t.Fatalf("plan does not remove the unknown password %s:\n%s", np.KeyID, changes(p))
	}
	if sec := p.Change(planner.PasswordAddress(m.Publisher.App.DisplayName)); sec == nil || sec.Action != planner.NoOp {
		t.Errorf("galshare's own secret is touched: %+v", sec)
	}
	if rep := w.apply(p); rep.ExitCode() != executor.ExitOK {
		t.Fatalf("apply: %d\n%s", rep.ExitCode(), failures(rep))
	}
	w.checkExactlyOnce()
	if p := w.plan(false); p.HasChanges() {
		t.Errorf("plan after removing the unknown password has changes:\n%s", changes(p))
	}
	if rep := w.verify(nil); !rep.OK {
		t.Errorf("verify fails:\n%s", dumpReport(rep))
	}
}
