package executor_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
)

var examples = []string{"quickstart", "partner-msp", "acquisition", "keyvault"}

// converge applies plans until nothing is blocked: a blocked consumer gets
// the admin consent and role grants a human would make (through the
// simulator), then apply runs again and must complete. It returns the first
// apply's exit code.
func (w *simWorld) converge() int {
	w.t.Helper()
	first := -1
	for round := 0; round < 4; round++ {
		p := w.plan(false)
		rep := w.apply(p)
		if first < 0 {
			first = rep.ExitCode()
		}
		switch rep.ExitCode() {
		case executor.ExitOK:
			return first
		case executor.ExitBlocked:
			w.actAsAdmins(p)
		default:
			w.t.Fatalf("apply round %d failed:\n%s", round, failures(rep))
		}
	}
	w.t.Fatalf("apply did not converge after 4 rounds")
	return first
}

// actAsAdmins does what the blocked actions ask a human to do: consent in
// the tenant (creates the SP) and make the role grants.
func (w *simWorld) actAsAdmins(p *planner.Plan) {
	w.t.Helper()
	appID := ""
	if c := p.Change(planner.AppAddress(w.load().Publisher.App.DisplayName)); c != nil {
		appID = c.App.AppID
	}
	if appID == "" {
		// The app was created by this very apply: read it from state.
		st := readState(w.t, w.statePath)
		r, _ := st.Get(planner.AppAddress(w.load().Publisher.App.DisplayName).String())
		appID = r.Attributes["appId"]
	}
	for _, c := range p.Changes {
		if c.Action != planner.Blocked {
			continue
		}
		switch c.Type {
		case planner.TypeServicePrincipal:
			if _, err := w.sim.ConsentAsAdmin(c.Tenant, appID); err != nil {
				w.t.Fatalf("consent in %s: %v", c.Tenant, err)
			}
		case planner.TypeRoleAssignment:
			sp, ok := w.sim.ServicePrincipal(c.Tenant, appID)
			if !ok {
				w.t.Fatalf("no SP in %s to grant %s to", c.Tenant, c.Address)
			}
			if _, err := w.sim.GrantRole(c.RoleAssignment.Scope, c.RoleAssignment.RoleGUID, sp.ID); err != nil {
				w.t.Fatalf("grant %s: %v", c.Address, err)
			}
		}
	}
}

func TestE2EExamplesConvergeAndDestroy(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newSimWorld(t, name)
			w.converge()

			// A second plan shows no changes, and neither it nor an apply
			// of it writes anything.
			w.sim.ResetStats()
			p := w.plan(false)
			if p.HasChanges() || p.IsBlocked() {
				t.Fatalf("second plan has changes:\n%s", changes(p))
			}
			if rep := w.apply(p); rep.ExitCode() != executor.ExitOK {
				t.Fatalf("no-op apply: %d\n%s", rep.ExitCode(), failures(rep))
			}
			if st := w.sim.Stats(); st.Writes != 0 {
				t.Errorf("no-op plan+apply made %d write calls: %v", st.Writes, st.Routes)
			}
			w.checkExactlyOnce()

			// Destroy leaves nothing galshare made.
			pd := w.plan(true)
			if rep := w.apply(pd); rep.ExitCode() != executor.ExitOK {
				t.Fatalf("destroy: %d\n%s", rep.ExitCode(), failures(rep))
			}
			m := w.load()
			for _, a := range w.sim.Applications(m.Publisher.Tenant) {
				if a.UniqueName == m.Publisher.App.UniqueName {
					t.Errorf("app %s survived destroy", a.AppID)
				}
			}
			st := readState(t, w.statePath)
			for _, r := range st.Resources {
				if r.Origin == "created" {
					t.Errorf("state still holds created %s after destroy", r.Address)
				}
			}
			if pd2 := w.plan(true); pd2.HasChanges() {
				t.Errorf("a second destroy plan still has changes:\n%s", changes(pd2))
			}
		})
	}
}

