package azsim

import (
	"strings"
)

// This file is the RBAC evaluator: which principal may perform which action at which scope, computed from the role
// assignments in the world the same way ARM does it — assignments inherit down the scope tree, a role grants its
// actions minus its notActions, and the union over all applicable assignments decides.

// normScope canonicalises an ARM scope for comparison: lower case, one leading slash, no trailing slash ("/" for the
// root scope).
func normScope(scope string) string {
	s := strings.ToLower(strings.TrimSpace(scope))
	s = strings.Trim(s, "/")
	if s == "" {
		return "/"
	}
	return "/" + s
}

// scopeContains reports whether child is parent itself or lies below it in the scope tree (segment-wise, so
// /subscriptions/a/resourceGroups/rg does not contain /subscriptions/a/resourceGroups/rg2).
func scopeContains(parent, child string) bool {
	p, c := normScope(parent), normScope(child)
	if p == "/" || p == c {
		return true
	}
	return strings.HasPrefix(c, p+"/")
}

// actionMatches reports whether an action pattern from a role definition (with '*' wildcards, case-insensitive)
// matches a concrete operation such as Microsoft.Compute/galleries/read.
func actionMatches(pattern, action string) bool {
	return globMatch(strings.ToLower(pattern), strings.ToLower(action))
}

// globMatch matches s against p where '*' stands for any run of characters (including '/').
func globMatch(p, s string) bool {
	// Iterative wildcard matching with backtracking to the last star.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// rolePermits reports whether the role grants the (control-plane) action: some action pattern matches and no
// notAction pattern does.
func rolePermits(r *roleDefinition, action string) bool {
	granted := false
	for _, a := range r.Actions {
		if actionMatches(a, action) {
			granted = true
			break
		}
	}
	if !granted {
		return false
	}
	for _, na := range r.NotActions {
		if actionMatches(na, action) {
			return false
		}
	}
	return true
}

// principalKey identifies a principal for RBAC: an object id is only meaningful inside its tenant.
type principalKey struct {
	Tenant   string
	ObjectID string
}

// authorize reports whether the principal may perform action at scope, from the assignments in the world. It also
// returns the assignments that granted it (useful in tests).
func (a *armWorld) authorize(p principalKey, action, scope string) bool {
	granted := false
	a.forPrincipalAbove(p, scope, func(_ string, ra *roleAssignment) bool {
		role, ok := roleByID(ra.RoleDefinitionGUID)
		granted = ok && rolePermits(role, action)
		return !granted
	})
	return granted
}

// hasAnyAccessAtOrBelow reports whether the principal holds any assignment at, above or below scope; ARM lists a
// subscription to a caller in that case.
func (a *armWorld) hasAnyAccessAtOrBelow(p principalKey, scope string) bool {
	for _, ra := range a.principalAssignments(p) {
		if scopeContains(ra.Scope, scope) || scopeContains(scope, ra.Scope) {
			return true
		}
	}
	return false
}
