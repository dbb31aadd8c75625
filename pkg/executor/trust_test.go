package executor

import (
	"errors"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// TestRoleAssignmentAnswerWithoutIDIsNotCreated: a PUT answered with an
// assignment that has no id is not "created with an empty id": it is an
// unknown outcome, retried (the PUT is idempotent), and state records the
// real id.
func TestRoleAssignmentAnswerWithoutIDIsNotCreated(t *testing.T) {
	h := newHarness(t)
	h.fake.blankRA = 1
	rep := h.apply(quickstartPlan(h.deliverTo), nil)
	if rep.ExitCode() != ExitOK {
		t.Fatalf("%+v", rep.Summary.Failures)
	}
	st := h.state()
	for _, a := range []planner.Address{addrGalRole, addrConRole} {
		if r, ok := st.Get(a.String()); !ok || r.ID == "" {
			t.Errorf("%s recorded as %+v, want the assignment's id", a, r)
		}
	}
}

// TestDeleteRefusesWhatIsNotGalshares: whatever the plan and state say, a
// delete re-reads the live object and refuses one that is not galshare's —
// the operator's own User Access Administrator assignment, a service
// principal or app without galshare's tag, a password under another name —
// naming what it expected and what it found; nothing is deleted.
func TestDeleteRefusesWhatIsNotGalshares(t *testing.T) {
	const operator = "99999999-0000-4000-8000-00000000a11a"
	uaaScope := "/subscriptions/bbbbbbbb-0000-0000-0000-000000000002"
	uaaAddr := planner.ConsumerRoleAddress("fabrikam", uaaScope, "User Access Administrator")
	tests := []struct {
		name string
		// change builds the delete (and may edit the world and state) once
		// the quickstart is applied.
		change func(h *harness, st *state.State) planner.Change
		want   []string
	}{
		{"operator's UAA assignment, state's principal", func(h *harness, st *state.State) planner.Change {
			id := uaaScope + "/providers/Microsoft.Authorization/roleAssignments/0429a8d5-e072-5b30-b73f-2b15c9ffb6f3"
			h.fake.ras[strings.ToLower(id)] = &azure.RoleAssignment{ID: id, Name: "0429a8d5-e072-5b30-b73f-2b15c9ffb6f3", Scope: uaaScope,
				RoleDefinitionGUID: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", PrincipalID: operator, PrincipalType: "User"}
			putRecord(h, state.Resource{Address: uaaAddr.String(), Type: state.TypeRoleAssignment, Tenant: tCons, ID: id,
				Origin: state.OriginCreated, Attributes: map[string]string{"scope": uaaScope, "principalId": operator}})
			return planner.Change{Address: uaaAddr, Type: planner.TypeRoleAssignment, Tenant: tCons, Action: planner.Delete,
				RoleAssignment: &planner.RoleAssignmentPayload{Scope: uaaScope, PrincipalFrom: addrSPCons, PrincipalID: operator, ExistingID: id}}
		}, []string{"refusing to delete role assignment", `description "managed by galshare (…)"`, `found description ""`}},
		{"operator's UAA assignment, galshare's principal", func(h *harness, st *state.State) planner.Change {
			id := uaaScope + "/providers/Microsoft.Authorization/roleAssignments/0429a8d5-e072-5b30-b73f-2b15c9ffb6f3"
			h.fake.ras[strings.ToLower(id)] = &azure.RoleAssignment{ID: id, Scope: uaaScope, PrincipalID: operator,
				Description: "managed by galshare (contoso-golden-images)"}
			sp, _ := st.Get(addrSPCons.String())
			return planner.Change{Address: uaaAddr, Type: planner.TypeRoleAssignment, Tenant: tCons, Action: planner.Delete,
				RoleAssignment: &planner.RoleAssignmentPayload{Scope: uaaScope, PrincipalFrom: addrSPCons, PrincipalID: sp.ID, ExistingID: id}}
		}, []string{"expected principal sp-", "found principal " + operator}},
		{"service principal without galshare's tag", func(h *harness, st *state.State) planner.Change {
			r, _ := st.Get(addrSPCons.String())
			for _, sp := range h.fake.sps {
				if sp.ObjectID == r.ID {
					sp.Tags = nil
				}
			}
			return planner.Change{Address: addrSPCons, Type: planner.TypeServicePrincipal, Tenant: tCons, Action: planner.Delete,
				ServicePrincipal: &planner.ServicePrincipalPayload{Consumer: "fabrikam", AppAddress: addrApp, AppID: r.Attributes["appId"], ObjectID: r.ID}}
		}, []string{"refusing to delete service principal", "a galshare:… tag", "found tags []"}},
		{"app without galshare's tag", func(h *harness, st *state.State) planner.Change {
			app := onlyApp(t, h.fake)
			app.Tags = []string{"team:images"}
			return planner.Change{Address: addrApp, Type: planner.TypeApplication, Tenant: tPub, Action: planner.Delete,
				App: &planner.AppPayload{DisplayName: "myGalleryApp", ObjectID: app.ObjectID, AppID: app.AppID}}
		}, []string{"refusing to delete app", `found tags ["team:images"]`}},
		{"password under another name", func(h *harness, st *state.State) planner.Change {
			app := onlyApp(t, h.fake)
			app.Passwords[0].DisplayName = "operator's break-glass secret"
			return planner.Change{Address: addrPwd, Type: planner.TypePassword, Tenant: tPub, Action: planner.Delete,
				Password: &planner.PasswordPayload{AppAddress: addrApp, AppObjectID: app.ObjectID, AppID: app.AppID, KeyID: app.Passwords[0].KeyID}}
		}, []string{"refusing to delete password", `found displayName "operator's break-glass secret"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.apply(quickstartPlan(h.deliverTo), nil)
			c := tt.change(h, h.state())
			before := h.fake.count("DeleteRoleAssignment") + h.fake.count("DeleteServicePrincipal") +
				h.fake.count("DeleteApplication") + h.fake.count("RemovePassword")
			rep := h.apply(&planner.Plan{FormatVersion: planner.FormatVersion, Changes: []planner.Change{c}}, nil)
			res := resultOf(t, rep, c.Address)
			if res.Status != StatusFailed {
				t.Fatalf("delete: %v %v, want failed", res.Status, res.Err)
			}
			var ne *NotOursError
			if !errors.As(res.Err, &ne) {
				t.Errorf("err = %v, want a *NotOursError", res.Err)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Err.Error(), w) {
					t.Errorf("err = %v\nwant it to mention %q", res.Err, w)
				}
			}
			after := h.fake.count("DeleteRoleAssignment") + h.fake.count("DeleteServicePrincipal") +
				h.fake.count("DeleteApplication") + h.fake.count("RemovePassword")
			if after != before {
				t.Errorf("%d delete calls made", after-before)
			}
			if j := h.state().Journal; len(j) != 0 {
				t.Errorf("journal %+v", j)
			}
		})
	}
}

// TestReadBackOfAnotherObjectFails: a read-back after a create, or a re-read
// before a write, that returns an object with another immutable identity
// (here the service principal of another app) fails naming both values.
func TestReadBackOfAnotherObjectFails(t *testing.T) {
	h := newHarness(t)
	h.fake.spAppIDOverride = "appid-of-someone-else"
	rep := h.apply(quickstartPlan(h.deliverTo), nil)
	res := resultOf(t, rep, addrSPPub)
	var ie *IdentityError
	if !errors.As(res.Err, &ie) || !strings.Contains(res.Err.Error(), "appid-of-someone-else") || !strings.Contains(res.Err.Error(), "appid-0002") {
		t.Errorf("err = %v, want an *IdentityError naming both appIds", res.Err)
	}
}

// putRecord writes one state record as a hand edit would.
func putRecord(h *harness, r state.Resource) {
	h.t.Helper()
	hd, err := state.Open(h.t.Context(), h.statePath, state.LockOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = hd.Close() }()
	if err := hd.Update(h.t.Context(), func(s *state.State) error { return s.Put(r) }); err != nil {
		h.t.Fatal(err)
	}
}
