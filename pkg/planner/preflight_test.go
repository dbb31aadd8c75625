package planner

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// Effective permissions as ARM returns them for a few built-in roles.
var (
	permRBACAdmin = []azure.Permission{{Actions: []string{"Microsoft.Authorization/roleAssignments/write",
		"Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*"}}}
	permReader      = []azure.Permission{{Actions: []string{"*/read"}}}
	permContributor = []azure.Permission{{Actions: []string{"*"}, NotActions: []string{"Microsoft.Authorization/*/Delete",
		"Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"}}}
	permWriteOnly = []azure.Permission{{Actions: []string{"*/read", "Microsoft.Authorization/roleAssignments/write"}}}
)

func withRights(s *Snapshot, graph map[string][]string, arm map[string][]azure.Permission) *Snapshot {
	for t, roles := range graph {
		s.GraphRights[TenantKey(t)] = GraphRightsObs{Obs: Obs{Status: Found}, Known: true, Roles: roles}
	}
	for k, perms := range arm {
		tenant, scope, _ := strings.Cut(k, "|")
		s.ARMRights[RightsKey(tenant, scope)] = ARMRightsObs{Obs: Obs{Status: Found}, Permissions: perms}
	}
	return s
}

func TestBuildPreflight(t *testing.T) {
	roleFab := "role[fabrikam:" + vmRG + ":Contributor]"
	galRole := "gallery[myGallery].role[Reader]"
	documented := map[string][]string{tPub: {"Application.ReadWrite.OwnedBy"}, tFab: {"Application.ReadWrite.All"}}
	tests := []struct {
		name    string
		snap    func() *Snapshot
		st      func() *state.State
		opts    Options
		blocked map[string]string // address → substring of Blocked.Why; every other write stays unblocked
	}{
		{
			name: "documented rights: nothing blocked",
			snap: func() *Snapshot {
				return withRights(emptyWorld(), documented,
					map[string][]azure.Permission{tPub + "|" + galleryID: permRBACAdmin, tFab + "|" + vmRG: permRBACAdmin})
			},
			st: func() *state.State { return nil },
		},
		{
			name: "nothing read (fakes, failed reads): nothing checked",
			snap: emptyWorld,
			st:   func() *state.State { return nil },
		},
		{
			name: "delegated token (roles unknown) and an unreadable scope: not checked",
			snap: func() *Snapshot {
				s := emptyWorld()
				s.GraphRights[TenantKey(tFab)] = GraphRightsObs{Obs: Obs{Status: Found}, Known: false}
				s.ARMRights[RightsKey(tFab, vmRG)] = ARMRightsObs{Obs: Obs{Status: NotRead, Note: "preflight: HTTP 500"}}
				return s
			},
			st: func() *state.State { return nil },
		},
		{
			name: "Contributor on the grant scope cannot assign roles (NotActions)",
			snap: func() *Snapshot {
				return withRights(emptyWorld(), documented,
					map[string][]azure.Permission{tPub + "|" + galleryID: permRBACAdmin, tFab + "|" + vmRG: permContributor})
			},
			st:      func() *state.State { return nil },
			blocked: map[string]string{roleFab: "tenant " + tFab + ": the operator identity lacks Microsoft.Authorization/roleAssignments/write at " + vmRG},
		},
		{
			name: "Reader on the gallery",
			snap: func() *Snapshot {
				return withRights(emptyWorld(), documented,
					map[string][]azure.Permission{tPub + "|" + galleryID: permReader, tFab + "|" + vmRG: permRBACAdmin})
			},
			st:      func() *state.State { return nil },
			blocked: map[string]string{galRole: "roleAssignments/write at " + galleryID},
		},
		{
			name: "consumer with OwnedBy cannot create the foreign app's SP; its grant waits on it",
			snap: func() *Snapshot {
				return withRights(emptyWorld(), map[string][]string{tPub: {"Application.ReadWrite.OwnedBy"}, tFab: {"Application.ReadWrite.OwnedBy"}},
					map[string][]azure.Permission{tPub + "|" + galleryID: permRBACAdmin, tFab + "|" + vmRG: permRBACAdmin})
			},
			st: func() *state.State { return nil },
			blocked: map[string]string{"sp[fabrikam]": "Application.ReadWrite.All to create sp[fabrikam] (its token grants: Application.ReadWrite.OwnedBy)",
				roleFab: "needs sp[fabrikam] first"},
		},
		{
			name: "destroy without roleAssignments/delete on the grant scope",
			snap: func() *Snapshot {
				return withRights(convergedWorld(), documented,
					map[string][]azure.Permission{tPub + "|" + galleryID: permRBACAdmin, tFab + "|" + vmRG: permWriteOnly})
			},
			st:   convergedState,
			opts: Options{Destroy: true},
			blocked: map[string]string{roleFab: "lacks Microsoft.Authorization/roleAssignments/delete at " + vmRG + " to delete " + roleFab,
				"sp[fabrikam]": "needs " + roleFab + " first", "app.myGalleryApp": "needs sp[fabrikam] first"},
		},
		{
			name: "role change (replace) needs delete as well as write",
			snap: func() *Snapshot {
				s := withRights(convergedWorld(), documented,
					map[string][]azure.Permission{tPub + "|" + galleryID: permRBACAdmin, tFab + "|" + vmRG: permWriteOnly})
				s.Assignments[AssignmentsKey(vmRG, spFabObj)] = AssignmentsObs{Obs: Obs{Status: Found}}
				return s
			},
			st: func() *state.State {
				st := convergedState()
				for i, r := range st.Resources {
					if r.Address == roleFab {
						st.Resources[i].Address = "role[fabrikam:" + vmRG + ":Reader]"
						st.Resources[i].Attributes[AttrRoleDefinitionGUID] = readerG
					}
				}
				return st
			},
			blocked: map[string]string{roleFab: "roleAssignments/delete at " + vmRG + " to replace " + roleFab},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Now = testNow
			p, err := Build(quickstart(), tt.snap(), tt.st(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("invalid plan: %v", err)
			}
			for _, c := range p.Changes {
				want, named := tt.blocked[c.Address.String()]
				switch {
				case named && (c.Action != Blocked || !strings.Contains(c.Blocked.Why, want)):
					t.Errorf("%s = %s %+v; want blocked naming %q", c.Address, c.Action, c.Blocked, want)
				case !named && c.Action == Blocked:
					t.Errorf("%s blocked: %s", c.Address, c.Blocked.Why)
				}
			}
			if c := p.Change(MustParseAddress(roleFab)); c != nil && c.Action == Blocked && strings.Contains(c.Blocked.Why, "/write") {
				if !strings.Contains(c.Blocked.Command, "az role assignment create") ||
					!strings.Contains(c.Blocked.Instructions[0], "Role Based Access Control Administrator or User Access Administrator on "+vmRG) {
					t.Errorf("grant block lacks the fix or the command: %+v", c.Blocked)
				}
			}
			if len(tt.blocked) > 0 && !p.IsBlocked() {
				t.Error("plan not blocked")
			}
		})
	}
}

