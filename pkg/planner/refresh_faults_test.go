package planner

import (
	"fmt"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/google/go-cmp/cmp"
)

// TestSimRefreshUnderFaults: with 10% 429 and 10% 5xx on every route (sign-in
// included), a quickstart refresh through a connector with galshare's default
// retry options succeeds and reads the same world as without faults, for
// several fault seeds, on an empty and on a converged world. Refresh has no
// retrier of its own: the pipeline's retries must carry it.
func TestSimRefreshUnderFaults(t *testing.T) {
	const faultSeeds = 10
	e := startSim(t, loadSeed(t, "quickstart"), nil)
	m := loadManifest(t, "quickstart")
	// Replication done, so that the wait reads the same on every refresh.
	for _, g := range m.Publisher.Galleries {
		for _, v := range g.WaitFor {
			if err := e.sim.SetVersionReplication(g.ID+"/images/"+v.Image+"/versions/"+v.Version, "completed", 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	refresh := func(seed int) (map[string]string, error) {
		// A new connector per refresh, so that sign-in meets the faults too.
		// Retry counts and budget are galshare's defaults; only the base
		// delay for a 500 (which has no Retry-After) is shortened.
		conn, err := azure.NewConnector(azure.Options{Env: e.env, LookupEnv: func(string) (string, bool) { return "", false },
			Retry: policy.RetryOptions{RetryDelay: 20 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		snap, err := Refresh(t.Context(), m, nil, conn, RefreshOptions{})
		if err != nil {
			return nil, err
		}
		p, err := Build(m, snap, nil, Options{AuthorityHost: e.env.AuthorityHost})
		if err != nil {
			t.Fatalf("seed %d: build: %v", seed, err)
		}
		got := map[string]string{}
		for _, c := range p.Changes {
			got[c.Address.String()] = fmt.Sprintf("%s adopt=%v", c.Action, c.Adopt)
		}
		return got, nil
	}
	for _, world := range []string{"empty", "converged"} {
		if world == "converged" {
			(&byHand{t: t, e: e, m: m, marked: true}).everything()
		}
		e.sim.SetFaults(azsim.FaultProfile{})
		want, err := refresh(0)
		if err != nil {
			t.Fatalf("%s world without faults: %v", world, err)
		}
		e.sim.ResetStats()
		for seed := 1; seed <= faultSeeds; seed++ {
			faults, err := azsim.ParseFaults(fmt.Sprintf("429=0.1,5xx=0.1,seed=%d", seed))
			if err != nil {
				t.Fatal(err)
			}
			e.sim.SetFaults(faults)
			got, err := refresh(seed)
			if err != nil {
				t.Errorf("%s world, fault seed %d: refresh failed: %v", world, seed, err)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s world, fault seed %d: plan differs from the fault-free one (-want +got):\n%s", world, seed, diff)
			}
		}
		e.sim.SetFaults(azsim.FaultProfile{})
		st := e.sim.Stats()
		if st.Faults["429"] == 0 || st.Faults["500"]+st.Faults["503"] == 0 {
			t.Errorf("%s world: no faults injected: %v", world, st.Faults)
		}
		t.Logf("%s world: %d requests over %d refreshes, faults %v", world, st.Total, faultSeeds, st.Faults)
	}
}
