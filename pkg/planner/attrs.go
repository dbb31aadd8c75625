package planner

import (
	"encoding/json"
	"slices"
	"strings"
)

// State attribute keys the planner reads back from state.Resource.Attributes.
// The executor records them when it writes a resource (alongside Resource.ID,
// which is the Graph object id, password keyId or ARM id).
const (
	// AttrAppID is the app's client id (application and service_principal).
	AttrAppID = "appId"
	// AttrUniqueName is the app's uniqueName (application).
	AttrUniqueName = "uniqueName"
	// AttrDisplayName is the app's or password's display name.
	AttrDisplayName = "displayName"
	// AttrAppObjectID is the owning app's object id (password).
	AttrAppObjectID = "appObjectId"
	// AttrHint is the password hint (password).
	AttrHint = "hint"
	// AttrEndDateTime is the password expiry, RFC 3339 (password).
	AttrEndDateTime = "endDateTime"
	// AttrScope is the assignment scope (role_assignment).
	AttrScope = "scope"
	// AttrRoleDefinitionGUID is the assigned role's GUID (role_assignment).
	AttrRoleDefinitionGUID = "roleDefinitionGuid"
	// AttrPrincipalID is the assignee's object id (role_assignment).
	AttrPrincipalID = "principalId"
)

// MarkerTag is the app and service-principal tag galshare writes on objects
// it creates for a manifest. It lets a plan made without (or after losing)
// the state file tell galshare-made objects (origin "created") from
// hand-made ones (origin "adopted", never deleted).
func MarkerTag(manifestName string) string { return "galshare:" + manifestName }

// MarkerDescription is the description galshare writes on role assignments
// it creates, for the same reason as MarkerTag.
func MarkerDescription(manifestName string) string {
	return "managed by galshare (" + manifestName + ")"
}

// listValue renders a list attribute as a JSON array for before/after maps.
func listValue(xs []string) string {
	if xs == nil {
		xs = []string{}
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

// sameSet compares two string lists as case-insensitive sets; Graph keeps
// order but galshare does not care about it.
func sameSet(a, b []string) bool {
	norm := func(xs []string) []string {
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			x = strings.ToLower(x)
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

func containsFold(xs []string, s string) bool {
	return slices.ContainsFunc(xs, func(x string) bool { return strings.EqualFold(x, s) })
}
