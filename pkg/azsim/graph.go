package azsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// Graph application permissions (app roles) the simulator authorises with.
const (
	permAppReadAll       = "Application.Read.All"
	permAppReadWriteAll  = "Application.ReadWrite.All"
	permAppReadWriteOwn  = "Application.ReadWrite.OwnedBy"
	permDirReadAll       = "Directory.Read.All"
	permDirReadWriteAll  = "Directory.ReadWrite.All"
	maxGraphBody         = 1 << 20
	msgInsufficientPrivs = "Insufficient privileges to complete the operation."
)

// graphCall is one authenticated Graph request.
type graphCall struct {
	w      http.ResponseWriter
	r      *http.Request
	c      *Claims
	t      *tenant
	segs   []graphSeg
	body   []byte
	prefer string
}

// graphSeg is one path segment such as applications, {id} or applications(appId='…').
type graphSeg struct {
	name     string // e.g. "applications" or an id
	keyName  string // e.g. "appId" for applications(appId='…')
	keyValue string
}

func parseGraphPath(p string) []graphSeg {
	var segs []graphSeg
	for raw := range strings.SplitSeq(strings.Trim(p, "/"), "/") {
		if raw == "" {
			continue
		}
		seg := graphSeg{name: raw}
		if i := strings.Index(raw, "("); i > 0 && strings.HasSuffix(raw, ")") {
			inner := raw[i+1 : len(raw)-1]
			seg.name = raw[:i]
			if k, v, ok := strings.Cut(inner, "="); ok {
				seg.keyName = strings.TrimSpace(k)
				v = strings.TrimSpace(v)
				if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
					v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
				}
				seg.keyValue = v
			} else {
				// applications('id') is the same as applications/id
				seg.keyName = "id"
				seg.keyValue = strings.Trim(inner, "'")
			}
		}
		segs = append(segs, seg)
	}
	return segs
}

// graphRouteName labels a Graph path (after /v1.0) for stats and faults.
func graphRouteName(p string) string {
	segs := parseGraphPath(p)
	if len(segs) == 0 {
		return "graph"
	}
	top := segs[0]
	single := top.keyName != "" || len(segs) > 1
	switch strings.ToLower(top.name) {
	case "$batch":
		return "$batch"
	case "directory":
		if len(segs) > 2 {
			if len(segs) > 3 && strings.EqualFold(segs[3].name, "restore") {
				return "deletedItem/restore"
			}
			return "deletedItem"
		}
		return "deletedItems"
	case "applications", "serviceprincipals":
		name := "applications"
		if strings.EqualFold(top.name, "servicePrincipals") {
			name = "servicePrincipals"
		}
		idx := 1
		if top.keyName == "" {
			idx = 2
		}
		if len(segs) > idx {
			sub := segs[idx]
			switch strings.ToLower(sub.name) {
			case "addpassword":
				return "addPassword"
			case "removepassword":
				return "removePassword"
			case "federatedidentitycredentials":
				if sub.keyName != "" || len(segs) > idx+1 {
					return "federatedIdentityCredential"
				}
				return "federatedIdentityCredentials"
			}
			return name + "/" + sub.name
		}
		if single {
			return strings.TrimSuffix(name, "s")
		}
		return name
	}
	return top.name
}

// serveGraph authenticates a Graph v1.0 request and dispatches it.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("request-id", reqID)
	if c := r.Header.Get("client-request-id"); c != "" {
		w.Header().Set("client-request-id", c)
	} else {
		w.Header().Set("client-request-id", reqID)
	}
	claims, err := s.verifyToken(bearerToken(r.Header.Get("Authorization")), audGraph)
	if err != nil {
		msg := "Access token validation failure. Invalid audience."
		switch {
		case errors.Is(err, errTokenMissing):
			msg = "Access token is empty."
		case errors.Is(err, errTokenExpired):
			msg = "Lifetime validation failed, the token is expired."
		case errors.Is(err, errTokenInvalid):
			msg = "Access token validation failure. Signature is invalid or the token is malformed."
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.baseURL+
			`/common/oauth2/authorize", client_id="`+graphAppID+`"`)
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxGraphBody+1))
	if err != nil || len(body) > maxGraphBody {
		writeGraphError(w, r, http.StatusBadRequest, "Request_BadRequest", "The request body could not be read or is too large.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.Directory.tenant(claims.Tenant)
	if t == nil {
		writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "The token's tenant does not exist.")
		return
	}
	g := &graphCall{w: w, r: r, c: claims, t: t, segs: parseGraphPath(strings.TrimPrefix(r.URL.Path, "/v1.0")),
		body: body, prefer: r.Header.Get("Prefer")}
	s.dispatchGraph(g)
}