// checkExactlyOnce asserts Azure-side truth: one app with one password,
// at most one SP per tenant, no duplicate role assignment.
func (w *simWorld) checkExactlyOnce() {
	w.t.Helper()
	m := w.load()
	var mine []azsim.AppView
	for _, a := range w.sim.Applications(m.Publisher.Tenant) {
		if a.UniqueName == m.Publisher.App.UniqueName || a.DisplayName == m.Publisher.App.DisplayName {
			mine = append(mine, a)
		}
	}
	if len(mine) != 1 {
		w.t.Fatalf("%d apps for the manifest, want 1", len(mine))
	}
	app := mine[0]
	if m.Publisher.App.Secret != nil && len(app.Passwords) != 1 {
		w.t.Errorf("app has %d passwords, want 1: %+v", len(app.Passwords), app.Passwords)
	}
	tenants := []string{m.Publisher.Tenant}
	for _, c := range m.Consumers {
		tenants = append(tenants, c.Tenant)
	}
	spIDs := map[string]bool{}
	for _, tn := range tenants {
		n := 0
		for _, sp := range w.sim.ServicePrincipals(tn) {
			if sp.AppID == app.AppID {
				n++
				spIDs[strings.ToLower(sp.ID)] = true
			}
		}
		if n != 1 {
			w.t.Errorf("tenant %s has %d SPs of the app, want 1", tn, n)
		}
	}
	seen := map[string]int{}
	for _, ra := range w.sim.RoleAssignments() {
		if spIDs[strings.ToLower(ra.PrincipalID)] {
			seen[strings.ToLower(ra.Scope)+"|"+strings.ToLower(ra.RoleID)]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			w.t.Errorf("role assignment %s exists %d times", k, n)
		}
	}
}

// TestE2EStateFileLost: after a converged apply the state file (and its
// backup) are deleted; the next plan re-discovers everything and the apply
// duplicates nothing.
func TestE2EStateFileLost(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	w.converge()
	for _, suffix := range []string{"", ".backup"} {
		if err := os.Remove(w.statePath + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	w.sim.ResetStats()
	p := w.plan(false)
	rep := w.apply(p)
	if rep.ExitCode() != executor.ExitOK {
		t.Fatalf("apply after state loss: %d\n%s\nplan:\n%s", rep.ExitCode(), failures(rep), changes(p))
	}
	if n := w.sim.Stats().Routes["POST addPassword"]; n != 0 {
		t.Errorf("state loss made apply add %d passwords (plan:\n%s)", n, changes(p))
	}
	w.checkExactlyOnce()
	if p2 := w.plan(false); p2.HasChanges() {
		t.Errorf("plan after recovery has changes:\n%s", changes(p2))
	}
}

// TestE2ECrashAtEachWrite interrupts the first apply of the quickstart right
// after its Nth write call, before the result is recorded (the moment a
// crash loses most), for every N; a fresh plan and apply must converge with
// nothing duplicated.
func TestE2ECrashAtEachWrite(t *testing.T) {
	for n := 1; n <= 6; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			w := newSimWorld(t, "quickstart")
			w.replicateNow()
			var count atomic.Int32
			hooks := &executor.Hooks{AfterCall: func(string) {
				if count.Add(1) == int32(n) {
					panic("simulated crash")
				}
			}}
			p := w.plan(false)
			w.applyWithHooks(p, hooks)
			w.converge()
			w.checkExactlyOnce()
			if st := readState(t, w.statePath); len(st.Journal) != 0 {
				t.Errorf("journal left: %+v", st.Journal)
			}
		})
	}
}

// TestE2ENoSecretInAnyOutput runs a full lifecycle with JSON events and
// trace logs captured, saves every plan as a file, and scans all of it (and
// the state and its backup) for the delivered secret value.
func TestE2ENoSecretInAnyOutput(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	var out bytes.Buffer
	w.events = &out
	w.converge()
	secretFile := filepath.Join(w.dir, "secrets", "myGalleryApp.json")
	doc, err := azure.ReadDeliveredSecret(secretFile)
	if err != nil || doc.Secret.IsZero() {
		t.Fatalf("delivered file: %v", err)
	}
	if fi, _ := os.Stat(secretFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("delivered file mode %v", fi.Mode().Perm())
	}
	for i, destroy := range []bool{false, true} {
		p := w.plan(destroy)
		pf := filepath.Join(w.dir, fmt.Sprintf("plan%d.json", i))
		if err := planner.WritePlanFile(pf, p); err != nil {
			t.Fatal(err)
		}
		w.apply(p)
	}
	files := []string{w.statePath, w.statePath + ".backup", filepath.Join(w.dir, "plan0.json"), filepath.Join(w.dir, "plan1.json")}
	blobs := map[string][]byte{"events": out.Bytes(), "trace logs": w.logs.Bytes()}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		blobs[filepath.Base(f)] = b
	}
	if out.Len() == 0 {
		t.Fatal("no events captured")
	}
	for name, b := range blobs {
		if bytes.Contains(b, []byte(doc.Secret.Reveal())) {
			t.Errorf("secret value found in %s", name)
		}
	}
}

