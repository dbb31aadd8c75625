package azure

import (
	"strings"

	"github.com/google/uuid"

	"github.com/galshare/galshare/pkg/spec"
)

// BuiltinRoleGUID returns the GUID of a built-in role given by name
// (case-insensitive) or by GUID, and whether it was found. Built-in GUIDs are
// the same in every tenant (azure-api.md §3.2); the table is the manifest's
// own (spec.ResolveRole), so a role the manifest accepts always resolves here.
func BuiltinRoleGUID(nameOrGUID string) (string, bool) {
	if g, err := uuid.Parse(nameOrGUID); err == nil {
		return g.String(), true
	}
	r, err := spec.ResolveRole(nameOrGUID)
	if err != nil || r.DefinitionGUID == "" {
		return "", false
	}
	return r.DefinitionGUID, true
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
