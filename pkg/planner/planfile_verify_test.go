package planner

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// rederive builds the quickstart plan the way apply of a saved plan does:
// same inputs, Build's clock at the plan's created_at.
func rederive(t *testing.T, snap *Snapshot) *Plan {
	t.Helper()
	p, err := Build(quickstart(), snap, convergedState(), Options{Now: testNow, GalshareVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fileCopy is p through the saved-plan format, as apply reads it.
func fileCopy(t *testing.T, p *Plan) *Plan {
	t.Helper()
	b, err := MarshalPlanFile(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParsePlanFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestVerifyRederivedEqual(t *testing.T) {
	for name, p := range goldenPlans(t) {
		t.Run(name, func(t *testing.T) {
			if err := VerifyRederived(fileCopy(t, p), p); err != nil {
				t.Errorf("an unedited plan is refused: %v", err)
			}
		})
	}
}

func TestVerifyRederivedRefusesEdits(t *testing.T) {
	world := convergedWorld()
	world.App.App.RedirectURIs = []string{"https://example.com/drift"}
	base := rederive(t, world)
	roleAddr := "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg:Contributor]"
	find := func(p *Plan, prefix string) *Change {
		for i := range p.Changes {
			if strings.HasPrefix(p.Changes[i].Address.String(), prefix) {
				return &p.Changes[i]
			}
		}
		t.Fatalf("no change %s", prefix)
		return nil
	}
	tests := []struct {
		name      string
		edit      func(p *Plan)
		addr      string
		field     string
		wantStale bool
	}{
		{"role scope", func(p *Plan) { find(p, "role[").RoleAssignment.Scope = "/subscriptions/x" }, roleAddr, "role_assignment.scope", false},
		{"role guid", func(p *Plan) { find(p, "role[").RoleAssignment.RoleGUID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" }, roleAddr, "role_assignment.role_guid", false},
		{"deliver path", func(p *Plan) { find(p, "app.myGalleryApp.secret").Password.DeliverTo.Path = "/tmp/x" }, "app.myGalleryApp.secret[primary]", "password.deliver_to.path", false},
		{"lifetime", func(p *Plan) { find(p, "app.myGalleryApp.secret").Password.Lifetime = time.Hour }, "app.myGalleryApp.secret[primary]", "password.lifetime", false},
		{"app changed", func(p *Plan) { find(p, "app.myGalleryApp").App.Changed = nil }, "app.myGalleryApp", "app.changed", false},
		{"reason", func(p *Plan) { find(p, "app.myGalleryApp").Reason = "x" }, "app.myGalleryApp", "reason", false},
		{"depends on", func(p *Plan) { find(p, "role[").DependsOn = nil }, roleAddr, "depends_on", false},
		{"action", func(p *Plan) { find(p, "app.myGalleryApp").Action = NoOp }, "app.myGalleryApp", "action", false},
		{"fingerprint", func(p *Plan) { find(p, "app.myGalleryApp").Fingerprint = "other" }, "app.myGalleryApp", "fingerprint", true},
		{"removed", func(p *Plan) { p.Changes = p.Changes[:len(p.Changes)-1] }, base.Changes[len(base.Changes)-1].Address.String(), "", false},
		{"manifest name", func(p *Plan) { p.Manifest.Name = "other" }, "", "manifest.name", false},
		{"no preflight", func(p *Plan) { p.NoPreflight = true }, "", "no_preflight", false},
		{"tenant readable", func(p *Plan) { p.Tenants[1].Readable = false }, "", "tenants[1].readable", true},
		{"tenant access", func(p *Plan) { p.Tenants[1].Access = "manual" }, "", "tenants[1].access", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := fileCopy(t, base)
			tt.edit(file)
			err := VerifyRederived(file, base)
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a *MismatchError", err)
			}
			found := false
			for _, m := range me.Mismatches {
				found = found || (m.Address == tt.addr && m.Field == tt.field)
			}
			if !found {
				t.Errorf("no mismatch at %s %s in %+v", tt.addr, tt.field, me.Mismatches)
			}
			if me.Stale() != tt.wantStale {
				t.Errorf("Stale() = %v, want %v", me.Stale(), tt.wantStale)
			}
			msg := err.Error()
			if tt.addr != "" && !strings.Contains(msg, tt.addr) {
				t.Errorf("the message does not name %s:\n%s", tt.addr, msg)
			}
			if want := "edited or is corrupt"; !tt.wantStale && !strings.Contains(msg, want) {
				t.Errorf("the message does not say %q:\n%s", want, msg)
			}
			if want := "stale"; tt.wantStale && !strings.Contains(msg, want) {
				t.Errorf("the message does not say %q:\n%s", want, msg)
			}
		})
	}
}

// A wait the file has is accepted when the image is ready since (or its
// progress moved); the reverse — the file skipping a wait still needed — is
// refused.
func TestVerifyRederivedWaits(t *testing.T) {
	waiting := emptyWorld()
	ready := emptyWorld()
	ready.Versions = convergedWorld().Versions
	build := func(s *Snapshot) *Plan {
		p, err := Build(quickstart(), s, nil, Options{Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pWait, pReady := build(waiting), build(ready)
	addr := WaitAddress("myGallery", "ubuntu-2204", "1.0.0")
	if pWait.Change(addr).Action != Wait || pReady.Change(addr).Action != NoOp {
		t.Fatalf("fixtures: wait %s, ready %s", pWait.Change(addr).Action, pReady.Change(addr).Action)
	}
	if err := VerifyRederived(fileCopy(t, pWait), pReady); err != nil {
		t.Errorf("a wait no longer needed is refused: %v", err)
	}
	progressed := fileCopy(t, pWait)
	progressed.Change(addr).Reason = "not ready: provisioning Creating, 0/2 regions completed"
	if err := VerifyRederived(progressed, pWait); err != nil {
		t.Errorf("a wait whose progress moved is refused: %v", err)
	}
	var me *MismatchError
	if err := VerifyRederived(fileCopy(t, pReady), pWait); !errors.As(err, &me) || !me.Stale() {
		t.Errorf("a plan file without a wait still needed: %v, want refused as stale", err)
	}
	failed := emptyWorld()
	v := *replicatingVersion()
	v.ProvisioningState = "Failed"
	failed.Versions[VersionKey(galleryID, "ubuntu-2204", "1.0.0")] = VersionObs{Obs: Obs{Status: Found}, Version: &v}
	if pFailed := build(failed); pFailed.Change(addr).Action != Blocked {
		t.Errorf("fixture: a failed version gives %s", pFailed.Change(addr).Action)
	} else if err := VerifyRederived(fileCopy(t, pWait), pFailed); !errors.As(err, &me) || !me.Stale() {
		t.Errorf("a wait for a version that failed since: %v, want refused as stale", err)
	}
	edited := fileCopy(t, pWait)
	edited.Change(addr).Wait.Version = "9.9.9"
	if err := VerifyRederived(edited, pReady); err == nil {
		t.Error("a wait for another version is accepted")
	}
}

// The message bounds its list and quotes values as JSON.
func TestMismatchErrorMessage(t *testing.T) {
	var ms []Mismatch
	for range 30 {
		ms = append(ms, Mismatch{Address: "sp[x]", Field: "service_principal.tags", File: `["a"]`, Derived: `["b"]`})
	}
	msg := (&MismatchError{Mismatches: ms}).Error()
	if !strings.Contains(msg, `sp[x]: service_principal.tags is ["a"] in the plan file, but ["b"] from the manifest`) {
		t.Errorf("message:\n%s", msg)
	}
	if !strings.Contains(msg, "and 10 more differences") || !strings.Contains(msg, "nothing was applied") {
		t.Errorf("message:\n%s", msg)
	}
}

// BenchmarkVerifyRederived500 compares a 500-consumer plan (1,005 changes)
// with its re-derivation, the CPU apply of a saved plan adds to its refresh.
func BenchmarkVerifyRederived500(b *testing.B) {
	p := bigPlan(b, 500)
	bs, err := MarshalPlanFile(p)
	if err != nil {
		b.Fatal(err)
	}
	file, err := ParsePlanFile(bs) // as apply reads it
	if err != nil {
		b.Fatal(err)
	}
	q := bigPlan(b, 500)
	for b.Loop() {
		if err := VerifyRederived(file, q); err != nil {
			b.Fatal(err)
		}
	}
}
