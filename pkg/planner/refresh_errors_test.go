package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
)

const fabTenant = "22222222-2222-2222-2222-222222222222"

// Each Azure failure during refresh ends up as one clear line naming the
// tenant, the object, the call and a fix: a 403 as a blocked action (the
// rest still plans), anything else as the plan's error.
func TestSimRefreshErrors(t *testing.T) {
	envWith := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	fabPrefix := "GALSHARE_TENANT_" + strings.ToUpper(strings.ReplaceAll(fabTenant, "-", "")) + "_"
	const unknown = "99999999-9999-4999-8999-999999999999"
	unkPrefix := "GALSHARE_TENANT_" + strings.ToUpper(strings.ReplaceAll(unknown, "-", "")) + "_"

	tests := []struct {
		name   string
		seed   func(*azsim.Seed)
		env    map[string]string
		faults *azsim.FaultProfile
		tenant string
		// wantBlocked names the change a 403 blocks; empty means refresh fails.
		wantBlocked string
		want        []string
	}{
		{
			name: "403 without rights in a consumer tenant",
			seed: func(s *azsim.Seed) {
				s.RoleAssignments = slices.DeleteFunc(s.RoleAssignments, func(r azsim.RoleAssignmentSeed) bool {
					return r.Principal.Tenant == fabTenant
				})
			},
			wantBlocked: "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg:Contributor]",
			want:        []string{"tenant " + fabTenant, "permission denied", "HTTP 403", "fix:"},
		},
		{
			name:   "unknown tenant",
			tenant: unknown,
			env:    map[string]string{unkPrefix + "CLIENT_ID": "5e1f0001-0000-4000-8000-000000000002", unkPrefix + "CLIENT_SECRET": "whatever-secret-value"},
			want:   []string{"tenant " + unknown, "AADSTS90002", "fix:"},
		},
		{
			name: "bad secret",
			env:  map[string]string{fabPrefix + "CLIENT_ID": "5e1f0001-0000-4000-8000-000000000002", fabPrefix + "CLIENT_SECRET": "not-the-right-secret"},
			want: []string{"tenant " + fabTenant, "AADSTS7000215", "fix:"},
		},
		{
			name:   "throttling past retries",
			faults: &azsim.FaultProfile{Routes: []azsim.RouteFaults{{Route: "GET gallery", Rate429: 1}}},
			want:   []string{"tenant 11111111-1111-1111-1111-111111111111", "throttled", "HTTP 429", "myGallery", "fix:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := loadSeed(t, "quickstart")
			if tt.seed != nil {
				tt.seed(seed)
			}
			e := startSim(t, seed, envWith(tt.env))
			m := loadManifest(t, "quickstart")
			if tt.tenant != "" {
				m.Consumers[0].Tenant = tt.tenant
			}
			if tt.wantBlocked != "" {
				// The consumer's service principal exists, so its grants are read.
				h := &byHand{t: t, e: e, m: m, marked: true}
				h.registerApp(m.Publisher.App.UniqueName)
				h.servicePrincipal(fabTenant)
			}
			if tt.faults != nil {
				e.sim.SetFaults(*tt.faults)
			}
			snap, err := Refresh(t.Context(), m, nil, e.conn, RefreshOptions{})
			var line string
			if tt.wantBlocked == "" {
				if err == nil {
					t.Fatal("refresh succeeded; want an error")
				}
				var ae *azure.Error
				if !errors.As(err, &ae) {
					t.Errorf("error %T is not an *azure.Error", err)
				}
				line = err.Error()
			} else {
				if err != nil {
					t.Fatalf("refresh: %v", err)
				}
				p, err := Build(m, snap, nil, Options{AuthorityHost: e.env.AuthorityHost})
				if err != nil {
					t.Fatal(err)
				}
				c := mustChange(p, tt.wantBlocked)
				if c.Action != Blocked {
					t.Fatalf("%s = %s; want blocked", c.Address, c.Action)
				}
				if mustChange(p, "app.myGalleryApp").Action == Blocked {
					t.Error("the 403 blocked unrelated changes")
				}
				line = c.Blocked.Why
			}
			if strings.Contains(line, "\n") {
				t.Errorf("not one line: %q", line)
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("%q lacks %q", line, w)
				}
			}
			for _, secret := range []string{"not-the-right-secret", "whatever-secret-value", "sim-fabrikam-galshare-operator-secret"} {
				if strings.Contains(line, secret) {
					t.Errorf("error line leaks a secret: %q", line)
				}
			}
			t.Logf("%s: %s", tt.name, line)
		})
	}
}
