package planner

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

// signingFake is fakeAzure plus sign-ins: it records each (tenant, API)
// sign-in and flags any client handed out before its tenant signed in to
// that API.
type signingFake struct {
	*fakeAzure
	mu      sync.Mutex
	signed  map[signInKey]int
	early   []string
	signDur time.Duration
}

func (s *signingFake) sign(tenant string, a api) error {
	time.Sleep(s.signDur)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signed[signInKey{TenantKey(tenant), a}]++
	return nil
}

func (s *signingFake) SignIn(_ context.Context, t string) error      { return s.sign(t, apiARM) }
func (s *signingFake) SignInGraph(_ context.Context, t string) error { return s.sign(t, apiGraph) }

func (s *signingFake) check(tenant string, a api, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signed[signInKey{TenantKey(tenant), a}] == 0 {
		s.early = append(s.early, what+" "+tenant)
	}
}

func (s *signingFake) Directory(ctx context.Context, t string) (azure.Directory, error) {
	s.check(t, apiGraph, "Graph")
	return s.fakeAzure.Directory(ctx, t)
}

func (s *signingFake) Resources(ctx context.Context, t string) (azure.Resources, error) {
	s.check(t, apiARM, "ARM")
	return s.fakeAzure.Resources(ctx, t)
}

func TestRefreshSignsInOnceBeforeReading(t *testing.T) {
	m := manyConsumers(12)
	for i := range m.Consumers {
		if m.Consumers[i].Access == spec.AccessManaged {
			// A second grant: two ARM reads per tenant compete for its token.
			g := m.Consumers[i].Grants[0]
			g.Scope += "2"
			m.Consumers[i].Grants = append(m.Consumers[i].Grants, g)
		}
	}
	f := newFake()
	f.delay = time.Millisecond
	managed := 0
	for _, c := range m.Consumers {
		if c.Access == spec.AccessManaged {
			managed++
			f.creds[c.Tenant] = true
			f.sps[c.Tenant] = &azure.ServicePrincipal{Tenant: c.Tenant, ObjectID: "sp-" + c.Name, AppID: appID}
		}
	}
	f.creds[tPub] = true
	f.app = liveApp(MarkerTag(manifestN))
	f.sps[tPub] = &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID}
	f.versions["ubuntu-2204/1.0.0"] = readyVersion()
	s := &signingFake{fakeAzure: f, signed: map[signInKey]int{}, signDur: 3 * time.Millisecond}

	if _, err := Refresh(t.Context(), m, nil, s, RefreshOptions{Parallelism: 4, NoPreflight: true}); err != nil {
		t.Fatal(err)
	}
	if len(s.early) > 0 {
		t.Errorf("clients used before signing in: %v", s.early)
	}
	for k, n := range s.signed {
		if n != 1 {
			t.Errorf("%+v signed in %d times, want once", k, n)
		}
	}
	// Graph and ARM in the publisher and in every managed consumer.
	if want := 2 * (1 + managed); len(s.signed) != want {
		t.Errorf("%d sign-ins, want %d", len(s.signed), want)
	}
	if _, ok := s.signed[signInKey{TenantKey(tGamma), apiARM}]; ok {
		t.Error("signed in to the manual tenant without credentials")
	}
}
