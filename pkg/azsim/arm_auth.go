package azsim

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// armAudiencesMessage is the list ARM prints when a token has the wrong audience.
const armAudiencesMessage = "'https://management.core.windows.net/','https://management.core.windows.net'," +
	"'https://management.azure.com/','https://management.azure.com'"

// armAuthenticate verifies the primary bearer token and maps failures to ARM's 401 codes.
func (s *Server) armAuthenticate(header string) (*Claims, *armError) {
	authority := s.baseURL + "/"
	if strings.TrimSpace(header) == "" {
		return nil, errUnauthenticated("AuthenticationFailed",
			"Authentication failed. The 'Authorization' header is missing.", authority)
	}
	raw := bearerToken(header)
	if raw == "" {
		return nil, errUnauthenticated("AuthenticationFailed",
			"Authentication failed. The 'Authorization' header is provided in an invalid format.", authority)
	}
	c, err := s.verifyToken(raw, audARM)
	if err != nil {
		return nil, s.tokenError(raw, err, authority)
	}
	return c, nil
}

// tokenError translates a verifyToken error into ARM's 401 answer.
func (s *Server) tokenError(raw string, err error, authority string) *armError {
	switch {
	case errors.Is(err, errTokenExpired):
		exp := "unknown"
		if c, perr := parseUnverified(raw); perr == nil {
			exp = armUTC(time.Unix(c.Exp, 0))
		}
		return errUnauthenticated("ExpiredAuthenticationToken",
			"The access token expiry UTC time '"+exp+"' is earlier than current UTC time '"+armUTC(s.now())+"'.",
			authority)
	case errors.Is(err, errTokenAudience):
		aud := ""
		if c, perr := parseUnverified(raw); perr == nil {
			aud = c.Aud
		}
		return errUnauthenticated("InvalidAuthenticationTokenAudience",
			"The access token has been obtained for wrong audience or resource '"+aud+"'. It should exactly match "+
				"with one of the allowed audiences "+armAudiencesMessage+".", authority)
	default:
		return errUnauthenticated("InvalidAuthenticationToken", "The access token is invalid.", authority)
	}
}

// armUTC formats a time the way ARM's token error messages do ("11/23/2026 2:53:07 PM").
func armUTC(t time.Time) string { return t.UTC().Format("1/2/2006 3:04:05 PM") }

// auxToken is one verified x-ms-authorization-auxiliary token (or the reason it was rejected).
type auxToken struct {
	raw    string
	claims *Claims
	err    error
}

// armAuxTokens parses and verifies the auxiliary header: up to three comma-separated "Bearer <token>" values.
func (s *Server) armAuxTokens(header string) ([]auxToken, *armError) {
	if strings.TrimSpace(header) == "" {
		return nil, nil
	}
	parts := strings.Split(header, ",")
	if len(parts) > 3 {
		return nil, newARMError(http.StatusBadRequest, "InvalidAuxiliaryTokens",
			"The number of auxiliary tokens in the 'x-ms-authorization-auxiliary' header exceeds the maximum of 3.")
	}
	out := make([]auxToken, 0, len(parts))
	for _, p := range parts {
		raw := bearerToken(strings.TrimSpace(p))
		if raw == "" {
			return nil, newARMError(http.StatusUnauthorized, "InvalidAuthenticationToken",
				"The 'x-ms-authorization-auxiliary' header is provided in an invalid format.")
		}
		c, err := s.verifyToken(raw, audARM)
		out = append(out, auxToken{raw: raw, claims: c, err: err})
	}
	return out, nil
}

// crossTenantCaller decides who a request to a subscription of another tenant runs as. Without a matching auxiliary
// token it is ARM's 401 InvalidAuthenticationTokenTenant; with an auxiliary token for the subscription's tenant
// issued to the same application, RBAC is evaluated for the aux token's principal. Callers hold s.mu.
func (s *Server) crossTenantCaller(primary *Claims, sub *armSubscription, aux []auxToken) (principalKey, *armError) {
	authority := s.baseURL + "/" + sub.Tenant
	for _, a := range aux {
		if a.err != nil {
			if c, perr := parseUnverified(a.raw); perr == nil && strings.EqualFold(c.Tid, sub.Tenant) {
				return principalKey{}, s.tokenError(a.raw, a.err, authority)
			}
			continue
		}
		if !strings.EqualFold(a.claims.Tenant, sub.Tenant) {
			continue
		}
		if !strings.EqualFold(a.claims.AppID, primary.AppID) {
			return principalKey{}, errUnauthenticated("InvalidAuthenticationToken",
				"The auxiliary token for tenant '"+sub.Tenant+"' was issued to application '"+a.claims.AppID+
					"', which does not match the application '"+primary.AppID+"' of the primary token.", authority)
		}
		return principalKey{Tenant: a.claims.Tenant, ObjectID: a.claims.ObjectID}, nil
	}
	iss := "https://sts.windows.net/" + primary.Tenant + "/"
	return principalKey{}, errUnauthenticated("InvalidAuthenticationTokenTenant",
		"The access token is from the wrong issuer '"+iss+"'. It must match the tenant 'https://sts.windows.net/"+
			sub.Tenant+"/' associated with this subscription. Please use the authority (URL) '"+authority+
			"' to get the token. Note, if the subscription is transferred to another tenant there is no impact to "+
			"the services, but information about new tenant could take time to propagate (up to an hour). If you "+
			"just transferred your subscription and see this error message, please try back later.", authority)
}
