package azure

import (
	"strings"
	"testing"
)

// TestSimSignInFillsClientTokenCache proves SignIn and SignInGraph ask for the
// token the SDK clients then reuse: one token request per audience in all,
// and the reads after them request none.
func TestSimSignInFillsClientTokenCache(t *testing.T) {
	tests := []struct {
		name string
		read func(t *testing.T, c *Connector)
	}{
		{"ARM resource group", func(t *testing.T, c *Connector) {
			if err := c.SignIn(t.Context(), simCon); err != nil {
				t.Fatal(err)
			}
			r := must(c.Resources(t.Context(), simCon))(t)
			if err := r.CheckScope(t.Context(), simVMRG); err != nil {
				t.Fatal(err)
			}
			if _, err := r.ListRoleAssignments(t.Context(), simVMRG, "00000000-0000-0000-0000-000000000000"); err != nil {
				t.Fatal(err)
			}
		}},
		{"Graph service principal", func(t *testing.T, c *Connector) {
			if err := c.SignInGraph(t.Context(), simCon); err != nil {
				t.Fatal(err)
			}
			d := must(c.Directory(t.Context(), simCon))(t)
			if _, err := d.GetServicePrincipal(t.Context(), "00000000-0000-0000-0000-000000000000"); err != nil && !IsNotFound(err) {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := startSim(t, Options{})
			sim.ResetStats()
			tt.read(t, c)
			var tokens int64
			for label, n := range sim.Stats().Routes {
				if strings.Contains(strings.ToLower(label), "token") {
					tokens += n
				}
			}
			if tokens != 1 {
				t.Errorf("%d token requests, want 1 (the sign-in's, reused by the client)", tokens)
			}
		})
	}
}

// TestARMResourcesBuildsClientsLazily checks that no SDK client exists before
// its first use and that each is built once.
func TestARMResourcesBuildsClientsLazily(t *testing.T) {
	c, err := NewConnector(Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	r := newARMResources(simCon, nil, c.apiClientOptions(), nil)
	if len(r.subs) != 0 {
		t.Fatalf("subscription clients built up front: %d", len(r.subs))
	}
	a1, err := r.authorization()
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := r.authorization()
	if a1 != a2 || a1.roles == nil || a1.roleDefs == nil {
		t.Errorf("authorization clients rebuilt or missing: %p %p", a1, a2)
	}
	if len(r.subs) != 0 {
		t.Errorf("authorization clients built subscription clients too")
	}
	c1, err := r.compute("SUB-1")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := r.compute("sub-1")
	if c1 != c2 || len(r.subs) != 1 {
		t.Errorf("compute factory per subscription not reused: %p %p, %d sets", c1, c2, len(r.subs))
	}
}
