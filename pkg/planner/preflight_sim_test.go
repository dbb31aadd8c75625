package planner

import (
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azsim"
)

const (
	simPub     = "11111111-1111-1111-1111-111111111111"
	simFab     = "22222222-2222-2222-2222-222222222222"
	simGallery = "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"
	simVMRG    = "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg"
)

// leastPrivSeed is the quickstart world with operators holding exactly the
// rights docs/permissions.md documents for apply: publisher
// Application.ReadWrite.OwnedBy + RBAC Administrator on the gallery;
// consumer Application.ReadWrite.All + RBAC Administrator on vm-rg.
func leastPrivSeed(t *testing.T) *azsim.Seed {
	seed := loadSeed(t, "quickstart")
	for i := range seed.Tenants {
		perms := []string{"Application.ReadWrite.All"}
		if seed.Tenants[i].ID == simPub {
			perms = []string{"Application.ReadWrite.OwnedBy"}
		}
		for j := range seed.Tenants[i].Operators {
			seed.Tenants[i].Operators[j].GraphPermissions = perms
		}
	}
	seed.RoleAssignments = []azsim.RoleAssignmentSeed{
		{Scope: simGallery, Role: "Role Based Access Control Administrator",
			Principal: azsim.PrincipalSeed{Tenant: simPub, Operator: "galshare"}},
		{Scope: simVMRG, Role: "Role Based Access Control Administrator",
			Principal: azsim.PrincipalSeed{Tenant: simFab, Operator: "galshare"}},
	}
	return seed
}

func setGraph(seed *azsim.Seed, tenant string, perms ...string) {
	for i := range seed.Tenants {
		if seed.Tenants[i].ID == tenant {
			for j := range seed.Tenants[i].Operators {
				seed.Tenants[i].Operators[j].GraphPermissions = perms
			}
		}
	}
}

// The preflight against the simulator: the documented rights plan with
// nothing blocked; with one right removed, the plan blocks the write that
// needs it and names the permission, the tenant and the scope.
func TestSimPreflightNamesMissingRight(t *testing.T) {
	role := "role[fabrikam:" + simVMRG + ":Contributor]"
	tests := []struct {
		name    string
		modify  func(*azsim.Seed)
		blocked map[string][]string // address → substrings of Blocked.Why (nil map: nothing blocked)
		fix     string              // in the first instruction of every listed change
	}{
		{name: "documented rights suffice", modify: func(*azsim.Seed) {}},
		{
			name:   "publisher Graph permission removed",
			modify: func(s *azsim.Seed) { setGraph(s, simPub, "Application.Read.All") },
			blocked: map[string][]string{
				"app.myGalleryApp":                 {"tenant " + simPub, "Application.ReadWrite.All or Application.ReadWrite.OwnedBy", "(its token grants: Application.Read.All)"},
				"app.myGalleryApp.secret[primary]": {"to create app.myGalleryApp.secret[primary]"},
				"sp[publisher]":                    {"to create sp[publisher]"},
			},
			fix: "Grant the operator's app the Microsoft Graph application permission Application.ReadWrite.All",
		},
		{
			name:   "consumer has OwnedBy, not ReadWrite.All",
			modify: func(s *azsim.Seed) { setGraph(s, simFab, "Application.ReadWrite.OwnedBy") },
			blocked: map[string][]string{
				"sp[fabrikam]": {"tenant " + simFab, "Application.ReadWrite.All to create sp[fabrikam]"},
			},
			fix: "access: manual",
		},
		{
			name:   "role-assignment write on the grant scope removed",
			modify: func(s *azsim.Seed) { s.RoleAssignments[1].Role = "Reader" },
			blocked: map[string][]string{
				role: {"tenant " + simFab, "Microsoft.Authorization/roleAssignments/write at " + simVMRG},
			},
			fix: "Role Based Access Control Administrator or User Access Administrator on " + simVMRG,
		},
		{
			name:   "role-assignment write on the gallery removed",
			modify: func(s *azsim.Seed) { s.RoleAssignments[0].Role = "Contributor" }, // Contributor's NotActions exclude it
			blocked: map[string][]string{
				"gallery[myGallery].role[Reader]": {"tenant " + simPub, "Microsoft.Authorization/roleAssignments/write at " + simGallery},
			},
			fix: "on " + simGallery,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seed := leastPrivSeed(t)
			tc.modify(seed)
			e := startSim(t, seed, nil)
			p, _, stats := e.plan(t, loadManifest(t, "quickstart"), nil, Options{})
			if stats.Writes != 0 {
				t.Errorf("plan wrote: %v", stats.Routes)
			}
			if got := stats.Routes["GET permissions"]; got != 2 {
				t.Errorf("%d effective-permission reads, want 2 (gallery, vm-rg): %v", got, stats.Routes)
			}
			if tc.blocked == nil {
				if p.IsBlocked() {
					t.Fatalf("blocked with the documented rights: %v", actions(p))
				}
				return
			}
			if !p.IsBlocked() {
				t.Fatalf("not blocked: %v", actions(p))
			}
			for addr, wants := range tc.blocked {
				c := mustChange(p, addr)
				if c.Action != Blocked || c.Blocked == nil {
					t.Fatalf("%s = %s; want blocked", addr, c.Action)
				}
				for _, w := range wants {
					if !strings.Contains(c.Blocked.Why, w) {
						t.Errorf("%s blocked because %q; want it to name %q", addr, c.Blocked.Why, w)
					}
				}
				if len(c.Blocked.Instructions) == 0 || !strings.Contains(c.Blocked.Instructions[0], tc.fix) {
					t.Errorf("%s instructions %q; want a fix naming %q", addr, c.Blocked.Instructions, tc.fix)
				}
			}
			// Only the writes that lack a right and their dependants are blocked.
			for _, c := range p.Changes {
				if _, named := tc.blocked[c.Address.String()]; c.Action == Blocked && !named &&
					!strings.HasPrefix(c.Blocked.Why, "needs ") {
					t.Errorf("%s blocked for another reason: %s", c.Address, c.Blocked.Why)
				}
			}
		})
	}
}

