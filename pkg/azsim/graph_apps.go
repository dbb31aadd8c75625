package azsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// signInAudiences are the values Graph accepts for application.signInAudience.
var signInAudiences = map[string]string{
	"azureadmyorg":                       "AzureADMyOrg",
	"azureadmultipleorgs":                "AzureADMultipleOrgs",
	"azureadandpersonalmicrosoftaccount": "AzureADandPersonalMicrosoftAccount",
	"personalmicrosoftaccount":           "PersonalMicrosoftAccount",
}

// ignoredAppProps are accepted on input but not modelled.
var ignoredAppProps = map[string]bool{
	"@odata.type": true, "identifieruris": true, "requiredresourceaccess": true, "info": true,
	"isfallbackpublicclient": true, "spa": true, "publicclient": true, "optionalclaims": true, "approles": true,
}

var appFilterProps = map[string]bool{"appid": true, "displayname": true, "tags": true, "uniquename": true, "id": true}

// selector splits a path into the addressed object's key and the rest, for paths like
// applications/{id}/addPassword or applications(appId='…')/addPassword. ok is false for the collection itself.
func selector(segs []graphSeg) (key graphSeg, rest []graphSeg, ok bool) {
	if segs[0].keyName != "" {
		return segs[0], segs[1:], true
	}
	if len(segs) > 1 {
		return graphSeg{keyName: "id", keyValue: segs[1].name}, segs[2:], true
	}
	return graphSeg{}, nil, false
}

// appByKey finds an application of tenant t by id, appId or uniqueName, regardless of visibility. Object ids (the
// map's lower-case keys) and appIds are looked up directly; uniqueName, which PATCH can change, by a scan.
func (d *directory) appByKey(tenantID string, key graphSeg) *application {
	if key.keyValue == "" {
		return nil
	}
	var a *application
	switch strings.ToLower(key.keyName) {
	case "id":
		a = d.Apps[strings.ToLower(key.keyValue)]
	case "appid":
		a = d.appByAppID(key.keyValue)
	case "uniquename":
		for _, c := range d.Apps {
			if strings.EqualFold(c.TenantID, tenantID) && c.UniqueName != "" && strings.EqualFold(c.UniqueName, key.keyValue) {
				return c
			}
		}
	}
	if a == nil || !strings.EqualFold(a.TenantID, tenantID) {
		return nil
	}
	return a
}

func (s *Server) graphApplications(g *graphCall) {
	key, rest, single := selector(g.segs)
	if !single {
		switch g.r.Method {
		case http.MethodGet:
			s.listApplications(g)
		case http.MethodPost:
			s.createApplication(g)
		default:
			g.methodNotAllowed()
		}
		return
	}
	if k := strings.ToLower(key.keyName); k != "id" && k != "appid" && k != "uniquename" {
		g.badRequest("Request_BadRequest", "Unsupported alternate key '"+key.keyName+"'.")
		return
	}
	now := s.now()
	app := s.w.Directory.appByKey(g.t.ID, key)
	// Upsert by uniqueName sees the object at once (the key is strongly consistent); everything else waits for
	// replication.
	if app != nil && !visible(app.VisibleAt, now) && !(g.r.Method == http.MethodPatch && len(rest) == 0) {
		app = nil
	}
	if len(rest) > 0 {
		if app == nil {
			g.notFound(key.keyValue)
			return
		}
		switch strings.ToLower(rest[0].name) {
		case "addpassword":
			s.addPassword(g, app)
		case "removepassword":
			s.removePassword(g, app)
		case "federatedidentitycredentials":
			s.graphFICs(g, app, rest)
		default:
			writeGraphError(g.w, g.r, http.StatusBadRequest, "BadRequest",
				"Resource not found for the segment '"+rest[0].name+"'.")
		}
		return
	}
	switch g.r.Method {
	case http.MethodGet:
		if app == nil {
			g.notFound(key.keyValue)
			return
		}
		if !g.canReadApp(app) {
			g.denied()
			return
		}
		s.entity(g, http.StatusOK, "applications", s.appJSON(app))
	case http.MethodPatch:
		s.patchApplication(g, key, app)
	case http.MethodDelete:
		if app == nil {
			g.notFound(key.keyValue)
			return
		}
		if !g.canWriteApp(app) {
			g.denied()
			return
		}
		s.deleteApplication(app)
		g.w.WriteHeader(http.StatusNoContent)
	default:
		g.methodNotAllowed()
	}
}

func (s *Server) listApplications(g *graphCall) {
	if !g.canRead() {
		g.denied()
		return
	}
	now := s.now()
	var apps []*application
	for _, a := range s.w.Directory.Apps {
		if strings.EqualFold(a.TenantID, g.t.ID) && visible(a.VisibleAt, now) && g.canReadApp(a) {
			apps = append(apps, a)
		}
	}
	sortByCreation(apps, func(a *application) (time.Time, string) { return a.CreatedAt, a.ID })
	items := make([]map[string]any, 0, len(apps))
	for _, a := range apps {
		items = append(items, s.appJSON(a))
	}
	s.writeGraphList(g, "applications", items, appFilterProps)
}

