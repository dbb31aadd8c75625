package executor_test

import (
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/executor"
)

// TestRoleAssignmentNoReadBack is the evidence for not reading a created
// role assignment back (createRoleAssignment): with Entra replication lag,
// apply still reads the new service principals back (they lag), never the
// role assignments it PUT, and the plan made right after the apply — still
// inside the lag window — has nothing to do.
func TestRoleAssignmentNoReadBack(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	w.sim.SetLag(300 * time.Millisecond)
	p := w.plan(false)
	w.sim.ResetStats()
	rep := w.apply(p)
	if rep.ExitCode() != executor.ExitOK && rep.ExitCode() != executor.ExitBlocked {
		t.Fatalf("apply failed:\n%s", failures(rep))
	}
	st := w.sim.Stats()
	// The simulator labels a GET by id and a list alike ("GET
	// roleAssignments"); a first apply has no other reason to make either.
	puts, gets := st.Routes["PUT roleAssignments"], st.Routes["GET roleAssignments"]
	if puts == 0 {
		t.Fatalf("apply made no role assignment; routes %v", st.Routes)
	}
	if testing.Verbose() {
		t.Logf("exit %d, routes %v", rep.ExitCode(), st.Routes)
	}
	if gets != 0 {
		t.Errorf("apply read role assignments back %d times after %d PUTs; routes %v", gets, puts, st.Routes)
	}
	if st.Routes["GET servicePrincipal"] == 0 {
		t.Errorf("apply did not read the new service principals back despite the lag; routes %v", st.Routes)
	}
	if rep.ExitCode() == executor.ExitOK {
		if p := w.plan(false); p.HasChanges() {
			t.Errorf("plan right after apply (lag %s) has changes:\n%s", w.sim.Lag(), changes(p))
		}
	}
}
