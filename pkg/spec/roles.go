package spec

import (
	"fmt"
	"strings"
)

// builtinRole is an Azure built-in role galshare knows by name. Built-in
// role definition GUIDs are the same in every tenant.
type builtinRole struct {
	name string
	guid string
}

// builtinRoles are the roles a gallery-sharing manifest plausibly grants
// (GUIDs from shared/reference/azure-api.md §3.2 and the Azure built-in
// roles reference). Any other role can be given by its definition GUID.
var builtinRoles = []builtinRole{
	{"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
	{"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
	{"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
	{"User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
	{"Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168"},
	{"Compute Gallery Sharing Admin", "1ef6a3be-d0ac-425d-8c01-acb62866290b"},
	{"Compute Gallery Image Reader", "cf7c76d2-98a3-4358-a134-615aa78bf44d"},
	{"Virtual Machine Contributor", "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"},
}

// BuiltinRoles returns the built-in roles galshare resolves by name, in
// documentation order. The result is a fresh slice.
func BuiltinRoles() []Role {
	out := make([]Role, len(builtinRoles))
	for i, r := range builtinRoles {
		out[i] = Role{Name: r.name, DefinitionGUID: r.guid}
	}
	return out
}

// normRoleName folds case and runs of spaces so "virtual  machine
// contributor" still resolves.
func normRoleName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// ResolveRole turns a manifest role (a built-in name, case-insensitive, or
// a role definition GUID) into a Role. The error says what was accepted and
// suggests the closest built-in name.
func ResolveRole(s string) (Role, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Role{}, fmt.Errorf("the role is empty")
	}
	if isGUID(s) {
		g := strings.ToLower(s)
		for _, r := range builtinRoles {
			if r.guid == g {
				return Role{Name: r.name, DefinitionGUID: g}, nil
			}
		}
		return Role{DefinitionGUID: g}, nil
	}
	// A full role definition ID is a common paste; take its GUID.
	if i := strings.LastIndex(strings.ToLower(s), "/roledefinitions/"); i >= 0 {
		if g := s[i+len("/roledefinitions/"):]; isGUID(g) {
			return ResolveRole(g)
		}
	}
	n := normRoleName(s)
	names := make([]string, len(builtinRoles))
	for i, r := range builtinRoles {
		if normRoleName(r.name) == n {
			return Role{Name: r.name, DefinitionGUID: r.guid}, nil
		}
		names[i] = r.name
	}
	if c := closest(s, names); c != "" {
		return Role{}, &unknownRoleError{role: s, suggestion: c}
	}
	return Role{}, &unknownRoleError{role: s}
}

// unknownRoleError keeps the suggestion apart so the checker can put it in
// the hint.
type unknownRoleError struct {
	role       string
	suggestion string
}

func (e *unknownRoleError) Error() string {
	if e.suggestion != "" {
		return fmt.Sprintf("unknown role %q, did you mean %q?", e.role, e.suggestion)
	}
	return fmt.Sprintf("unknown role %q", e.role)
}

// accessAdminRoles are the built-in roles that may write role assignments
// (Microsoft.Authorization/roleAssignments/write). Held by the multi-tenant
// app at subscription scope, they let whoever has the app's secret give any
// principal any role on the whole consumer subscription, and what they grant
// outlives removing the app's own assignment.
//
// Contributor is not among them, even at subscription scope: it cannot
// write role assignments, so its reach ends with the app's own assignment
// and removing that removes it; and creating VMs across resource groups is
// a legitimate reason to grant it there. A warning for it would be noise
// that teaches people to skip the warnings that matter.
var accessAdminRoles = map[string]bool{
	"8e3af657-a8ff-443c-a75c-2fe8c4bcb635": true, // Owner
	"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": true, // User Access Administrator
	"f58310d9-a9f6-439a-9e8d-f62e7b41a168": true, // Role Based Access Control Administrator
}

// checkBroadGrant warns about a subscription-scope grant of a role that can
// hand out access (see accessAdminRoles).
func (c *checker) checkBroadGrant(path string, g Grant) {
	if !accessAdminRoles[g.Role.DefinitionGUID] {
		return
	}
	c.warnf(path, CodeBroadGrant,
		"grant the app only what VM creation needs, e.g. Contributor or Virtual Machine Contributor on the resource group where VMs are created",
		"%s on subscription %s lets the multi-tenant app grant any role on that whole subscription to anyone, and the access it hands out stays after its own grant is removed",
		g.Role, g.Scope)
}
