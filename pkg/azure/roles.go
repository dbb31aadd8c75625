package azure

import (
	"strings"

	"github.com/google/uuid"
)

// builtinRoles maps built-in role names (lower case) to their definition GUIDs,
// which are the same in every tenant (azure-api.md §3.2).
var builtinRoles = map[string]string{
	"reader":                    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
	"contributor":               "b24988ac-6180-42a0-ab88-20f7382dd24c",
	"owner":                     "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
	"user access administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
	"role based access control administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
	"compute gallery sharing admin":           "1ef6a3be-d0ac-425d-8c01-acb62866290b",
	"compute gallery image reader":            "cf7c76d2-98a3-4358-a134-615aa78bf44d",
	"virtual machine contributor":             "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
}

// BuiltinRoleGUID returns the GUID of a built-in role given by name
// (case-insensitive) or by GUID, and whether it was found.
func BuiltinRoleGUID(nameOrGUID string) (string, bool) {
	if g, err := uuid.Parse(nameOrGUID); err == nil {
		return g.String(), true
	}
	g, ok := builtinRoles[strings.ToLower(strings.TrimSpace(nameOrGUID))]
	return g, ok
}

// roleAssignmentNamespace is the UUIDv5 namespace for galshare's deterministic
// role assignment names (a fixed random UUID: changing it would rename every
// assignment galshare ever made).
var roleAssignmentNamespace = uuid.MustParse("6f1c2a8e-4b7d-5e9f-a3c1-0d2e4f6a8b9c")

// RoleAssignmentName is the deterministic assignment name (a GUID) for a
// principal holding a role at a scope: UUIDv5 of
// lower(scope)|lower(principalID)|lower(roleGUID). Re-applying PUTs the same name,
// so creates are idempotent and assignments are re-discoverable without state.
func RoleAssignmentName(scope, principalID, roleGUID string) string {
	key := strings.ToLower(strings.TrimRight(scope, "/")) + "|" + strings.ToLower(principalID) + "|" + strings.ToLower(roleGUID)
	return uuid.NewSHA1(roleAssignmentNamespace, []byte(key)).String()
}

// RoleDefinitionGUID extracts the lower-case GUID from a role definition id,
// whether or not it has a /subscriptions/… prefix.
func RoleDefinitionGUID(roleDefinitionID string) string {
	s := strings.TrimRight(roleDefinitionID, "/")
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToLower(s)
}

// RoleDefinitionID is the subscription-scoped role definition id ARM expects in
// a role assignment body, for a scope inside subscription sub.
func RoleDefinitionID(subscriptionID, roleGUID string) string {
	if subscriptionID == "" {
		return "/providers/Microsoft.Authorization/roleDefinitions/" + strings.ToLower(roleGUID)
	}
	return "/subscriptions/" + subscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + strings.ToLower(roleGUID)
}

// RoleAssignmentCLI is the exact Azure CLI command a human runs to grant role
// (a name or GUID) at scope to assignee (an appId before the SP exists, or an SP
// object id), for blocked actions in plans.
func RoleAssignmentCLI(assignee, role, scope string) string {
	return "az role assignment create --assignee " + shellQuote(assignee) + " --role " + shellQuote(role) + " --scope " + shellQuote(scope)
}

// shellQuote quotes s for a POSIX shell only when needed.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
