package executor_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/galshare/galshare/pkg/executor"
)

// Issue 14.4: the simulator stopped mid-apply was retried for five minutes
// per action ("still failing after 13 attempts over 4m48s … connection
// refused") and the consumer tenant was reported as "authentication failed
// … check the credentials". Now the actions after the stop fail at once,
// naming the endpoint and saying it is the network.
func TestE2EDeadEndpointMidApply(t *testing.T) {
	w := newSimWorld(t, "quickstart")
	w.replicateNow()
	p := w.plan(false)
	var once sync.Once
	stop := func(string) {
		once.Do(func() {
			if err := w.sim.Close(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	rep := w.applyWithHooks(p, &executor.Hooks{AfterRecord: stop})
	if rep.ExitCode() != executor.ExitFailure || len(rep.Summary.Failures) == 0 {
		t.Fatalf("exit %d, summary %+v", rep.ExitCode(), rep.Summary)
	}
	endpoint := strings.TrimSuffix(w.conn.Environment().AuthorityHost, "/")
	for _, f := range rep.Summary.Failures {
		for _, want := range []string{"cannot reach " + endpoint + " (connection refused)", "the network, not the credentials"} {
			if !strings.Contains(f.Error, want) {
				t.Errorf("%s: failure lacks %q: %s", f.Address, want, f.Error)
			}
		}
		for _, bad := range []string{"authentication failed", "check the credentials", "still failing after"} {
			if strings.Contains(f.Error, bad) || strings.Contains(f.Fix, bad) {
				t.Errorf("%s: failure says %q: %s; fix: %s", f.Address, bad, f.Error, f.Fix)
			}
		}
	}
}
