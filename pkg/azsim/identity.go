package azsim

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tokenLifetime is the access token lifetime; azcore refreshes five minutes early, so it must stay well above 300s.
const tokenLifetime = 3600

const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// serveIdentity serves the per-tenant Entra endpoints: OIDC discovery, the signing keys, the token endpoint and the
// consent pages.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	tenantSeg := segs[0]
	switch identityRouteName(r.URL.Path) {
	case "openid-configuration":
		s.serveDiscovery(w, r, tenantSeg)
	case "keys":
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{s.signer.jwk()}})
	case "token":
		if r.Method != http.MethodPost {
			writeAADError(w, http.StatusMethodNotAllowed, "invalid_request", 900561,
				"The endpoint only accepts POST requests. Received a "+r.Method+" request.")
			return
		}
		s.serveToken(w, r, tenantSeg)
	case "authorize":
		s.serveAuthorize(w, r, tenantSeg, false)
	case "adminconsent":
		s.serveAuthorize(w, r, tenantSeg, true)
	default:
		http.NotFound(w, r)
	}
}

// issuer is the token issuer for a tenant; its scheme and host equal the authority's, as MSAL requires.
func (s *Server) issuer(tenantID string) string { return s.baseURL + "/" + tenantID + "/v2.0" }

func tenantNotFound(w http.ResponseWriter, seg string) {
	writeAADError(w, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+seg+"' not found. Check to make sure "+
		"you have the correct tenant ID and are signing into the correct cloud. Check with your subscription "+
		"administrator, this may happen if there are no active subscriptions for the tenant.")
}

func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, seg string) {
	s.mu.Lock()
	t := s.w.Directory.tenant(seg)
	s.mu.Unlock()
	if t == nil {
		tenantNotFound(w, seg)
		return
	}
	base := s.baseURL + "/" + seg
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.issuer(t.ID),
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"},
		"request_uri_parameter_supported":       false,
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "galshare-simulator",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"kerberos_endpoint":                     base + "/kerberos",
	})
}

// resourceAudience maps the resource of a "<resource>/.default" scope to the token audience.
func resourceAudience(resource string) (string, bool) {
	switch strings.ToLower(strings.TrimRight(resource, "/")) {
	case "https://graph.microsoft.com", graphAppID:
		return audGraph, true
	case "https://management.core.windows.net":
		return audARM, true
	case "https://management.azure.com":
		return audARMAlt, true
	case strings.ToLower(audTokenExchange):
		return audTokenExchange, true
	case audKeyVault:
		return audKeyVault, true
	}
	return "", false
}