// TestE2EConvergesUnderFaults applies the quickstart while the simulator
// throttles, fails and drops requests; the result must still be exactly one
// of everything, with the delivered secret being the live password.
func TestE2EConvergesUnderFaults(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			w := newSimWorld(t, "quickstart")
			w.replicateNow()
			// Faults only while applying: refresh has its own retry story.
			for round := 0; ; round++ {
				p := w.plan(false)
				if !p.HasChanges() {
					break
				}
				if round == 5 {
					t.Fatalf("not converged after 5 applies under faults:\n%s", changes(p))
				}
				w.sim.SetFaults(azsim.FaultProfile{Seed: seed, Rate429: 0.1, Rate5xx: 0.1, RateReset: 0.05, RetryAfter: 50 * time.Millisecond})
				rep := w.apply(p)
				w.sim.SetFaults(azsim.FaultProfile{})
				if rep.ExitCode() != executor.ExitOK {
					t.Logf("round %d under faults: %s", round, failures(rep))
				}
			}
			w.checkExactlyOnce()
			if p := w.plan(false); p.HasChanges() {
				t.Errorf("plan after a faulty apply has changes:\n%s", changes(p))
			}
			doc, err := azure.ReadDeliveredSecret(filepath.Join(w.dir, "secrets", "myGalleryApp.json"))
			if err != nil {
				t.Fatalf("delivered secret: %v", err)
			}
			if app, _ := w.sim.Application(doc.ClientID); len(app.Passwords) != 1 || app.Passwords[0].KeyID != doc.KeyID {
				t.Errorf("delivered %s, live %+v", doc.KeyID, app.Passwords)
			}
		})
	}
}

// TestE2ERotation: when the secret is inside its renewBefore window, apply
// adds a new password, delivers it, then removes the old one; the app ends
// with exactly the delivered password and a later plan has nothing to do.
func TestE2ERotation(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	w.converge()
	secretFile := filepath.Join(w.dir, "secrets", "myGalleryApp.json")
	read := func() azure.DeliveredSecret {
		doc, err := azure.ReadDeliveredSecret(secretFile)
		if err != nil {
			t.Fatalf("delivered secret: %v", err)
		}
		return doc
	}
	old := read()
	p := w.planAt(false, time.Now().Add(8760*time.Hour-10*24*time.Hour)) // 10 days left
	c := p.Change(planner.PasswordAddress("myGalleryApp"))
	if c == nil || c.Action != planner.Replace || c.Password.ReplacesKeyID != old.KeyID {
		t.Fatalf("no rotation planned:\n%s", changes(p))
	}
	if rep := w.apply(p); rep.ExitCode() != executor.ExitOK {
		t.Fatalf("rotation: %s", failures(rep))
	}
	cur := read()
	if cur.KeyID == old.KeyID || cur.Secret == old.Secret {
		t.Fatal("the delivered secret was not replaced")
	}
	app, _ := w.sim.Application(cur.ClientID)
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID != cur.KeyID {
		t.Errorf("after rotation the app has %+v, want only %s", app.Passwords, cur.KeyID)
	}
	if r, _ := readState(t, w.statePath).Get(c.Address.String()); r.ID != cur.KeyID {
		t.Errorf("state keyId %s, want %s", r.ID, cur.KeyID)
	}
	if p2 := w.plan(false); p2.HasChanges() {
		t.Errorf("plan after rotation has changes:\n%s", changes(p2))
	}
}
