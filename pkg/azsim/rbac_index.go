package azsim

import (
	"slices"
	"strings"
)

// This file indexes the role assignments so that RBAC checks, the permissions endpoint and role assignment lists
// cost about the number of assignments on the request's scope chain (or held by the principal), not the number in
// the world. A fleet has tens of thousands of assignments and every ARM request runs at least one RBAC check, so a
// full scan per request made the simulator's CPU grow with the square of the fleet.
//
// armWorld.RoleAssignments (by lower-case name) stays the source of truth and the only thing persisted; the index
// is derived from it, built on first use after a world is created or loaded, and kept up to date by
// putAssignment/deleteAssignment, which are the only ways the simulator changes the map.

// assignmentSet is a set of assignments by their RoleAssignments key.
type assignmentSet map[string]*roleAssignment

// principalScopeKey is a principal's assignments at one normalised scope.
type principalScopeKey struct {
	principal principalKey
	scope     string
}

// assignmentIndex holds the RoleAssignments map's entries by normalised scope, by subscription (for lists that
// include the assignments below a scope), by principal, and by principal and scope. Tenant and object ids in keys
// are lower case, as are scopes (normScope).
type assignmentIndex struct {
	n                int // len(RoleAssignments) when last in step with it
	byScope          map[string]assignmentSet
	bySubscription   map[string]assignmentSet // lower-case subscription id; "" for scopes outside subscriptions
	byPrincipal      map[principalKey]assignmentSet
	byPrincipalScope map[principalScopeKey]assignmentSet
}

// assignmentPrincipal is the index key of an assignment's principal.
func assignmentPrincipal(ra *roleAssignment) principalKey {
	return lowerPrincipal(principalKey{Tenant: ra.Tenant, ObjectID: ra.PrincipalID})
}

func lowerPrincipal(p principalKey) principalKey {
	return principalKey{Tenant: strings.ToLower(p.Tenant), ObjectID: strings.ToLower(p.ObjectID)}
}

// normScopeSubscription is the lower-case subscription id of a normalised scope, "" when it is not inside one.
func normScopeSubscription(ns string) string {
	rest, ok := strings.CutPrefix(ns, "/subscriptions/")
	if !ok {
		return ""
	}
	sub, _, _ := strings.Cut(rest, "/")
	return sub
}

// scopeChain returns the normalised scopes that contain the normalised scope ns in the sense of scopeContains:
// the root, every segment prefix, and ns itself.
func scopeChain(ns string) []string {
	out := []string{"/"}
	for i := 1; i < len(ns); i++ {
		if ns[i] == '/' {
			out = append(out, ns[:i])
		}
	}
	if ns != "/" {
		out = append(out, ns)
	}
	return out
}

func addTo[K comparable](m map[K]assignmentSet, k K, key string, ra *roleAssignment) {
	set := m[k]
	if set == nil {
		set = assignmentSet{}
		m[k] = set
	}
	set[key] = ra
}