// A grant on a resource group that does not exist: with the write preflight,
// the one permissions read there learns it (404 ResourceGroupNotFound) and no
// separate existence read is made; without it, the group's GET does. Either
// way the grant's scope is missing and the permissions are not recorded as
// read, and Build refuses the plan naming the scope (world.go).
func TestSimMissingGroupFoundByPermissionsRead(t *testing.T) {
	missing := "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/no-such-rg"
	tests := []struct {
		name        string
		ropts       RefreshOptions
		perms, gets int64
	}{
		// The missing group's permissions; the gallery's are not read, as
		// the plan is refused (world.go) and the write preflight skipped.
		{"preflight", RefreshOptions{}, 1, 0},
		{"no preflight", RefreshOptions{NoPreflight: true}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startSim(t, loadSeed(t, "quickstart"), nil)
			m := loadManifest(t, "quickstart")
			m.Consumers[0].Grants[0].Scope = missing
			snap, stats := e.refreshOnly(t, m, nil, tt.ropts)
			if _, err := Build(m, snap, nil, Options{}); err == nil || !strings.Contains(err.Error(), missing+" of consumer fabrikam does not exist") {
				t.Errorf("build: %v, want the missing scope named", err)
			}
			if got := snap.Scopes[IDKey(missing)].Status; got != Missing {
				t.Errorf("scope status %v, want missing", got)
			}
			if o, ok := snap.ARMRights[RightsKey(simFab, missing)]; ok && o.Status == Found {
				t.Errorf("rights recorded at a missing group: %+v", o)
			}
			if p, g := stats.Routes["GET permissions"], stats.Routes["GET resourceGroup"]; p != tt.perms || g != tt.gets {
				t.Errorf("GET permissions=%d GET resourceGroup=%d, want %d and %d: %v", p, g, tt.perms, tt.gets, stats.Routes)
			}
		})
	}
}

// Once the consumer's principal exists, a grant's scope is read by listing
// the principal's assignments there; at a resource group that does not
// exist ARM answers 404, and the plan is refused naming the missing scope
// (an error, exit 1: no consent or grant can create it).
func TestSimMissingGroupOnceThePrincipalExists(t *testing.T) {
	e := startSim(t, loadSeed(t, "quickstart"), nil)
	m := loadManifest(t, "quickstart")
	h := &byHand{t: t, e: e, m: m, marked: true}
	h.everything()
	missing := "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/no-such-rg"
	m.Consumers[0].Grants[0].Scope = missing
	snap, stats := e.refreshOnly(t, m, nil, RefreshOptions{})
	if got := snap.Assignments[AssignmentsKey(missing, snap.SPs[TenantKey(simFab)].SP.ObjectID)].Status; got != Missing {
		t.Fatalf("assignments at the missing group: %v, want missing (routes %v)", got, stats.Routes)
	}
	_, err := Build(m, snap, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "consumers[0].grants[0].scope") && !strings.Contains(err.Error(), missing+" of consumer fabrikam does not exist") {
		t.Errorf("build: %v, want an error naming the missing scope", err)
	}
}
