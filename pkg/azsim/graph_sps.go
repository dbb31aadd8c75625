package azsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

var spFilterProps = map[string]bool{"appid": true, "displayname": true, "id": true, "tags": true,
	"appownerorganizationid": true, "serviceprincipaltype": true}

func (s *Server) graphServicePrincipals(g *graphCall) {
	key, rest, single := selector(g.segs)
	if !single {
		switch g.r.Method {
		case http.MethodGet:
			s.listServicePrincipals(g)
		case http.MethodPost:
			props, ok := g.decodeBody()
			if !ok {
				return
			}
			var appID string
			if raw, ok := props["appId"]; !ok || json.Unmarshal(raw, &appID) != nil || appID == "" {
				g.badRequest("Request_BadRequest", "Required property 'appId' is missing.")
				return
			}
			if sp, ok := s.createServicePrincipal(g, appID, props); ok {
				s.entity(g, http.StatusCreated, "servicePrincipals", s.spJSON(sp))
			}
		default:
			g.methodNotAllowed()
		}
		return
	}
	if len(rest) > 0 {
		writeGraphError(g.w, g.r, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+rest[0].name+"'.")
		return
	}
	var sp *servicePrincipal
	switch strings.ToLower(key.keyName) {
	case "id":
		sp = g.t.SPs[strings.ToLower(key.keyValue)]
	case "appid":
		sp = g.t.spByAppID(key.keyValue)
	default:
		g.badRequest("Request_BadRequest", "Unsupported alternate key '"+key.keyName+"'.")
		return
	}
	now := s.now()
	if sp != nil && !visible(sp.VisibleAt, now) && g.r.Method != http.MethodPatch {
		sp = nil
	}
	switch g.r.Method {
	case http.MethodGet:
		if sp == nil {
			g.notFound(key.keyValue)
			return
		}
		if !g.canRead() {
			g.denied()
			return
		}
		s.entity(g, http.StatusOK, "servicePrincipals", s.spJSON(sp))
	case http.MethodPatch:
		props, ok := g.decodeBody()
		if !ok {
			return
		}
		if sp == nil {
			if !strings.EqualFold(key.keyName, "appId") || !g.createIfMissing() {
				g.notFound(key.keyValue)
				return
			}
			if created, ok := s.createServicePrincipal(g, key.keyValue, props); ok {
				s.entity(g, http.StatusCreated, "servicePrincipals", s.spJSON(created))
			}
			return
		}
		if !s.canWriteSP(g, sp) {
			g.denied()
			return
		}
		tags, ok := spProps(g, props)
		if !ok {
			return
		}
		if tags != nil {
			sp.Tags = tags
		}
		s.changed()
		g.w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if sp == nil {
			g.notFound(key.keyValue)
			return
		}
		if !s.canWriteSP(g, sp) {
			g.denied()
			return
		}
		delete(g.t.SPs, sp.ID)
		s.changed()
		g.w.WriteHeader(http.StatusNoContent)
	default:
		g.methodNotAllowed()
	}
}

// spProps validates the writable SP properties the simulator models (tags); others are accepted and ignored.
func spProps(g *graphCall, props map[string]json.RawMessage) (tags []string, ok bool) {
	for k, raw := range props {
		switch strings.ToLower(k) {
		case "tags":
			if err := json.Unmarshal(raw, &tags); err != nil {
				g.badRequest("Request_BadRequest", "Invalid value specified for property 'tags'.")
				return nil, false
			}
			if tags == nil {
				tags = []string{}
			}
		case "id", "appownerorganizationid":
			g.badRequest("Request_BadRequest", "Property '"+k+"' is read-only and cannot be set.")
			return nil, false
		}
	}
	return tags, true
}

// canWriteSP: Application.ReadWrite.All, or OwnedBy for the SP of an owned app in its home tenant.
func (s *Server) canWriteSP(g *graphCall, sp *servicePrincipal) bool {
	if g.hasRole(permAppReadWriteAll) {
		return true
	}
	if !g.hasRole(permAppReadWriteOwn) {
		return false
	}
	app := s.w.Directory.appByAppID(sp.AppID)
	return app != nil && strings.EqualFold(app.TenantID, g.t.ID) && g.owns(app)
}

