package azsim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// consentRoles are the directory roles that may grant tenant-wide consent to a multi-tenant app.
var consentRoles = map[string]bool{
	"global administrator":            true,
	"application administrator":       true,
	"cloud application administrator": true,
	"privileged role administrator":   true,
}

// consentPage is the sign-in + consent form; it works in a real browser and is easy to drive from a test client
// (one form, named inputs, two submit buttons named "action").
var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Permissions requested - {{.AppName}}</title>
<style>body{font-family:Segoe UI,Arial,sans-serif;max-width:440px;margin:40px auto;color:#1b1b1b}
.box{border:1px solid #ccc;padding:24px;box-shadow:0 2px 6px rgba(0,0,0,.2)}input[type=text],input[type=password]{width:100%;padding:6px;margin:4px 0 12px}
.err{color:#e81123}button{padding:6px 20px;margin-right:8px}</style></head>
<body><div class="box">
<p>Microsoft (galshare simulator) &middot; {{.TenantName}}</p>
<h2>Permissions requested</h2>
<p><b>{{.AppName}}</b><br>{{.Publisher}}</p>
<p>This app would like to:</p>
<ul><li>Sign in and read user profile</li><li>Have a service principal in your organization ({{.TenantID}})</li></ul>
{{if .Admin}}<p>Accepting grants these permissions for <b>all users in your organization</b>.</p>{{end}}
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="response_type" value="{{.ResponseType}}">
<input type="hidden" name="state" value="{{.State}}">
<label for="login">Administrator account</label><input type="text" id="login" name="login" value="{{.Login}}" autocomplete="username">
<label for="passwd">Password</label><input type="password" id="passwd" name="passwd" autocomplete="current-password">
<button type="submit" name="action" value="accept" id="accept">Accept</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button>
</form></div></body></html>
`))

var consentErrorPage = template.Must(template.New("err").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><h2>Sorry, but we're having trouble signing you in.</h2>
<p id="error">{{.}}</p></body></html>
`))

type consentView struct {
	AppName, Publisher, TenantName, TenantID, Action         string
	ClientID, RedirectURI, ResponseType, State, Login, Error string
	Admin                                                    bool
}

func consentError(w http.ResponseWriter, status int, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = consentErrorPage.Execute(w, aadstsText(code, msg))
}

// normRedirect compares redirect URIs the way Entra tolerates: scheme and host case-insensitive, and an empty path
// equal to "/".
func normRedirect(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	p := u.Path
	if p == "/" {
		p = ""
	}
	out := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + p
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// serveAuthorize serves GET/POST /{tenant}/oauth2/authorize (admin=false) and /{tenant}/adminconsent (admin=true):
// a seeded admin of the tenant signs in and accepts, which creates the app's service principal there and
// redirects to the redirect URI with a code (or admin_consent=True).
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, seg string, admin bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		consentError(w, http.StatusBadRequest, 900144, "The request could not be parsed.")
		return
	}
	f := r.Form
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	t := s.w.Directory.tenant(seg)
	if t == nil {
		consentError(w, http.StatusBadRequest, 90002, "Tenant '"+seg+"' not found. Check to make sure you have the "+
			"correct tenant ID and are signing into the correct cloud.")
		return
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		consentError(w, http.StatusBadRequest, 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	app := s.w.Directory.appByAppID(clientID)
	if app == nil || !s.appVisibleIn(app, t.ID, now) {
		consentError(w, http.StatusBadRequest, 700016, "Application with identifier '"+clientID+"' was not found in "+
			"the directory '"+t.DisplayName+"'. This can happen if the application has not been installed by the "+
			"administrator of the tenant or consented to by any user in the tenant.")
		return
	}
	redirect := f.Get("redirect_uri")
	if redirect == "" {
		if len(app.RedirectURIs) == 0 {
			consentError(w, http.StatusBadRequest, 500113, "No reply address is registered for the application.")
			return
		}
		redirect = app.RedirectURIs[0]
	}
	matched := false
	for _, u := range app.RedirectURIs {
		if normRedirect(u) == normRedirect(redirect) {
			matched = true
		}
	}
	if !matched {
		consentError(w, http.StatusBadRequest, 50011, "The redirect URI '"+redirect+"' specified in the request does "+
			"not match the redirect URIs configured for the application '"+app.AppID+"'. Make sure the redirect URI "+
			"sent in the request matches one added to your application in the Azure portal.")
		return
	}
	responseType := f.Get("response_type")
	if !admin && responseType != "code" {
		consentError(w, http.StatusBadRequest, 900144, "The request body must contain the following parameter: "+
			"'response_type' with the value 'code'.")
		return
	}
	publisher := app.TenantID
	if home := s.w.Directory.tenant(app.TenantID); home != nil {
		publisher = home.Domain
	}
	view := consentView{
		AppName: app.DisplayName, Publisher: publisher, TenantName: t.DisplayName, TenantID: t.ID, Action: r.URL.Path,
		ClientID: clientID, RedirectURI: redirect, ResponseType: responseType, State: f.Get("state"),
		Login: f.Get("login"), Admin: admin,
	}
	if r.Method == http.MethodGet {
		renderConsent(w, view)
		return
	}
	switch r.PostForm.Get("action") {
	case "cancel":
		q := url.Values{"error": {"access_denied"},
			"error_description": {"AADSTS65004: User declined to consent to access the app."}}
		if admin {
			q.Set("admin_consent", "False")
		}
		redirectWith(w, r, redirect, q, view.State)
		return
	case "accept":
	default:
		view.Error = "Choose Accept or Cancel."
		renderConsent(w, view)
		return
	}
	u := t.userByUPN(r.PostForm.Get("login"))
	if u == nil || subtle.ConstantTimeCompare([]byte(u.Password), []byte(r.PostForm.Get("passwd"))) != 1 {
		view.Error = aadstsText(50126, "Error validating credentials due to invalid username or password.")
		renderConsent(w, view)
		return
	}
	canConsent := false
	for _, role := range u.DirectoryRoles {
		canConsent = canConsent || consentRoles[strings.ToLower(role)]
	}
	if !canConsent {
		view.Error = aadstsText(90094, "Admin consent is required: "+u.UPN+" does not hold a role that can grant "+
			"tenant-wide consent (Global Administrator, Application Administrator, Cloud Application Administrator or "+
			"Privileged Role Administrator).")
		renderConsent(w, view)
		return
	}
	if t.spByAppID(app.AppID) == nil {
		s.addServicePrincipal(t, app, now)
		s.log.Info("consent created service principal", "tenant", t.ID, "appId", app.AppID, "admin", u.UPN)
	}
	if admin {
		redirectWith(w, r, redirect, url.Values{"admin_consent": {"True"}, "tenant": {t.ID}}, view.State)
		return
	}
	code := make([]byte, 32)
	_, _ = rand.Read(code)
	redirectWith(w, r, redirect, url.Values{"code": {base64.RawURLEncoding.EncodeToString(code)},
		"session_state": {uuid.NewString()}}, view.State)
}

func renderConsent(w http.ResponseWriter, v consentView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = consentPage.Execute(w, v)
}

// redirectWith 302-redirects to target with extra query parameters (and state when the request carried one).
func redirectWith(w http.ResponseWriter, r *http.Request, target string, extra url.Values, state string) {
	u, err := url.Parse(target)
	if err != nil {
		consentError(w, http.StatusBadRequest, 50011, "The redirect URI is not a valid URL.")
		return
	}
	q := u.Query()
	for k, v := range extra {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}
