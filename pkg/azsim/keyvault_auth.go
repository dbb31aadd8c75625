package azsim

import (
	"errors"
	"net/http"
	"strings"
)

// Key Vault data actions the secrets routes need, as the built-in roles name them.
const (
	kvActionGetSecret    = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	kvActionSetSecret    = "Microsoft.KeyVault/vaults/secrets/setSecret/action"
	kvActionReadMetadata = "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
	kvActionDelete       = "Microsoft.KeyVault/vaults/secrets/delete"
)

// vaultScopeID returns the vault id a scope at or below a Key Vault names (the scope itself for a vault, the vault
// for a secret), and whether the scope is one.
func vaultScopeID(scope string) (string, bool) {
	segs := strings.Split(strings.Trim(scope, "/"), "/")
	for i := 0; i+3 < len(segs); i++ {
		if eq(segs[i], "providers") && eq(segs[i+1], "Microsoft.KeyVault") && eq(segs[i+2], "vaults") {
			return "/" + strings.Join(segs[:i+4], "/"), true
		}
	}
	return "", false
}

// kvChallenge is the WWW-Authenticate header of a vault's 401: the authority of the vault's tenant and the
// resource to ask a token for, in the form Key Vault sends and azsecrets parses.
func (s *Server) kvChallenge(v *keyVault) string {
	return `Bearer authorization="` + s.baseURL + "/" + v.Tenant + `", resource="` + audKeyVault + `"`
}

// kvUnauthorized answers 401 with the challenge, as Key Vault does for a missing or unacceptable token.
func (s *Server) kvUnauthorized(w http.ResponseWriter, v *keyVault, msg string) {
	w.Header().Set("WWW-Authenticate", s.kvChallenge(v))
	writeKVError(w, http.StatusUnauthorized, "Unauthorized", msg, "")
}

// kvAuthenticate checks the request's bearer token for the vault: signature, lifetime, the vault audience and the
// vault's tenant. It answers the 401 itself and returns nil then.
func (s *Server) kvAuthenticate(w http.ResponseWriter, r *http.Request, v *keyVault) *Claims {
	h := r.Header.Get("Authorization")
	if strings.TrimSpace(h) == "" {
		s.kvUnauthorized(w, v, "AKV10000: Request is missing a Bearer or PoP token.")
		return nil
	}
	raw := bearerToken(h)
	if raw == "" {
		s.kvUnauthorized(w, v, "AKV10001: Unsupported authorization scheme. Expected Bearer or PoP.")
		return nil
	}
	c, err := s.verifyToken(raw, audKeyVault)
	if err != nil {
		switch {
		case errors.Is(err, errTokenExpired):
			s.kvUnauthorized(w, v, "AKV10019: Token expired.")
		case errors.Is(err, errTokenAudience):
			aud := ""
			if pc, perr := parseUnverified(raw); perr == nil {
				aud = pc.Aud
			}
			s.kvUnauthorized(w, v, "AKV10022: Invalid audience. Expected "+audKeyVault+", found: "+aud+".")
		default:
			s.kvUnauthorized(w, v, "AKV10016: Bearer token is invalid.")
		}
		return nil
	}
	if !strings.EqualFold(c.Tenant, v.Tenant) {
		s.kvUnauthorized(w, v, "AKV10032: Invalid issuer. Expected one of "+s.issuer(v.Tenant)+", found "+c.Issuer+".")
		return nil
	}
	return c
}

// kvAuthorize reports whether the caller holds a role with the data action at scope (a vault or secret id): Key
// Vault in RBAC mode evaluates data actions only, so Owner or Contributor on the vault grant nothing here. It
// answers the 403 itself.
func (s *Server) kvAuthorize(w http.ResponseWriter, c *Claims, v *keyVault, action, scope string) bool {
	p := principalKey{Tenant: c.Tenant, ObjectID: c.ObjectID}
	granted := false
	s.arm().forPrincipalAbove(p, scope, func(_ string, ra *roleAssignment) bool {
		role, ok := roleByID(ra.RoleDefinitionGUID)
		granted = ok && roleGrantsData(role, action)
		return !granted
	})
	if granted {
		return true
	}
	msg := "Caller is not authorized to perform action on resource.\r\n" +
		"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
		"Caller: appid=" + c.AppID + ";oid=" + c.ObjectID + ";iss=" + c.Issuer + "\r\n" +
		"Action: '" + action + "'\r\n" +
		"Resource: '" + strings.ToLower(scope) + "'\r\n" +
		"Assignment: (not found)\r\n" +
		"DecisionReason: 'DeniedWithNoValidRBAC' \r\n" +
		"Vault: " + v.Name + ";location=" + v.Location + "\r\n"
	writeKVError(w, http.StatusForbidden, "Forbidden", msg, "ForbiddenByRbac")
	return false
}

// roleGrantsData reports whether the role grants the data action: some dataActions pattern matches and no
// notDataActions pattern does.
func roleGrantsData(r *roleDefinition, action string) bool {
	granted := false
	for _, a := range r.DataActions {
		if actionMatches(a, action) {
			granted = true
			break
		}
	}
	if !granted {
		return false
	}
	for _, na := range r.NotDataActions {
		if actionMatches(na, action) {
			return false
		}
	}
	return true
}

// writeKVError writes Key Vault's error envelope {"error":{"code","message","innererror":{"code"}}}.
func writeKVError(w http.ResponseWriter, status int, code, msg, inner string) {
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]any{"code": inner}
	}
	writeJSON(w, status, map[string]any{"error": e})
}
