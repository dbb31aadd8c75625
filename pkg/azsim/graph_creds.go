package azsim

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

const (
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"
	maxFICsPerApp  = 20
)

var (
	ficNameRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$`)
	ficFilterFields = map[string]bool{"name": true, "subject": true, "issuer": true}
)

// newSecretText returns a 40-character client secret shaped like Entra's ("xxx8Q~…").
func newSecretText() string {
	b := make([]byte, 40)
	_, _ = rand.Read(b)
	out := make([]byte, 40)
	for i, c := range b {
		out[i] = secretAlphabet[int(c)%len(secretAlphabet)]
	}
	copy(out[3:6], "8Q~")
	return string(out)
}

// passwordJSON renders a password credential; secretText is only non-null in the addPassword response.
func passwordJSON(p *password, secretText string) map[string]any {
	var st any
	if secretText != "" {
		st = secretText
	}
	return map[string]any{
		"customKeyIdentifier": nil, "displayName": nullIfEmpty(p.DisplayName), "endDateTime": p.End.UTC().Format(time.RFC3339Nano),
		"hint": p.Hint, "keyId": p.KeyID, "secretText": st, "startDateTime": p.Start.UTC().Format(time.RFC3339Nano),
	}
}

// addPassword implements POST /applications/{id}/addPassword. The secret text is returned once and only its hash is
// kept; it can sign in once the replication lag has passed.
func (s *Server) addPassword(g *graphCall, app *application) {
	if !g.postToApp(app) {
		return
	}
	var in struct {
		PasswordCredential *struct {
			DisplayName   string     `json:"displayName"`
			StartDateTime *time.Time `json:"startDateTime"`
			EndDateTime   *time.Time `json:"endDateTime"`
		} `json:"passwordCredential"`
	}
	if len(strings.TrimSpace(string(g.body))) > 0 {
		if err := json.Unmarshal(g.body, &in); err != nil {
			g.badRequest("Request_BadRequest", "Invalid value specified for property 'passwordCredential'.")
			return
		}
	}
	now := s.now()
	p := &password{KeyID: uuid.NewString(), Start: now, VisibleAt: s.visibleAfterLag()}
	if pc := in.PasswordCredential; pc != nil {
		p.DisplayName = pc.DisplayName
		if pc.StartDateTime != nil {
			p.Start = *pc.StartDateTime
		}
		if pc.EndDateTime != nil {
			p.End = *pc.EndDateTime
		}
	}
	if p.End.IsZero() {
		p.End = p.Start.AddDate(2, 0, 0)
	}
	if !p.End.After(p.Start) {
		g.badRequest("Request_BadRequest", "Invalid value specified for property 'endDateTime': it must be after startDateTime.")
		return
	}
	secret := newSecretText()
	p.Hint = hintOf(secret)
	p.SecretHash = hashSecret(secret)
	app.Passwords = append(app.Passwords, p)
	s.changed()
	body := passwordJSON(p, secret)
	body["@odata.context"] = s.baseURL + "/v1.0/$metadata#microsoft.graph.passwordCredential"
	writeJSON(g.w, http.StatusOK, body)
}

// removePassword implements POST /applications/{id}/removePassword.
func (s *Server) removePassword(g *graphCall, app *application) {
	if !g.postToApp(app) {
		return
	}
	var in struct {
		KeyID string `json:"keyId"`
	}
	if err := json.Unmarshal(g.body, &in); err != nil || in.KeyID == "" {
		g.badRequest("Request_BadRequest", "Required property 'keyId' is missing.")
		return
	}
	for i, p := range app.Passwords {
		if strings.EqualFold(p.KeyID, in.KeyID) {
			app.Passwords = append(app.Passwords[:i], app.Passwords[i+1:]...)
			s.changed()
			g.w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	g.badRequest("Request_BadRequest", "No password credential found with keyId '"+in.KeyID+"'.")
}

func ficJSON(f *federatedCred) map[string]any {
	return map[string]any{
		"id": f.ID, "name": f.Name, "issuer": f.Issuer, "subject": f.Subject, "audiences": append([]string{}, f.Audiences...),
		"description": nullIfEmpty(f.Description),
	}
}

// graphFICs serves …/federatedIdentityCredentials[/{id} | (name='…')].
func (s *Server) graphFICs(g *graphCall, app *application, rest []graphSeg) {
	now := s.now()
	var key *graphSeg
	switch {
	case rest[0].keyName != "":
		key = &rest[0]
	case len(rest) > 1:
		key = &graphSeg{keyName: "id", keyValue: rest[1].name}
	}
	if key == nil {
		switch g.r.Method {
		case http.MethodGet:
			if !g.canReadApp(app) {
				g.denied()
				return
			}
			fics := make([]*federatedCred, 0, len(app.FICs))
			for _, f := range app.FICs {
				if visible(f.VisibleAt, now) {
					fics = append(fics, f)
				}
			}
			sort.SliceStable(fics, func(i, j int) bool { return fics[i].Name < fics[j].Name })
			items := make([]map[string]any, 0, len(fics))
			for _, f := range fics {
				items = append(items, ficJSON(f))
			}
			s.writeGraphList(g, "applications('"+app.ID+"')/federatedIdentityCredentials", items, ficFilterFields)
		case http.MethodPost:
			s.createFIC(g, app, "")
		default:
			g.methodNotAllowed()
		}
		return
	}
	var fic *federatedCred
	for _, f := range app.FICs {
		if (strings.EqualFold(key.keyName, "id") && strings.EqualFold(f.ID, key.keyValue)) ||
			(strings.EqualFold(key.keyName, "name") && f.Name == key.keyValue) {
			fic = f
		}
	}
	if fic != nil && !visible(fic.VisibleAt, now) && g.r.Method != http.MethodPatch {
		fic = nil
	}
	switch g.r.Method {
	case http.MethodGet:
		if fic == nil {
			g.notFound(key.keyValue)
			return
		}
		if !g.canReadApp(app) {
			g.denied()
			return
		}
		s.entity(g, http.StatusOK, "applications('"+app.ID+"')/federatedIdentityCredentials", ficJSON(fic))
	case http.MethodPatch:
		if fic == nil {
			if !strings.EqualFold(key.keyName, "name") || !g.createIfMissing() {
				g.notFound(key.keyValue)
				return
			}
			s.createFIC(g, app, key.keyValue)
			return
		}
		if !g.canWriteApp(app) {
			g.denied()
			return
		}
		var in struct {
			Name        *string   `json:"name"`
			Issuer      *string   `json:"issuer"`
			Subject     *string   `json:"subject"`
			Audiences   *[]string `json:"audiences"`
			Description *string   `json:"description"`
		}
		if err := json.Unmarshal(g.body, &in); err != nil {
			g.badRequest("Request_BadRequest", "Unable to read JSON request payload.")
			return
		}
		if in.Name != nil && *in.Name != fic.Name {
			g.badRequest("Request_BadRequest", "Property 'name' is immutable.")
			return
		}
		cp := *fic
		if in.Issuer != nil {
			cp.Issuer = *in.Issuer
		}
		if in.Subject != nil {
			cp.Subject = *in.Subject
		}
		if in.Audiences != nil {
			cp.Audiences = append([]string{}, *in.Audiences...)
		}
		if in.Description != nil {
			cp.Description = *in.Description
		}
		if !s.validFIC(g, app, &cp) {
			return
		}
		*fic = cp
		s.changed()
		g.w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if fic == nil {
			g.notFound(key.keyValue)
			return
		}
		if !g.canWriteApp(app) {
			g.denied()
			return
		}
		for i, f := range app.FICs {
			if f == fic {
				app.FICs = append(app.FICs[:i], app.FICs[i+1:]...)
				break
			}
		}
		s.changed()
		g.w.WriteHeader(http.StatusNoContent)
	default:
		g.methodNotAllowed()
	}
}

// createFIC creates a federated identity credential (POST, or PATCH …(name='n') with create-if-missing).
func (s *Server) createFIC(g *graphCall, app *application, name string) {
	if !g.canWriteApp(app) {
		g.denied()
		return
	}
	var in struct {
		Name        string   `json:"name"`
		Issuer      string   `json:"issuer"`
		Subject     string   `json:"subject"`
		Audiences   []string `json:"audiences"`
		Description string   `json:"description"`
	}
	if err := json.Unmarshal(g.body, &in); err != nil {
		g.badRequest("Request_BadRequest", "Unable to read JSON request payload.")
		return
	}
	if name != "" {
		if in.Name != "" && in.Name != name {
			g.badRequest("Request_BadRequest", "The name in the body does not match the one in the URL.")
			return
		}
		in.Name = name
	}
	f := &federatedCred{ID: uuid.NewString(), Name: in.Name, Issuer: in.Issuer, Subject: in.Subject,
		Audiences: append([]string{}, in.Audiences...), Description: in.Description, VisibleAt: s.visibleAfterLag()}
	if !ficNameRE.MatchString(f.Name) {
		g.badRequest("Request_BadRequest", "Invalid value specified for property 'name': it must be 1-120 characters "+
			"of letters, digits, '-' and '_', starting with a letter or digit.")
		return
	}
	for _, o := range app.FICs {
		if o.Name == f.Name {
			writeGraphError(g.w, g.r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
				"FederatedIdentityCredential with name "+f.Name+" already exists.")
			return
		}
	}
	if len(app.FICs) >= maxFICsPerApp {
		g.badRequest("Request_BadRequest", "The number of federated identity credentials per application is limited to 20.")
		return
	}
	if !s.validFIC(g, app, f) {
		return
	}
	app.FICs = append(app.FICs, f)
	s.changed()
	s.entity(g, http.StatusCreated, "applications('"+app.ID+"')/federatedIdentityCredentials", ficJSON(f))
}

func (s *Server) validFIC(g *graphCall, app *application, f *federatedCred) bool {
	if f.Issuer == "" || f.Subject == "" {
		g.badRequest("Request_BadRequest", "Properties 'issuer' and 'subject' are required.")
		return false
	}
	if len(f.Audiences) != 1 {
		g.badRequest("Request_BadRequest", "Property 'audiences' must contain exactly one value.")
		return false
	}
	for _, o := range app.FICs {
		if o.ID != f.ID && o.Issuer == f.Issuer && o.Subject == f.Subject {
			writeGraphError(g.w, g.r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
				"FederatedIdentityCredential with the same issuer and subject already exists.")
			return false
		}
	}
	return true
}
