package main

import (
	"context"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// TestApplyRefusesToDeleteWhatStateWronglyClaims: a hand-added state record
// "origin: created" points at the operator's own User Access Administrator
// assignment (another principal, no galshare marker). Plan and apply must not
// delete it: the plan says why and only drops the record (issue 12, item 6).
func TestApplyRefusesToDeleteWhatStateWronglyClaims(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	if code, out, errOut := w.run("apply", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	uaa := operatorAssignment(t, w.sim, "User Access Administrator")
	addr := planner.ConsumerRoleAddress("fabrikam", uaa.Scope, "User Access Administrator").String()
	w.editState(func(s *state.State) error {
		return s.Put(state.Resource{Address: addr, Type: state.TypeRoleAssignment, Tenant: uaa.Tenant, ID: uaa.ID,
			Origin: state.OriginCreated, Attributes: map[string]string{
				"scope": uaa.Scope, "roleDefinitionGuid": uaa.RoleID, "roleName": uaa.RoleName, "principalId": uaa.PrincipalID}})
	})

	code, out, errOut := w.run("plan", w.manifest)
	if code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "to destroy") && !strings.Contains(out, "0 to destroy") {
		t.Errorf("the plan destroys something:\n%s", out)
	}
	if !strings.Contains(out, "refusing to delete") || !strings.Contains(out, uaa.PrincipalID) {
		t.Errorf("the plan does not say why it leaves %s alone:\n%s", addr, out)
	}
	if code, out, errOut := w.run("apply", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	if !assignmentExists(w.sim, uaa.ID) {
		t.Fatal("apply deleted the operator's User Access Administrator assignment")
	}
	st, err := state.Read(w.statePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Get(addr); ok {
		t.Errorf("the wrong record %s is still in state", addr)
	}
	if code, out, errOut := w.run("destroy", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("destroy: %d\n%s%s", code, out, errOut)
	}
	if !assignmentExists(w.sim, uaa.ID) {
		t.Fatal("destroy deleted the operator's User Access Administrator assignment")
	}
}

// operatorAssignment is the seeded assignment of role to an operator.
func operatorAssignment(t *testing.T, sim *azsim.Sim, role string) azsim.RoleAssignmentView {
	t.Helper()
	for _, ra := range sim.RoleAssignments() {
		if ra.RoleName == role {
			return ra
		}
	}
	t.Fatalf("no %s assignment in the simulator", role)
	return azsim.RoleAssignmentView{}
}

func assignmentExists(sim *azsim.Sim, id string) bool {
	for _, ra := range sim.RoleAssignments() {
		if strings.EqualFold(ra.ID, id) {
			return true
		}
	}
	return false
}

// editState changes the state file as an operator editing it by hand would.
func (w *cliWorld) editState(fn func(*state.State) error) {
	w.t.Helper()
	hd, err := state.Open(context.Background(), w.statePath, state.LockOptions{Operation: "edit", Who: "test"})
	if err != nil {
		w.t.Fatal(err)
	}
	defer func() { _ = hd.Close() }()
	if err := hd.Update(context.Background(), fn); err != nil {
		w.t.Fatal(err)
	}
}