// createServicePrincipal creates the SP of appID in the caller's tenant, with Entra's errors: 409 when it exists,
// 400 NoBackingApplicationObject while the app has not replicated (or is single-tenant elsewhere), 403 for OwnedBy
// callers on a foreign app.
func (s *Server) createServicePrincipal(g *graphCall, appID string, props map[string]json.RawMessage) (*servicePrincipal, bool) {
	if !g.hasRole(permAppReadWriteAll, permAppReadWriteOwn) {
		g.denied()
		return nil, false
	}
	now := s.now()
	app := s.w.Directory.appByAppID(appID)
	if app == nil || !s.appVisibleIn(app, g.t.ID, now) {
		g.badRequest("Request_BadRequest", "The appId '"+appID+"' of the service principal does not reference a valid application object.",
			graphErrorDetail{Code: "NoBackingApplicationObject", Target: "appId"})
		return nil, false
	}
	if !g.hasRole(permAppReadWriteAll) {
		if !strings.EqualFold(app.TenantID, g.t.ID) {
			writeGraphError(g.w, g.r, http.StatusForbidden, "Authorization_RequestDenied", "When using this permission, "+
				"the backing application of the service principal being created must in the local tenant")
			return nil, false
		}
		if !g.owns(app) {
			g.denied()
			return nil, false
		}
	}
	if g.t.spByAppID(app.AppID) != nil {
		writeGraphError(g.w, g.r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property appId already exists.")
		return nil, false
	}
	tags, ok := spProps(g, props)
	if !ok {
		return nil, false
	}
	if tags == nil {
		tags = []string{}
	}
	sp := s.addServicePrincipal(g.t, app, now)
	sp.Tags = tags
	return sp, true
}

// addServicePrincipal records a new SP for app in t (used by Graph and the consent page). Callers hold s.mu.
func (s *Server) addServicePrincipal(t *tenant, app *application, now time.Time) *servicePrincipal {
	sp := &servicePrincipal{
		ID: uuid.NewString(), AppID: app.AppID, TenantID: t.ID, DisplayName: app.DisplayName,
		AppOwnerOrganizationID: app.TenantID, AppRoles: []string{}, Tags: []string{}, CreatedAt: now,
		VisibleAt: s.visibleAfterLag(),
	}
	t.SPs[sp.ID] = sp
	s.changed()
	return sp
}

func (s *Server) listServicePrincipals(g *graphCall) {
	if !g.canRead() {
		g.denied()
		return
	}
	now := s.now()
	var sps []*servicePrincipal
	for _, sp := range g.t.SPs {
		if visible(sp.VisibleAt, now) {
			sps = append(sps, sp)
		}
	}
	sortByCreation(sps, func(sp *servicePrincipal) (time.Time, string) { return sp.CreatedAt, sp.ID })
	items := make([]map[string]any, 0, len(sps))
	for _, sp := range sps {
		items = append(items, s.spJSON(sp))
	}
	s.writeGraphList(g, "servicePrincipals", items, spFilterProps)
}

func (s *Server) spJSON(sp *servicePrincipal) map[string]any {
	var redirects []string
	audience := "AzureADMyOrg"
	if app := s.w.Directory.appByAppID(sp.AppID); app != nil {
		redirects = slices.Clone(app.RedirectURIs)
		audience = app.SignInAudience
	}
	if redirects == nil {
		redirects = []string{}
	}
	return map[string]any{
		"id": sp.ID, "appId": sp.AppID, "displayName": sp.DisplayName, "appDisplayName": sp.DisplayName,
		"appOwnerOrganizationId": sp.AppOwnerOrganizationID, "servicePrincipalType": "Application",
		"accountEnabled": true, "tags": slices.Clone(sp.Tags), "replyUrls": redirects, "signInAudience": audience,
		"servicePrincipalNames": []string{sp.AppID}, "appRoleAssignmentRequired": false, "deletedDateTime": nil,
		"createdDateTime": sp.CreatedAt.UTC().Format(time.RFC3339),
	}
}