func removeFrom[K comparable](m map[K]assignmentSet, k K, key string) {
	if set := m[k]; set != nil {
		delete(set, key)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

func (x *assignmentIndex) add(key string, ra *roleAssignment) {
	ns := normScope(ra.Scope)
	p := assignmentPrincipal(ra)
	addTo(x.byScope, ns, key, ra)
	addTo(x.bySubscription, normScopeSubscription(ns), key, ra)
	addTo(x.byPrincipal, p, key, ra)
	addTo(x.byPrincipalScope, principalScopeKey{p, ns}, key, ra)
}

func (x *assignmentIndex) remove(key string, ra *roleAssignment) {
	ns := normScope(ra.Scope)
	p := assignmentPrincipal(ra)
	removeFrom(x.byScope, ns, key)
	removeFrom(x.bySubscription, normScopeSubscription(ns), key)
	removeFrom(x.byPrincipal, p, key)
	removeFrom(x.byPrincipalScope, principalScopeKey{p, ns}, key)
}

// assignments returns the index, building it when the world is new or was loaded (the index is not persisted) or
// when the map was changed behind the index's back (tests arranging a world by hand). Callers hold s.mu.
func (a *armWorld) assignments() *assignmentIndex {
	if a.index != nil && a.index.n == len(a.RoleAssignments) {
		return a.index
	}
	x := &assignmentIndex{
		byScope:          map[string]assignmentSet{},
		bySubscription:   map[string]assignmentSet{},
		byPrincipal:      map[principalKey]assignmentSet{},
		byPrincipalScope: map[principalScopeKey]assignmentSet{},
	}
	for k, ra := range a.RoleAssignments {
		x.add(k, ra)
	}
	x.n = len(a.RoleAssignments)
	a.index = x
	return x
}

// putAssignment stores ra under key (its lower-case name), replacing any assignment with that key, and indexes it.
func (a *armWorld) putAssignment(key string, ra *roleAssignment) {
	x := a.assignments()
	if old := a.RoleAssignments[key]; old != nil {
		x.remove(key, old)
	}
	a.RoleAssignments[key] = ra
	x.add(key, ra)
	x.n = len(a.RoleAssignments)
}

// deleteAssignment removes the assignment stored under key, if any.
func (a *armWorld) deleteAssignment(key string) {
	x := a.assignments()
	if old := a.RoleAssignments[key]; old != nil {
		x.remove(key, old)
		delete(a.RoleAssignments, key)
	}
	x.n = len(a.RoleAssignments)
}

// forPrincipalAbove calls f for each assignment of principal p at scope or above it (inherited), stopping when f
// returns false.
func (a *armWorld) forPrincipalAbove(p principalKey, scope string, f func(key string, ra *roleAssignment) bool) {
	x := a.assignments()
	p = lowerPrincipal(p)
	if len(x.byPrincipal[p]) == 0 {
		return
	}
	for _, s := range scopeChain(normScope(scope)) {
		for k, ra := range x.byPrincipalScope[principalScopeKey{p, s}] {
			if !f(k, ra) {
				return
			}
		}
	}
}

// principalAssignments is every assignment of principal p, at any scope.
func (a *armWorld) principalAssignments(p principalKey) assignmentSet {
	return a.assignments().byPrincipal[lowerPrincipal(p)]
}

// assignmentsAt is every assignment at exactly scope.
func (a *armWorld) assignmentsAt(scope string) assignmentSet {
	return a.assignments().byScope[normScope(scope)]
}

// listCandidates returns a superset of the assignments a role assignment list at scope with filter f can return
// (callers still apply f.matches and the tenant check), drawn from the smallest index that covers them: the
// principal's assignments, the scope chain (atScope()), or the chain plus the scope's subscription (assignments
// below). Only an unfiltered list at a scope outside any subscription walks the whole world.
func (a *armWorld) listCandidates(f assignmentFilter, tenant, scope string) map[string]*roleAssignment {
	x := a.assignments()
	if f.Principal != "" {
		return x.byPrincipal[lowerPrincipal(principalKey{Tenant: tenant, ObjectID: f.Principal})]
	}
	ns := normScope(scope)
	sub := normScopeSubscription(ns)
	if !f.AtScope && sub == "" {
		return a.RoleAssignments
	}
	out := map[string]*roleAssignment{}
	for _, s := range scopeChain(ns) {
		for k, ra := range x.byScope[s] {
			out[k] = ra
		}
	}
	if !f.AtScope {
		for k, ra := range x.bySubscription[sub] {
			out[k] = ra
		}
	}
	return out
}

// sortedAssignments returns the keys of the assignments in set that keep accepts (nil: all), ordered like
// sortedAssignmentKeys: by normalised scope, then key.
func sortedAssignments(set map[string]*roleAssignment, keep func(*roleAssignment) bool) []string {
	type entry struct{ key, scope string }
	entries := make([]entry, 0, len(set))
	for k, ra := range set {
		if keep == nil || keep(ra) {
			entries = append(entries, entry{k, normScope(ra.Scope)})
		}
	}
	slices.SortFunc(entries, func(x, y entry) int {
		if c := strings.Compare(x.scope, y.scope); c != 0 {
			return c
		}
		return strings.Compare(x.key, y.key)
	})
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.key
	}
	return keys
}