// fakeRights adds the optional preflight readers to the refresh fake and
// counts the effective-permission reads per scope.
type fakeRights struct {
	*fakeAzure
	roles map[string][]string
	perms map[string][]azure.Permission // by IDKey(scope)
	// assigned are the assignment lists by AssignmentsKey.
	assigned map[string][]azure.RoleAssignment

	mu    sync.Mutex
	reads map[string]int
}

func (f *fakeRights) GraphRoles(_ context.Context, tenant string) ([]string, bool, error) {
	return f.roles[tenant], true, nil
}

func (f *fakeRights) Resources(ctx context.Context, t string) (azure.Resources, error) {
	x, err := f.fakeAzure.Resources(ctx, t)
	if err != nil {
		return nil, err
	}
	return &permRes{Resources: x, f: f}, nil
}

type permRes struct {
	azure.Resources
	f *fakeRights
}

func (r *permRes) ListRoleAssignments(ctx context.Context, scope, p string) ([]azure.RoleAssignment, error) {
	if _, err := r.Resources.ListRoleAssignments(ctx, scope, p); err != nil {
		return nil, err
	}
	return r.f.assigned[AssignmentsKey(scope, p)], nil
}

func (r *permRes) Permissions(_ context.Context, scope string) ([]azure.Permission, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.reads[IDKey(scope)]++
	return r.f.perms[IDKey(scope)], nil
}

func TestRefreshPreflightOnlyForWrites(t *testing.T) {
	m := withGamma(quickstart())
	newF := func() *fakeRights {
		f := &fakeRights{fakeAzure: newFake(), reads: map[string]int{},
			roles: map[string][]string{tPub: {"Application.ReadWrite.OwnedBy"}, tFab: {"Application.ReadWrite.OwnedBy"}},
			perms: map[string][]azure.Permission{IDKey(galleryID): permRBACAdmin, IDKey(vmRG): permReader}}
		f.creds[tPub], f.creds[tFab] = true, true
		f.versions["ubuntu-2204/1.0.0"] = readyVersion()
		return f
	}

	// Empty world: writes in both tenants; one read per scope, none in the
	// manual tenant.
	f := newF()
	snap, err := Refresh(t.Context(), m, nil, f, RefreshOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.reads) != 2 || f.reads[IDKey(galleryID)] != 1 || f.reads[IDKey(vmRG)] != 1 {
		t.Errorf("permission reads %v; want one at the gallery and one at vm-rg", f.reads)
	}
	if o := snap.GraphRights[TenantKey(tFab)]; o.Status != Found || !o.Known {
		t.Errorf("fabrikam graph rights %+v", o)
	}
	if _, ok := snap.GraphRights[TenantKey(tGamma)]; ok {
		t.Error("the manual tenant's rights were read")
	}
	p, err := Build(m, snap, nil, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"sp[fabrikam]": "Application.ReadWrite.All",
		"gallery[myGallery].role[Reader]": ""} {
		c := mustChange(p, addr)
		if want == "" && c.Action == Blocked {
			t.Errorf("%s blocked: %s", addr, c.Blocked.Why)
		}
		if want != "" && (c.Action != Blocked || !strings.Contains(c.Blocked.Why, want)) {
			t.Errorf("%s = %s; want blocked naming %s", addr, c.Action, want)
		}
	}

	// NoPreflight: no read, nothing blocked for rights.
	f = newF()
	snap, err = Refresh(t.Context(), m, nil, f, RefreshOptions{NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.reads) != 0 || len(snap.GraphRights) != 0 {
		t.Errorf("NoPreflight read rights: %v %v", f.reads, snap.GraphRights)
	}

	// Converged world: no write, no read.
	f = newF()
	f.app = liveApp(MarkerTag(manifestN))
	f.sps[tPub] = &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID}
	f.sps[tFab] = &azure.ServicePrincipal{Tenant: tFab, ObjectID: spFabObj, AppID: appID}
	f.assigned = map[string][]azure.RoleAssignment{}
	for k, o := range convergedWorld().Assignments {
		f.assigned[k] = o.Assignments
	}
	m2 := quickstart()
	snap, err = Refresh(t.Context(), m2, nil, f, RefreshOptions{Delivered: &DeliveredKey{AppID: appID, KeyID: keyID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.reads) != 0 || len(snap.GraphRights) != 0 {
		t.Errorf("a plan without writes read rights: %v %v", f.reads, snap.GraphRights)
	}
}
