package azure

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// TokenIdentity is who a token says the caller is: the tenant it was issued in,
// the caller's object id there (for an app: its service principal's object id in
// that tenant) and the app id. It never holds the token itself.
type TokenIdentity struct {
	Tenant   string
	ObjectID string
	AppID    string
}

// SignInIdentity gets an ARM token for tenant, like SignIn, and returns the
// identity its claims name. `galshare verify` uses it on a connector from
// AppClients: the app has no Graph permissions in a consumer tenant, yet needs its
// service principal's object id there to check its role assignments, and the
// token's oid claim is exactly that. The claims are read, not verified: the token
// comes straight from the authority over TLS and is used for nothing else.
func (c *Connector) SignInIdentity(ctx context.Context, tenant string) (TokenIdentity, error) {
	cred, err := c.credential(tenant)
	if err != nil {
		return TokenIdentity{}, err
	}
	tok, err := cred.GetToken(ctx, cacheableToken(c.env.ARMScope()))
	if err != nil {
		return TokenIdentity{}, c.redact.classify(tenant, "", "sign in", err)
	}
	id, ok := tokenIdentity(tok.Token)
	if !ok || id.ObjectID == "" {
		return TokenIdentity{}, &Error{Tenant: tenant, Op: "sign in", Kind: KindInvalid,
			Message: "the access token carries no oid claim",
			Fix:     "the authority issued an unexpected token; check the cloud configuration"}
	}
	if id.Tenant != "" && !strings.EqualFold(id.Tenant, tenant) {
		return TokenIdentity{}, &Error{Tenant: tenant, Op: "sign in", Kind: KindInvalid,
			Message: "the access token was issued for tenant " + id.Tenant,
			Fix:     "check the tenant id and the cloud configuration"}
	}
	if id.Tenant == "" {
		id.Tenant = tenant
	}
	return id, nil
}

// tokenClaims are the JWT claims tokenIdentity reads.
type tokenClaims struct {
	TID   string `json:"tid"`
	OID   string `json:"oid"`
	AppID string `json:"appid"`
	AZP   string `json:"azp"`
}

// tokenIdentity decodes the payload of a JWT without verifying it.
func tokenIdentity(raw string) (TokenIdentity, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return TokenIdentity{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return TokenIdentity{}, false
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return TokenIdentity{}, false
	}
	app := c.AppID
	if app == "" {
		app = c.AZP
	}
	return TokenIdentity{Tenant: c.TID, ObjectID: c.OID, AppID: app}, true
}
