package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// permissionsAPIVersion is Microsoft.Authorization's api-version for the
// effective-permissions read (the one armauthorization/v2 uses).
const permissionsAPIVersion = "2022-04-01"

// Permission is one entry of ARM's effective-permissions answer for a scope:
// the control-plane actions of one role the caller holds there. The caller
// may perform an action when some entry allows it (see Allows).
type Permission struct {
	Actions    []string `json:"actions"`
	NotActions []string `json:"notActions"`
}

// PermissionsReader is implemented by the Resources of a Connector. It is a
// separate, optional interface so fakes of Resources keep compiling: the
// planner's write preflight asks for it and skips the check when absent.
type PermissionsReader interface {
	// Permissions reads GET {scope}/providers/Microsoft.Authorization/permissions:
	// what the caller (the operator identity) may do at scope, roles inherited
	// from above included. ARM serves it at resource-group and resource
	// scope, and at subscription scope in practice; it needs no RBAC action.
	Permissions(ctx context.Context, scope string) ([]Permission, error)
}

var _ PermissionsReader = (*armResources)(nil)

// Permissions implements PermissionsReader with one GET per page.
func (r *armResources) Permissions(ctx context.Context, scope string) ([]Permission, error) {
	const op = "GET permissions"
	c := r.rawARM()
	next := runtime.JoinPaths(c.Endpoint(), strings.TrimRight(scope, "/"), "/providers/Microsoft.Authorization/permissions") +
		"?api-version=" + permissionsAPIVersion
	var out []Permission
	for pages := 0; next != "" && pages < 100; pages++ {
		req, err := c.NewRequest(ctx, http.MethodGet, next)
		if err != nil {
			return nil, r.fail(scope, op, err)
		}
		req.Raw().Header.Set("Accept", "application/json")
		resp, err := c.Pipeline().Do(req)
		if err != nil {
			return nil, r.fail(scope, op, err)
		}
		if !runtime.HasStatusCode(resp, http.StatusOK) {
			err := runtime.NewResponseError(resp)
			resp.Body.Close()
			return nil, r.fail(scope, op, err)
		}
		var page struct {
			Value    []Permission `json:"value"`
			NextLink string       `json:"nextLink"`
		}
		err = runtime.UnmarshalAsJSON(resp, &page)
		resp.Body.Close()
		if err != nil {
			return nil, r.fail(scope, op, err)
		}
		out = append(out, page.Value...)
		next = page.NextLink
	}
	return out, nil
}

// Allows reports whether the effective permissions grant a control-plane
// action: some entry has an action pattern matching it (`*` wildcards, case
// insensitive) and none of that entry's notActions matches. Role assignment
// conditions (ABAC) are not part of ARM's answer, so a condition can still
// refuse a write that Allows accepts.
func Allows(perms []Permission, action string) bool {
	for _, p := range perms {
		if matchesAny(p.Actions, action) && !matchesAny(p.NotActions, action) {
			return true
		}
	}
	return false
}

func matchesAny(patterns []string, action string) bool {
	for _, p := range patterns {
		if wildcardMatch(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against p where `*` stands for any run of characters.
func wildcardMatch(p, s string) bool {
	star, mark := -1, 0
	pi, si := 0, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi, mark = star+1, mark+1
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

// GraphRolesReader is implemented by *Connector: the Microsoft Graph
// application permissions the operator identity holds in a tenant. An
// optional interface, so planner fakes need not implement it.
type GraphRolesReader interface {
	// GraphRoles returns the app roles of the operator's Graph token in
	// tenant. known is false for a signed-in user's delegated token (its
	// rights come from directory roles the token does not list), in which
	// case roles says nothing.
	GraphRoles(ctx context.Context, tenant string) (roles []string, known bool, err error)
}

var _ GraphRolesReader = (*Connector)(nil)

// GraphRoles reads the `roles` claim of the operator's Graph access token for
// tenant. It makes no API call: the token comes from the credential (usually
// its cache, as refresh has already called Graph) and is decoded, not
// verified, and never stored or logged.
func (c *Connector) GraphRoles(ctx context.Context, tenant string) ([]string, bool, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, false, err
	}
	cred, err := c.credential(tenant)
	if err != nil {
		return nil, false, err
	}
	// EnableCAE like azcore's bearer policy, so the token comes from the same
	// cache the Graph client filled instead of a second sign-in.
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.env.GraphScope()}, EnableCAE: true})
	if err != nil {
		return nil, false, c.redact.classify(tenant, "", "sign in to Graph", err)
	}
	roles, known := tokenRoles(tok.Token)
	return roles, known, nil
}

// tokenRoles decodes the roles claim of a JWT without verifying it; known is
// false when the token cannot be decoded or is a delegated (user) token
// without roles.
func tokenRoles(raw string) ([]string, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims struct {
		Roles []string `json:"roles"`
		Scp   string   `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, false
	}
	// Entra omits an empty roles claim, so an app-only token (no scp) without
	// it means "no application permission"; a delegated token (scp) says
	// nothing about the user's directory roles.
	if claims.Roles == nil && claims.Scp != "" {
		return nil, false
	}
	return claims.Roles, true
}