// dispatchGraph routes an authenticated Graph call; callers hold s.mu.
func (s *Server) dispatchGraph(g *graphCall) {
	w, r := g.w, g.r
	if len(g.segs) == 0 {
		writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid request.")
		return
	}
	switch strings.ToLower(g.segs[0].name) {
	case "applications":
		s.graphApplications(g)
	case "serviceprincipals":
		s.graphServicePrincipals(g)
	case "$batch":
		s.graphBatch(g)
	case "directory":
		s.graphDeletedItems(g)
	default:
		writeGraphError(w, r, http.StatusBadRequest, "BadRequest",
			"Resource not found for the segment '"+g.segs[0].name+"'.")
	}
}

func (g *graphCall) hasRole(roles ...string) bool {
	for _, have := range g.c.Roles {
		for _, want := range roles {
			if strings.EqualFold(have, want) {
				return true
			}
		}
	}
	return false
}

// canRead reports whether the caller may read directory application objects.
func (g *graphCall) canRead() bool {
	return g.hasRole(permAppReadAll, permAppReadWriteAll, permAppReadWriteOwn, permDirReadAll, permDirReadWriteAll)
}

// canWriteApp reports whether the caller may modify app: Application.ReadWrite.All, or OwnedBy when it owns it.
func (g *graphCall) canWriteApp(app *application) bool {
	if g.hasRole(permAppReadWriteAll) {
		return true
	}
	return g.hasRole(permAppReadWriteOwn) && g.owns(app)
}

// postToApp admits an action on app (POST /applications/{id}/addPassword,
// /removePassword): another method is 405, a caller who may not modify the app
// 403. It reports whether the action may go on (false: answered already).
func (g *graphCall) postToApp(app *application) bool {
	if g.r.Method != http.MethodPost {
		g.methodNotAllowed()
		return false
	}
	if !g.canWriteApp(app) {
		g.denied()
		return false
	}
	return true
}

// canReadApp reports whether the caller may read app (OwnedBy-only callers see the apps they own).
func (g *graphCall) canReadApp(app *application) bool {
	if g.hasRole(permAppReadAll, permAppReadWriteAll, permDirReadAll, permDirReadWriteAll) {
		return true
	}
	return g.hasRole(permAppReadWriteOwn) && g.owns(app)
}

func (g *graphCall) owns(app *application) bool {
	for _, o := range app.Owners {
		if strings.EqualFold(o, g.c.ObjectID) {
			return true
		}
	}
	return false
}

func (g *graphCall) denied() {
	writeGraphError(g.w, g.r, http.StatusForbidden, "Authorization_RequestDenied", msgInsufficientPrivs)
}

func (g *graphCall) notFound(id string) {
	writeGraphError(g.w, g.r, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+
		"' does not exist or one of its queried reference-property objects are not present.")
}

func (g *graphCall) badRequest(code, msg string, details ...graphErrorDetail) {
	writeGraphError(g.w, g.r, http.StatusBadRequest, code, msg, details...)
}

func (g *graphCall) methodNotAllowed() {
	writeGraphError(g.w, g.r, http.StatusMethodNotAllowed, "Request_BadRequest",
		"Specified HTTP method is not allowed for the request target.")
}

// createIfMissing reports whether the request asked for upsert semantics.
func (g *graphCall) createIfMissing() bool {
	for p := range strings.SplitSeq(g.prefer, ",") {
		if strings.EqualFold(strings.TrimSpace(p), "create-if-missing") {
			return true
		}
	}
	return false
}

// decodeBody decodes the JSON body into a map of raw properties (nil body → empty map).
func (g *graphCall) decodeBody() (map[string]json.RawMessage, bool) {
	props := map[string]json.RawMessage{}
	if len(strings.TrimSpace(string(g.body))) == 0 {
		return props, true
	}
	if err := json.Unmarshal(g.body, &props); err != nil {
		g.badRequest("BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return nil, false
	}
	return props, true
}

// entity writes one object with its @odata.context.
func (s *Server) entity(g *graphCall, status int, set string, obj map[string]any) {
	obj["@odata.context"] = s.baseURL + "/v1.0/$metadata#" + set + "/$entity"
	writeJSON(g.w, status, selectProps(obj, g.r.URL.Query().Get("$select")))
}

// selectProps applies $select to an object (keeping @odata annotations).
func selectProps(obj map[string]any, sel string) map[string]any {
	if strings.TrimSpace(sel) == "" {
		return obj
	}
	out := map[string]any{}
	for k, v := range obj {
		if strings.HasPrefix(k, "@odata") {
			out[k] = v
		}
	}
	for f := range strings.SplitSeq(sel, ",") {
		f = strings.TrimSpace(f)
		for k, v := range obj {
			if strings.EqualFold(k, f) {
				out[k] = v
			}
		}
	}
	return out
}
