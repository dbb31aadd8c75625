package azsim

import (
	"net/http"
	"strings"
)

// permissionJSON is one entry of GET {scope}/providers/Microsoft.Authorization/permissions: the actions of one role
// the caller holds at or above the scope, as ARM returns them (one entry per role; the caller may do an action when
// some entry's actions match it and none of that entry's notActions do).
type permissionJSON struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

// listPermissions answers GET {scope}/providers/Microsoft.Authorization/permissions ("what may I do here"): ARM
// serves it to any authenticated caller about itself, with no RBAC action required, from the same role assignments
// (inherited down the scope tree) that the RBAC gate evaluates. A caller without any role gets an empty list. Role
// assignment conditions are not reflected, as in Azure. Like every request under a resource group, it answers 404
// ResourceGroupNotFound when the group does not exist (and ResourceNotFound for a missing gallery or image), which
// galshare's refresh relies on to learn a scope's existence and the operator's rights there in one read. Callers
// hold s.mu.
func (s *Server) listPermissions(c *armCtx) armResult {
	if e := s.checkScopeExists(c); e != nil {
		return fail(e)
	}
	a := s.arm()
	// armauthorization's ListForResource puts an empty parentResourcePath between two slashes; ARM ignores it.
	scope := c.rt.Scope
	for strings.Contains(scope, "//") {
		scope = strings.ReplaceAll(scope, "//", "/")
	}
	seen := map[string]bool{}
	out := []permissionJSON{}
	held := map[string]*roleAssignment{}
	a.forPrincipalAbove(c.caller, scope, func(k string, ra *roleAssignment) bool {
		held[k] = ra
		return true
	})
	for _, k := range sortedAssignments(held, nil) {
		ra := held[k]
		role, ok := roleByID(ra.RoleDefinitionGUID)
		if !ok || seen[strings.ToLower(role.ID)] {
			continue
		}
		seen[strings.ToLower(role.ID)] = true
		out = append(out, permissionJSON{
			Actions: nonNil(role.Actions), NotActions: nonNil(role.NotActions),
			DataActions: nonNil(role.DataActions), NotDataActions: nonNil(role.NotDataActions),
		})
	}
	return reply(http.StatusOK, page(c, out))
}
