package azsim

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// builtinRolesUpdated is the updatedOn ARM reports for built-in roles (fixed: they are not simulator objects).
var builtinRolesUpdated = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// roleDefinitionIDAt returns the id ARM gives a role definition read at scope: subscription-qualified below a
// subscription, tenant-level otherwise.
func roleDefinitionIDAt(subID, guid string) string {
	if subID == "" {
		return "/providers/Microsoft.Authorization/roleDefinitions/" + guid
	}
	return "/subscriptions/" + subID + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}

func roleDefinitionJSON(subID string, r *roleDefinition) map[string]any {
	return map[string]any{
		"id":   roleDefinitionIDAt(subID, r.ID),
		"name": r.ID,
		"type": "Microsoft.Authorization/roleDefinitions",
		"properties": map[string]any{
			"roleName":         r.Name,
			"type":             "BuiltInRole",
			"description":      r.Description,
			"assignableScopes": []string{"/"},
			"permissions": []map[string]any{{
				"actions":        nonNil(r.Actions),
				"notActions":     nonNil(r.NotActions),
				"dataActions":    nonNil(r.DataActions),
				"notDataActions": nonNil(r.NotDataActions),
			}},
			"createdOn": "2015-02-02T21:55:09.8806423Z",
			"updatedOn": armTime(builtinRolesUpdated),
			"createdBy": nil,
			"updatedBy": nil,
		},
	}
}

var (
	reRoleNameFilter = regexp.MustCompile(`(?i)^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$`)
	reRoleTypeFilter = regexp.MustCompile(`(?i)^\s*type\s+eq\s+'([^']*)'\s*$`)
)

// listRoleDefinitions lists the built-in roles, optionally filtered by roleName eq '…' or type eq '…'. Role
// definitions are readable by any authenticated caller of the scope's tenant (the simulator does not model custom
// roles, so there is nothing to hide).
func (s *Server) listRoleDefinitions(c *armCtx) armResult {
	filter := c.q.Get("$filter")
	var match func(r *roleDefinition) bool
	switch {
	case filter == "":
		match = func(*roleDefinition) bool { return true }
	case reRoleNameFilter.MatchString(filter):
		name := strings.ReplaceAll(reRoleNameFilter.FindStringSubmatch(filter)[1], "''", "'")
		match = func(r *roleDefinition) bool { return strings.EqualFold(r.Name, name) }
	case reRoleTypeFilter.MatchString(filter):
		typ := reRoleTypeFilter.FindStringSubmatch(filter)[1]
		match = func(*roleDefinition) bool { return strings.EqualFold(typ, "BuiltInRole") }
	default:
		return fail(newARMError(http.StatusBadRequest, "UnsupportedQuery",
			"The filter '%s' is not supported. Supported filters are roleName eq '{value}' and type eq '{value}'.", filter))
	}
	out := []map[string]any{}
	for i := range builtinRoles {
		if match(&builtinRoles[i]) {
			out = append(out, roleDefinitionJSON(c.rt.Sub, &builtinRoles[i]))
		}
	}
	return reply(http.StatusOK, page(c, out))
}

// getRoleDefinition returns one built-in role by GUID at any scope.
func (s *Server) getRoleDefinition(c *armCtx) armResult {
	r, found := roleByID(c.rt.Name)
	if !found {
		return fail(newARMError(http.StatusNotFound, "RoleDefinitionDoesNotExist",
			"The specified role definition with ID '%s' does not exist.", c.rt.Name))
	}
	return reply(http.StatusOK, roleDefinitionJSON(c.rt.Sub, r))
}