// serveToken is the client-credentials token endpoint (client secret or client assertion).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, seg string) {
	if err := r.ParseForm(); err != nil {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must be form encoded.")
		return
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			writeAADError(w, http.StatusBadRequest, "invalid_request", 900144,
				"The request body must contain the following parameter: 'grant_type'.")
			return
		}
		writeAADError(w, http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type '"+gt+"'.")
		return
	}
	clientID := strings.ToLower(f.Get("client_id"))
	if clientID == "" {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'client_id'.")
		return
	}
	scope := f.Get("scope")
	resource := ""
	for sc := range strings.FieldsSeq(scope) {
		if strings.HasSuffix(sc, "/.default") {
			resource = strings.TrimSuffix(sc, "/.default")
			break
		}
	}
	if resource == "" && scope == "" {
		resource = f.Get("resource") // the v1 endpoint's form
	}
	if resource == "" {
		writeAADError(w, http.StatusBadRequest, "invalid_scope", 1002012,
			"The provided value for scope "+scope+" is not valid. Client credential flows must have a scope value "+
				"with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	aud, ok := resourceAudience(resource)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	d := s.w.Directory
	t := d.tenant(seg)
	if t == nil {
		tenantNotFound(w, seg)
		return
	}
	if !ok {
		writeAADError(w, http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named "+resource+
			" was not found in the tenant named "+t.DisplayName+". This can happen if the application has not been "+
			"installed by the administrator of the tenant or consented to by any user in the tenant. You might have "+
			"sent your authentication request to the wrong tenant.")
		return
	}
	app := d.appByAppID(clientID)
	var sp *servicePrincipal
	if app != nil && s.appVisibleIn(app, t.ID, now) {
		if cand := t.spByAppID(clientID); cand != nil && visible(cand.VisibleAt, now) {
			sp = cand
		}
	}
	if sp == nil {
		writeAADError(w, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+
			clientID+"' was not found in the directory '"+t.DisplayName+"'. This can happen if the application has "+
			"not been installed by the administrator of the tenant or consented to by any user in the tenant. You "+
			"may have sent your authentication request to the wrong tenant.")
		return
	}
	switch {
	case f.Get("client_secret") != "":
		if !s.checkSecret(w, app, f.Get("client_secret"), now) {
			return
		}
	case f.Get("client_assertion") != "":
		if f.Get("client_assertion_type") != jwtBearerAssertionType {
			writeAADError(w, http.StatusBadRequest, "invalid_request", 50027,
				"Invalid client_assertion_type; expected '"+jwtBearerAssertionType+"'.")
			return
		}
		if !s.checkAssertion(w, app, f.Get("client_assertion"), now) {
			return
		}
	default:
		writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the "+
			"following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	claims := &jwtClaims{
		Aud: aud, Iss: s.issuer(t.ID), Iat: now.Unix(), Nbf: now.Unix() - 300, Exp: now.Unix() + tokenLifetime,
		Sub: sp.ID, Tid: t.ID, Oid: sp.ID, AppID: app.AppID, Azp: app.AppID, Idtyp: "app", Ver: "1.0",
		Jti: uuid.NewString(),
	}
	if aud == audGraph {
		claims.Roles = append([]string(nil), sp.AppRoles...)
		claims.Ver = "2.0"
	}
	tok, err := s.signer.sign(claims)
	if err != nil {
		writeAADError(w, http.StatusInternalServerError, "server_error", 90033, "A transient error has occurred.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": tokenLifetime, "ext_expires_in": tokenLifetime, "access_token": tok,
	})
}

// appVisibleIn reports whether app can be used in tenantID at now: it must have replicated, and outside its home
// tenant it must be multi-tenant. Callers hold s.mu.
func (s *Server) appVisibleIn(app *application, tenantID string, now time.Time) bool {
	if !visible(app.VisibleAt, now) {
		return false
	}
	return strings.EqualFold(app.TenantID, tenantID) || multiTenantAudiences[strings.ToLower(app.SignInAudience)]
}

// checkSecret validates a client secret against the app's replicated password credentials, answering the AADSTS
// error itself when it fails.
func (s *Server) checkSecret(w http.ResponseWriter, app *application, secret string, now time.Time) bool {
	for _, p := range app.Passwords {
		if !visible(p.VisibleAt, now) || !secretMatches(p.SecretHash, secret) {
			continue
		}
		if now.After(p.End) {
			writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000222, "The provided client secret keys for "+
				"app '"+app.AppID+"' are expired. Visit the Azure portal to create new keys for your app: "+
				"https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: "+
				"https://aka.ms/certCreds.")
			return false
		}
		if now.Before(p.Start) {
			break
		}
		return true
	}
	writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the "+
		"secret being sent in the request is the client secret value, not the client secret ID, for a secret added "+
		"to app '"+app.AppID+"'.")
	return false
}

// checkAssertion validates a client assertion against the app's federated identity credentials. The simulator can
// verify only JWTs it issued itself (issuer under its own URL, e.g. a token for api://AzureADTokenExchange obtained
// by a seeded operator acting as a managed identity), so a federated credential must name such an issuer.
func (s *Server) checkAssertion(w http.ResponseWriter, app *application, assertion string, now time.Time) bool {
	c, err := parseUnverified(assertion)
	if err != nil {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed.")
		return false
	}
	var match *federatedCred
	for _, fc := range app.FICs {
		if !visible(fc.VisibleAt, now) || fc.Issuer != c.Iss || fc.Subject != c.Sub {
			continue
		}
		for _, a := range fc.Audiences {
			if a == c.Aud {
				match = fc
			}
		}
	}
	if match == nil {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 70021, "No matching federated identity record "+
			"found for presented assertion. Assertion Issuer: '"+c.Iss+"'. Assertion Subject: '"+c.Sub+"'. "+
			"Assertion Audience: '"+c.Aud+"'.")
		return false
	}
	if !strings.HasPrefix(c.Iss, s.baseURL+"/") {
		writeAADError(w, http.StatusBadRequest, "invalid_client", 700027, "Client assertion failed signature "+
			"validation: the simulator can only verify assertions it issued itself (issuer under "+s.baseURL+").")
		return false
	}
	if _, err := s.signer.parse(assertion); err != nil {
		writeAADError(w, http.StatusBadRequest, "invalid_client", 700027, "Client assertion failed signature validation.")
		return false
	}
	if now.Unix() >= c.Exp || (c.Nbf != 0 && now.Unix()+300 < c.Nbf) {
		writeAADError(w, http.StatusBadRequest, "invalid_client", 700024,
			"Client assertion is not within its valid time range.")
		return false
	}
	return true
}