func (s *Server) createApplication(g *graphCall) {
	if !g.hasRole(permAppReadWriteAll, permAppReadWriteOwn) {
		g.denied()
		return
	}
	props, ok := g.decodeBody()
	if !ok {
		return
	}
	app, ok := s.newApplication(g, props)
	if !ok {
		return
	}
	s.entity(g, http.StatusCreated, "applications", s.appJSON(app))
}

// newApplication validates props and creates an application homed in the caller's tenant, owned by the caller.
func (s *Server) newApplication(g *graphCall, props map[string]json.RawMessage) (*application, bool) {
	now := s.now()
	app := &application{
		ID: uuid.NewString(), AppID: uuid.NewString(), TenantID: g.t.ID, SignInAudience: "AzureADMyOrg",
		Tags: []string{}, RedirectURIs: []string{}, Passwords: []*password{}, FICs: []*federatedCred{},
		CreatedAt: now, VisibleAt: s.visibleAfterLag(),
	}
	if s.principalType(g.t.ID, g.c.ObjectID) != "" {
		app.Owners = []string{g.c.ObjectID}
	}
	if !s.applyAppProps(g, app, props, true) {
		return nil, false
	}
	if strings.TrimSpace(app.DisplayName) == "" {
		g.badRequest("Request_BadRequest", "Required property 'displayName' is missing or empty.")
		return nil, false
	}
	s.w.Directory.putApp(app)
	s.changed()
	return app, true
}

func (s *Server) patchApplication(g *graphCall, key graphSeg, app *application) {
	props, ok := g.decodeBody()
	if !ok {
		return
	}
	if app == nil {
		if !strings.EqualFold(key.keyName, "uniqueName") || !g.createIfMissing() {
			g.notFound(key.keyValue)
			return
		}
		if !g.hasRole(permAppReadWriteAll, permAppReadWriteOwn) {
			g.denied()
			return
		}
		if v, ok := props["uniqueName"]; ok {
			var un string
			if json.Unmarshal(v, &un) != nil || !strings.EqualFold(un, key.keyValue) {
				g.badRequest("Request_BadRequest", "The uniqueName in the body does not match the one in the URL.")
				return
			}
		}
		props["uniqueName"], _ = json.Marshal(key.keyValue)
		created, ok := s.newApplication(g, props)
		if !ok {
			return
		}
		s.entity(g, http.StatusCreated, "applications", s.appJSON(created))
		return
	}
	if !g.canWriteApp(app) {
		g.denied()
		return
	}
	// Validate on a copy so a rejected PATCH changes nothing.
	cp := *app
	cp.Tags = slices.Clone(app.Tags)
	cp.RedirectURIs = slices.Clone(app.RedirectURIs)
	if !s.applyAppProps(g, &cp, props, false) {
		return
	}
	*app = cp
	s.changed()
	g.w.WriteHeader(http.StatusNoContent)
}

// deleteApplication soft-deletes app (restorable from /directory/deletedItems) and removes its service principal in
// the home tenant.
func (s *Server) deleteApplication(app *application) {
	s.w.Directory.removeApp(app)
	if s.w.Directory.Deleted == nil {
		s.w.Directory.Deleted = map[string]*application{}
	}
	now := s.now()
	app.DeletedAt = &now
	s.w.Directory.Deleted[app.ID] = app
	if t := s.w.Directory.tenant(app.TenantID); t != nil {
		if sp := t.spByAppID(app.AppID); sp != nil {
			delete(t.SPs, sp.ID)
		}
	}
	s.changed()
}

// appJSON renders an application as Graph does; secretText is always null on reads.
func (s *Server) appJSON(a *application) map[string]any {
	pw := make([]map[string]any, 0, len(a.Passwords))
	for _, p := range a.Passwords {
		pw = append(pw, passwordJSON(p, ""))
	}
	var ver any
	if a.RequestedAccessTokenVersion != nil {
		ver = *a.RequestedAccessTokenVersion
	}
	domain := ""
	if t := s.w.Directory.tenant(a.TenantID); t != nil {
		domain = t.Domain
	}
	return map[string]any{
		"id": a.ID, "appId": a.AppID, "displayName": a.DisplayName, "uniqueName": nullIfEmpty(a.UniqueName),
		"signInAudience": a.SignInAudience, "tags": slices.Clone(a.Tags), "notes": nullIfEmpty(a.Notes),
		"description": nullIfEmpty(a.Description), "createdDateTime": a.CreatedAt.UTC().Format(time.RFC3339),
		"deletedDateTime": deletedAt(a), "publisherDomain": domain, "identifierUris": []string{}, "keyCredentials": []any{},
		"passwordCredentials": pw, "requiredResourceAccess": []any{}, "isFallbackPublicClient": nil,
		"web": map[string]any{
			"redirectUris": slices.Clone(a.RedirectURIs), "homePageUrl": nil, "logoutUrl": nil,
			"implicitGrantSettings": map[string]any{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
		},
		"api": map[string]any{
			"requestedAccessTokenVersion": ver, "acceptMappedClaims": nil, "knownClientApplications": []string{},
			"oauth2PermissionScopes": []any{}, "preAuthorizedApplications": []any{},
		},
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func deletedAt(a *application) any {
	if a.DeletedAt == nil {
		return nil
	}
	return a.DeletedAt.UTC().Format(time.RFC3339)
}
