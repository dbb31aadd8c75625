package executor

import (
	"testing"

	"github.com/galshare/galshare/pkg/planner"
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
