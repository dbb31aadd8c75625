package azsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The reference implementations below are the full scans the index replaced; the tests check that the indexed
// lookups give the same answers on random worlds, and the benchmarks measure both.

func scanAuthorize(a *armWorld, p principalKey, action, scope string) bool {
	for _, ra := range a.RoleAssignments {
		if !strings.EqualFold(ra.PrincipalID, p.ObjectID) || !strings.EqualFold(ra.Tenant, p.Tenant) ||
			!scopeContains(ra.Scope, scope) {
			continue
		}
		if role, ok := roleByID(ra.RoleDefinitionGUID); ok && rolePermits(role, action) {
			return true
		}
	}
	return false
}

func scanAnyAccess(a *armWorld, p principalKey, scope string) bool {
	for _, ra := range a.RoleAssignments {
		if strings.EqualFold(ra.PrincipalID, p.ObjectID) && strings.EqualFold(ra.Tenant, p.Tenant) &&
			(scopeContains(ra.Scope, scope) || scopeContains(scope, ra.Scope)) {
			return true
		}
	}
	return false
}

func scanList(a *armWorld, f assignmentFilter, tenant, scope string) []string {
	return sortedAssignments(a.RoleAssignments, func(ra *roleAssignment) bool {
		return strings.EqualFold(ra.Tenant, tenant) && f.matches(ra, scope)
	})
}

func scanHeld(a *armWorld, p principalKey, scope string) []string {
	return sortedAssignments(a.RoleAssignments, func(ra *roleAssignment) bool {
		return strings.EqualFold(ra.PrincipalID, p.ObjectID) && strings.EqualFold(ra.Tenant, p.Tenant) &&
			scopeContains(ra.Scope, scope)
	})
}

func indexList(a *armWorld, f assignmentFilter, tenant, scope string) []string {
	return sortedAssignments(a.listCandidates(f, tenant, scope), func(ra *roleAssignment) bool {
		return strings.EqualFold(ra.Tenant, tenant) && f.matches(ra, scope)
	})
}

func indexHeld(a *armWorld, p principalKey, scope string) []string {
	held := map[string]*roleAssignment{}
	a.forPrincipalAbove(p, scope, func(k string, ra *roleAssignment) bool {
		held[k] = ra
		return true
	})
	return sortedAssignments(held, nil)
}

// randomWorld is a small world whose assignments sit at every level of the scope tree, with mixed-case and
// trailing-slash spellings, a few principals shared between tenants, and some tenant-level scopes.
type randomWorld struct {
	a          *armWorld
	scopes     []string
	principals []principalKey
	tenants    []string
}

func newRandomWorld(r *rand.Rand, n int) *randomWorld {
	w := &randomWorld{a: newARMWorld(), tenants: []string{"T0", "t1", "t2"}}
	subs := []string{"S0", "s1", "s2", "s3"}
	w.scopes = []string{"/", "/providers/Microsoft.Management/managementGroups/mg", "/subscriptions"}
	for _, s := range subs {
		sub := "/subscriptions/" + s
		w.scopes = append(w.scopes, sub)
		for _, rg := range []string{"rg", "rg2", "RG-x"} {
			w.scopes = append(w.scopes, sub+"/resourceGroups/"+rg, sub+"/resourceGroups/"+rg+"/providers/Microsoft.Compute/galleries/g")
		}
	}
	for _, t := range w.tenants {
		for _, o := range []string{"P1", "p2", "p3"} {
			w.principals = append(w.principals, principalKey{Tenant: t, ObjectID: o})
		}
	}
	roles := []string{roleReader, roleContributor, roleOwner, roleUserAccessAdministrator, "no-such-role"}
	for i := range n {
		w.put(r, fmt.Sprintf("name-%03d", i), roles)
	}
	return w
}

// put stores a random assignment under key through the index.
func (w *randomWorld) put(r *rand.Rand, key string, roles []string) {
	scope := w.scopes[r.IntN(len(w.scopes))]
	switch r.IntN(3) {
	case 0:
		scope = strings.ToUpper(scope)
	case 1:
		scope += "/"
	}
	p := w.principals[r.IntN(len(w.principals))]
	if r.IntN(2) == 0 {
		p.ObjectID = strings.ToUpper(p.ObjectID)
	}
	w.a.putAssignment(key, &roleAssignment{Name: key, Scope: scope, RoleDefinitionGUID: roles[r.IntN(len(roles))],
		PrincipalID: p.ObjectID, Tenant: p.Tenant})
}

