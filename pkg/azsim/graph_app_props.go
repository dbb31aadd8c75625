package azsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// applyAppProps validates and applies writable application properties, answering 400 itself on a bad value.
func (s *Server) applyAppProps(g *graphCall, app *application, props map[string]json.RawMessage, creating bool) bool {
	bad := func(p string) bool {
		g.badRequest("Request_BadRequest", "Invalid value specified for property '"+p+"' of resource 'Application'.")
		return false
	}
	for k, raw := range props {
		switch strings.ToLower(k) {
		case "displayname":
			if json.Unmarshal(raw, &app.DisplayName) != nil {
				return bad(k)
			}
		case "uniquename":
			var un string
			if json.Unmarshal(raw, &un) != nil || un == "" {
				return bad(k)
			}
			if app.UniqueName != "" && !strings.EqualFold(app.UniqueName, un) {
				g.badRequest("Request_BadRequest", "Property 'uniqueName' is read-only once set and cannot be changed.")
				return false
			}
			if other := s.w.Directory.appByKey(app.TenantID, graphSeg{keyName: "uniqueName", keyValue: un}); other != nil && other.ID != app.ID {
				writeGraphError(g.w, g.r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
					"Another object with the same value for property uniqueName already exists.")
				return false
			}
			app.UniqueName = un
		case "signinaudience":
			var v string
			if json.Unmarshal(raw, &v) != nil || signInAudiences[strings.ToLower(v)] == "" {
				return bad(k)
			}
			app.SignInAudience = signInAudiences[strings.ToLower(v)]
		case "tags":
			var v []string
			if json.Unmarshal(raw, &v) != nil {
				return bad(k)
			}
			app.Tags = append([]string{}, v...)
		case "notes":
			var v *string
			if json.Unmarshal(raw, &v) != nil {
				return bad(k)
			}
			app.Notes = ""
			if v != nil {
				app.Notes = *v
			}
		case "description":
			var v *string
			if json.Unmarshal(raw, &v) != nil {
				return bad(k)
			}
			app.Description = ""
			if v != nil {
				app.Description = *v
			}
		case "web":
			var web struct {
				RedirectURIs *[]string `json:"redirectUris"`
			}
			if json.Unmarshal(raw, &web) != nil {
				return bad(k)
			}
			if web.RedirectURIs != nil {
				for _, u := range *web.RedirectURIs {
					if !validRedirectURI(u) {
						return bad("web.redirectUris")
					}
				}
				app.RedirectURIs = append([]string{}, *web.RedirectURIs...)
			}
		case "api":
			var api struct {
				RequestedAccessTokenVersion *int `json:"requestedAccessTokenVersion"`
			}
			if json.Unmarshal(raw, &api) != nil {
				return bad(k)
			}
			if api.RequestedAccessTokenVersion != nil {
				v := *api.RequestedAccessTokenVersion
				if v != 1 && v != 2 {
					return bad("api.requestedAccessTokenVersion")
				}
				app.RequestedAccessTokenVersion = &v
			}
		case "passwordcredentials", "keycredentials":
			var v []any
			if json.Unmarshal(raw, &v) == nil && len(v) == 0 && creating {
				continue
			}
			g.badRequest("Request_BadRequest", "Property '"+k+"' cannot be set here; use addPassword and removePassword.")
			return false
		case "id", "appid", "createddatetime", "publisherdomain", "deleteddatetime":
			if creating {
				continue
			}
			g.badRequest("Request_BadRequest", "Property '"+k+"' is read-only and cannot be set.")
			return false
		default:
			if ignoredAppProps[strings.ToLower(k)] {
				continue
			}
			g.badRequest("Request_BadRequest", "Property '"+k+"' does not exist as a declared property or extension property.")
			return false
		}
	}
	if aud := strings.ToLower(app.SignInAudience); aud == "azureadandpersonalmicrosoftaccount" || aud == "personalmicrosoftaccount" {
		if app.RequestedAccessTokenVersion == nil || *app.RequestedAccessTokenVersion != 2 {
			g.badRequest("InvalidAccessTokenVersion", "Property api.requestedAccessTokenVersion is invalid.")
			return false
		}
	}
	return true
}

// validRedirectURI accepts absolute https URIs and http://localhost ones, as Entra does for web redirect URIs.
func validRedirectURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	h := u.Hostname()
	return u.Scheme == "http" && (h == "localhost" || h == "127.0.0.1")
}