// check compares every indexed lookup with its scan on all principals, scopes and filters.
func (w *randomWorld) check(t *testing.T, what string) {
	t.Helper()
	if w.a.index != nil {
		if fresh := (&armWorld{RoleAssignments: w.a.RoleAssignments}).assignments(); !reflect.DeepEqual(fresh, w.a.index) {
			t.Errorf("%s: maintained index differs from one rebuilt from the map", what)
		}
	}
	actions := []string{actGalleryRead, actGalleryWrite, actRAWrite, actRGRead}
	bad := 0
	for _, scope := range append(slices.Clone(w.scopes), "/subscriptions/s1/resourceGroups/rg/providers/x/y", "/SUBSCRIPTIONS/S9") {
		for _, p := range w.principals {
			for _, act := range actions {
				if got, want := w.a.authorize(p, act, scope), scanAuthorize(w.a, p, act, scope); got != want {
					t.Errorf("%s: authorize(%v, %s, %s) = %v, scan %v", what, p, act, scope, got, want)
					bad++
				}
			}
			if got, want := w.a.hasAnyAccessAtOrBelow(p, scope), scanAnyAccess(w.a, p, scope); got != want {
				t.Errorf("%s: hasAnyAccessAtOrBelow(%v, %s) = %v, scan %v", what, p, scope, got, want)
				bad++
			}
			if got, want := indexHeld(w.a, p, scope), scanHeld(w.a, p, scope); !slices.Equal(got, want) {
				t.Errorf("%s: held(%v, %s) = %v, scan %v", what, p, scope, got, want)
				bad++
			}
		}
		for _, tenant := range w.tenants {
			filters := []assignmentFilter{{}, {AtScope: true}}
			for _, p := range w.principals[:4] { // the object ids recur in every tenant
				filters = append(filters, assignmentFilter{Principal: strings.ToUpper(p.ObjectID)},
					assignmentFilter{Principal: p.ObjectID, AtScope: true})
			}
			for _, f := range filters {
				if got, want := indexList(w.a, f, tenant, scope), scanList(w.a, f, tenant, scope); !slices.Equal(got, want) {
					t.Errorf("%s: list(%+v, %s, %s) = %v, scan %v", what, f, tenant, scope, got, want)
					bad++
				}
			}
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}
}

func TestAssignmentIndexMatchesScan(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	w := newRandomWorld(r, 200)
	w.check(t, "seeded")

	// Deletes, replacements under an existing key and new keys keep the index in step.
	roles := []string{roleReader, roleOwner, roleUserAccessAdministrator}
	for i := range 100 {
		key := fmt.Sprintf("name-%03d", r.IntN(200))
		switch i % 3 {
		case 0:
			w.a.deleteAssignment(key)
		case 1:
			w.put(r, key, roles)
		default:
			w.put(r, fmt.Sprintf("new-%03d", i), roles)
		}
	}
	w.a.deleteAssignment("never-existed")
	if len(w.a.RoleAssignments) == 200 {
		t.Fatal("mutations changed nothing; the test would prove nothing")
	}
	w.check(t, "after puts and deletes")

	// A loaded world has no index yet: it is rebuilt from the persisted map.
	data, err := json.Marshal(w.a)
	if err != nil {
		t.Fatal(err)
	}
	var loaded armWorld
	if err := json.Unmarshal(data, &loaded); err != nil {
		t.Fatal(err)
	}
	if loaded.index != nil {
		t.Fatal("index was persisted")
	}
	w.a = &loaded
	w.check(t, "after JSON round trip")
}

func TestAssignmentIndexFollowsDirectMapEdits(t *testing.T) {
	const tenant, sub = "t", "/subscriptions/s"
	p := principalKey{Tenant: tenant, ObjectID: "p"}
	a := newARMWorld()
	a.RoleAssignments["x"] = &roleAssignment{Name: "x", Scope: sub, RoleDefinitionGUID: roleReader, PrincipalID: "p", Tenant: tenant}
	if !a.authorize(p, actRGRead, sub+"/resourceGroups/rg") {
		t.Fatal("assignment added before first use not seen")
	}
	a.RoleAssignments["y"] = &roleAssignment{Name: "y", Scope: sub, RoleDefinitionGUID: roleOwner, PrincipalID: "p", Tenant: tenant}
	if !a.authorize(p, actRAWrite, sub) {
		t.Error("assignment added to the map after the index was built not seen")
	}
	delete(a.RoleAssignments, "y")
	if a.authorize(p, actRAWrite, sub) {
		t.Error("assignment deleted from the map still grants")
	}
}

func TestScopeChain(t *testing.T) {
	tests := []struct {
		scope string
		want  []string
	}{
		{"/", []string{"/"}},
		{"/subscriptions/s", []string{"/", "/subscriptions", "/subscriptions/s"}},
		{"/subscriptions/s/resourcegroups/rg", []string{"/", "/subscriptions", "/subscriptions/s", "/subscriptions/s/resourcegroups", "/subscriptions/s/resourcegroups/rg"}},
	}
	for _, tt := range tests {
		got := scopeChain(tt.scope)
		if !slices.Equal(got, tt.want) {
			t.Errorf("scopeChain(%q) = %v, want %v", tt.scope, got, tt.want)
		}
		for _, s := range got {
			if !scopeContains(s, tt.scope) {
				t.Errorf("scopeChain(%q) has %q, which does not contain it", tt.scope, s)
			}
		}
	}
	for _, tt := range []struct{ ns, want string }{
		{"/", ""}, {"/subscriptions", ""}, {"/subscriptions/abc", "abc"}, {"/subscriptions/abc/resourcegroups/x", "abc"},
		{"/providers/microsoft.management/managementgroups/mg", ""},
	} {
		if got := normScopeSubscription(tt.ns); got != tt.want {
			t.Errorf("normScopeSubscription(%q) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

// fleetAssignments is the ARM world of fleetSeed without the directory: fleetTenants tenants with fleetGrants
// assignments each, stored through the index.
func fleetAssignments() *armWorld {
	a := newARMWorld()
	for i := range fleetTenants {
		t, sub, op := fleetGUID(1, i), "/subscriptions/"+fleetGUID(3, i), fleetGUID(4, i)
		for g := range fleetGrants {
			scope, role := sub, roleUserAccessAdministrator
			if g > 0 {
				scope, role = fmt.Sprintf("%s/resourceGroups/rg%d", sub, g), roleReader
			}
			name := fleetGUID(5, i*fleetGrants+g)
			a.putAssignment(name, &roleAssignment{Name: name, Scope: scope, RoleDefinitionGUID: role, PrincipalID: op, Tenant: t})
		}
	}
	return a
}

// BenchmarkRoleAssignmentLookups compares, on a 10,000-tenant × 2-assignment world, the full scans each request
// used to make ("scan") with the indexed lookups ("index"): the RBAC check of every ARM request, the permissions
// endpoint, role assignment lists (principalId filter and unfiltered at a subscription) and the PUT conflict check:
// go test ./pkg/azsim -run '^$' -bench RoleAssignmentLookups.
func BenchmarkRoleAssignmentLookups(b *testing.B) {
	a := fleetAssignments()
	at := func(i int) (principalKey, string, string) {
		i %= fleetTenants
		return principalKey{Tenant: fleetGUID(1, i), ObjectID: fleetGUID(4, i)}, "/subscriptions/" + fleetGUID(3, i), fleetGUID(1, i)
	}
	conflictScan := func(a *armWorld, p principalKey, scope string) bool {
		for _, ra := range a.RoleAssignments {
			if strings.EqualFold(ra.Tenant, p.Tenant) && strings.EqualFold(ra.PrincipalID, p.ObjectID) &&
				strings.EqualFold(ra.RoleDefinitionGUID, roleReader) && normScope(ra.Scope) == normScope(scope) {
				return true
			}
		}
		return false
	}
	conflictIndex := func(a *armWorld, p principalKey, scope string) bool {
		for _, ra := range a.assignments().byPrincipalScope[principalScopeKey{lowerPrincipal(p), normScope(scope)}] {
			if strings.EqualFold(ra.RoleDefinitionGUID, roleReader) {
				return true
			}
		}
		return false
	}
	type impl struct {
		name string
		run  func(p principalKey, sub, tenant string) int
	}
	ops := []struct {
		op    string
		want  int // the answer for every tenant: a count, or 1 for true
		scan  func(p principalKey, sub, tenant string) int
		index func(p principalKey, sub, tenant string) int
	}{
		{"authorize", 1,
			func(p principalKey, sub, _ string) int {
				return b2i(scanAuthorize(a, p, actRGRead, sub+"/resourceGroups/rg1"))
			},
			func(p principalKey, sub, _ string) int {
				return b2i(a.authorize(p, actRGRead, sub+"/resourceGroups/rg1"))
			}},
		{"permissions", fleetGrants,
			func(p principalKey, sub, _ string) int { return len(scanHeld(a, p, sub+"/resourceGroups/rg1")) },
			func(p principalKey, sub, _ string) int { return len(indexHeld(a, p, sub+"/resourceGroups/rg1")) }},
		{"list-principal", fleetGrants,
			func(p principalKey, sub, t string) int {
				return len(scanList(a, assignmentFilter{Principal: p.ObjectID}, t, sub))
			},
			func(p principalKey, sub, t string) int {
				return len(indexList(a, assignmentFilter{Principal: p.ObjectID}, t, sub))
			}},
		{"list-subscription", fleetGrants,
			func(_ principalKey, sub, t string) int { return len(scanList(a, assignmentFilter{}, t, sub)) },
			func(_ principalKey, sub, t string) int { return len(indexList(a, assignmentFilter{}, t, sub)) }},
		{"put-conflict", 1,
			func(p principalKey, sub, _ string) int { return b2i(conflictScan(a, p, sub+"/resourceGroups/rg1")) },
			func(p principalKey, sub, _ string) int { return b2i(conflictIndex(a, p, sub+"/resourceGroups/rg1")) }},
	}
	for _, op := range ops {
		for _, im := range []impl{{"scan", op.scan}, {"index", op.index}} {
			b.Run(op.op+"/"+im.name, func(b *testing.B) {
				for i := range b.N {
					p, sub, t := at(i * 7919)
					if got := im.run(p, sub, t); got != op.want {
						b.Fatalf("%s/%s for tenant %s = %d", op.op, im.name, t, got)
					}
				}
			})
		}
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
