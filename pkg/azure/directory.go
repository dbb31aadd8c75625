package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// appSelect is the $select for application reads: everything Application holds.
const appSelect = "id,appId,displayName,uniqueName,signInAudience,web,tags,notes,api,passwordCredentials"

// graphDirectory implements Directory for one tenant.
type graphDirectory struct {
	tenant string
	g      *graphClient
	// redact is the connector's (its known credential values).
	redact *Redactor
	// authority and graphOrigin name what a timed-out call waited for.
	authority, graphOrigin string
}

var _ Directory = (*graphDirectory)(nil)

func (d *graphDirectory) Tenant() string { return d.tenant }

func (d *graphDirectory) fail(object, op string, err error) error {
	return waitedFor(d.redact.classify(d.tenant, object, op, err), d.authority, d.graphOrigin)
}

// Wire shapes of Graph objects.
type graphPassword struct {
	KeyID         string     `json:"keyId"`
	DisplayName   *string    `json:"displayName"`
	Hint          *string    `json:"hint"`
	StartDateTime *time.Time `json:"startDateTime"`
	EndDateTime   *time.Time `json:"endDateTime"`
	// SecretText is only present in the addPassword response.
	SecretText *string `json:"secretText"`
}

type graphApplication struct {
	ID             string   `json:"id"`
	AppID          string   `json:"appId"`
	DisplayName    string   `json:"displayName"`
	UniqueName     *string  `json:"uniqueName"`
	SignInAudience string   `json:"signInAudience"`
	Tags           []string `json:"tags"`
	Notes          *string  `json:"notes"`
	Web            *struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"web"`
	API *struct {
		RequestedAccessTokenVersion *int `json:"requestedAccessTokenVersion"`
	} `json:"api"`
	PasswordCredentials []graphPassword `json:"passwordCredentials"`
}

func (p graphPassword) toCredential() PasswordCredential {
	pc := PasswordCredential{KeyID: p.KeyID, DisplayName: deref(p.DisplayName), Hint: deref(p.Hint)}
	if p.StartDateTime != nil {
		pc.Start = p.StartDateTime.UTC()
	}
	if p.EndDateTime != nil {
		pc.End = p.EndDateTime.UTC()
	}
	return pc
}

func (a graphApplication) toApplication() *Application {
	app := &Application{
		ObjectID: a.ID, AppID: a.AppID, DisplayName: a.DisplayName, UniqueName: deref(a.UniqueName),
		SignInAudience: a.SignInAudience, Tags: a.Tags, Notes: deref(a.Notes),
	}
	if a.Web != nil {
		app.RedirectURIs = a.Web.RedirectURIs
	}
	if a.API != nil && a.API.RequestedAccessTokenVersion != nil {
		app.RequestedAccessTokenVersion = *a.API.RequestedAccessTokenVersion
	}
	for _, p := range a.PasswordCredentials {
		app.Passwords = append(app.Passwords, p.toCredential())
	}
	return app
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// applicationBody is the PATCH/POST body for spec. Arrays are always sent (an
// empty list clears), because Graph replaces arrays whole.
func applicationBody(spec ApplicationSpec) map[string]any {
	body := map[string]any{
		"displayName": spec.DisplayName,
		"web":         map[string]any{"redirectUris": nonNil(spec.RedirectURIs)},
		"tags":        nonNil(spec.Tags),
	}
	if spec.SignInAudience != "" {
		body["signInAudience"] = spec.SignInAudience
	}
	if spec.Notes != "" {
		body["notes"] = spec.Notes
	}
	v := spec.RequestedAccessTokenVersion
	if strings.EqualFold(spec.SignInAudience, "AzureADandPersonalMicrosoftAccount") {
		v = 2
	}
	if v != 0 {
		body["api"] = map[string]any{"requestedAccessTokenVersion": v}
	}
	return body
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (d *graphDirectory) getApplication(ctx context.Context, path, object string) (*Application, error) {
	_, body, err := d.g.do(ctx, graphRequest{method: http.MethodGet, path: path,
		query: [][2]string{{"$select", appSelect}}, ok: []int{http.StatusOK}})
	if err != nil {
		return nil, d.fail(object, "GET application", err)
	}
	var a graphApplication
	if err := jsonBody(body, &a); err != nil {
		return nil, d.fail(object, "GET application", err)
	}
	return a.toApplication(), nil
}

func (d *graphDirectory) GetApplicationByUniqueName(ctx context.Context, uniqueName string) (*Application, error) {
	return d.getApplication(ctx, keyPath("applications", "uniqueName", uniqueName), "application uniqueName="+uniqueName)
}

func (d *graphDirectory) GetApplicationByAppID(ctx context.Context, appID string) (*Application, error) {
	return d.getApplication(ctx, keyPath("applications", "appId", appID), "application appId="+appID)
}

func (d *graphDirectory) listApplications(ctx context.Context, filter, object string) ([]Application, error) {
	var apps []Application
	err := d.g.list(ctx, graphRequest{path: "/applications", query: [][2]string{{"$filter", filter}, {"$select", appSelect}}},
		func(raw json.RawMessage) error {
			var a graphApplication
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			apps = append(apps, *a.toApplication())
			return nil
		})
	if err != nil {
		return nil, d.fail(object, "GET applications", err)
	}
	return apps, nil
}

func (d *graphDirectory) ListApplicationsByTag(ctx context.Context, tag string) ([]Application, error) {
	return d.listApplications(ctx, "tags/any(t:t eq "+odataKey(tag)+")", "applications tagged "+tag)
}

func (d *graphDirectory) ListApplicationsByDisplayName(ctx context.Context, displayName string) ([]Application, error) {
	return d.listApplications(ctx, "displayName eq "+odataKey(displayName), "applications named "+displayName)
}

func (d *graphDirectory) UpsertApplication(ctx context.Context, spec ApplicationSpec) (*Application, bool, error) {
	object := "application uniqueName=" + spec.UniqueName
	if spec.UniqueName == "" {
		return nil, false, &Error{Tenant: d.tenant, Object: "application " + spec.DisplayName, Op: "PATCH application",
			Kind: KindInvalid, Message: "uniqueName is required for an upsert"}
	}
	path := keyPath("applications", "uniqueName", spec.UniqueName)
	status, body, err := d.g.do(ctx, graphRequest{method: http.MethodPatch, path: path, body: applicationBody(spec),
		headers: map[string]string{"Prefer": "create-if-missing"}, ok: []int{http.StatusCreated, http.StatusNoContent, http.StatusOK}})
	if err != nil {
		return nil, false, d.fail(object, "PATCH application (upsert)", err)
	}
	if status == http.StatusCreated && len(body) > 0 {
		var a graphApplication
		if err := jsonBody(body, &a); err != nil {
			return nil, true, d.fail(object, "PATCH application (upsert)", err)
		}
		if a.ID != "" {
			return a.toApplication(), true, nil
		}
	}
	app, err := d.GetApplicationByUniqueName(ctx, spec.UniqueName)
	return app, status == http.StatusCreated, err
}

func (d *graphDirectory) UpdateApplication(ctx context.Context, objectID string, spec ApplicationSpec) error {
	_, _, err := d.g.do(ctx, graphRequest{method: http.MethodPatch, path: "/applications/" + pathSeg(objectID),
		body: applicationBody(spec), ok: []int{http.StatusNoContent, http.StatusOK}})
	if err != nil {
		return d.fail("application "+objectID, "PATCH application", err)
	}
	return nil
}

func (d *graphDirectory) DeleteApplication(ctx context.Context, objectID string) error {
	_, _, err := d.g.do(ctx, graphRequest{method: http.MethodDelete, path: "/applications/" + pathSeg(objectID),
		ok: []int{http.StatusNoContent, http.StatusOK}})
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return d.fail("application "+objectID, "DELETE application", err)
	}
	return nil
}

func (d *graphDirectory) AddPassword(ctx context.Context, appObjectID, displayName string, end time.Time) (*NewPassword, error) {
	object := "application " + appObjectID + " password"
	if end.IsZero() {
		return nil, &Error{Tenant: d.tenant, Object: object, Op: "POST addPassword", Kind: KindInvalid,
			Message: "endDateTime is required (Graph would default to two years)"}
	}
	req := map[string]any{"passwordCredential": map[string]any{
		"displayName": displayName, "endDateTime": end.UTC().Format(time.RFC3339),
	}}
	_, body, err := d.g.do(ctx, graphRequest{method: http.MethodPost, path: "/applications/" + pathSeg(appObjectID) + "/addPassword",
		body: req, ok: []int{http.StatusOK, http.StatusCreated}})
	if err != nil {
		return nil, d.fail(object, "POST addPassword", err)
	}
	var p graphPassword
	if err := jsonBody(body, &p); err != nil {
		// The decoder error never quotes the body, so no secret can leak here.
		return nil, d.fail(object, "POST addPassword", err)
	}
	np := &NewPassword{PasswordCredential: p.toCredential(), Secret: NewSecret(deref(p.SecretText))}
	d.redact.AddSecret(np.Secret) // the delivered secret never reaches an error or log line
	if np.Secret.IsZero() || np.KeyID == "" {
		return nil, &Error{Tenant: d.tenant, Object: object, Op: "POST addPassword", Kind: KindUnknown,
			Message: "response had no keyId or secretText"}
	}
	return np, nil
}

func (d *graphDirectory) RemovePassword(ctx context.Context, appObjectID, keyID string) error {
	_, _, err := d.g.do(ctx, graphRequest{method: http.MethodPost, path: "/applications/" + pathSeg(appObjectID) + "/removePassword",
		body: map[string]string{"keyId": keyID}, ok: []int{http.StatusNoContent, http.StatusOK}})
	if err == nil || isStatus(err, http.StatusNotFound) {
		return nil
	}
	object := "application " + appObjectID + " password " + keyID
	if isStatus(err, http.StatusBadRequest) {
		// Graph answers 400 for a keyId that is not (or no longer) there; if the
		// app really has no such password, removing it is already done.
		if app, gerr := d.getApplication(ctx, "/applications/"+pathSeg(appObjectID), object); gerr == nil && !hasPassword(app, keyID) {
			return nil
		}
	}
	return d.fail(object, "POST removePassword", err)
}

func hasPassword(app *Application, keyID string) bool {
	for _, p := range app.Passwords {
		if strings.EqualFold(p.KeyID, keyID) {
			return true
		}
	}
	return false
}

type graphServicePrincipal struct {
	ID                     string   `json:"id"`
	AppID                  string   `json:"appId"`
	DisplayName            string   `json:"displayName"`
	AppOwnerOrganizationID string   `json:"appOwnerOrganizationId"`
	Tags                   []string `json:"tags"`
}

func (d *graphDirectory) toSP(s graphServicePrincipal) *ServicePrincipal {
	return &ServicePrincipal{Tenant: d.tenant, ObjectID: s.ID, AppID: s.AppID, DisplayName: s.DisplayName,
		AppOwnerOrganizationID: s.AppOwnerOrganizationID, Tags: s.Tags}
}

func (d *graphDirectory) GetServicePrincipal(ctx context.Context, appID string) (*ServicePrincipal, error) {
	object := "service principal appId=" + appID
	_, body, err := d.g.do(ctx, graphRequest{method: http.MethodGet, path: keyPath("servicePrincipals", "appId", appID),
		query: [][2]string{{"$select", "id,appId,displayName,appOwnerOrganizationId,tags"}}, ok: []int{http.StatusOK}})
	if err != nil {
		return nil, d.fail(object, "GET servicePrincipal", err)
	}
	var s graphServicePrincipal
	if err := jsonBody(body, &s); err != nil {
		return nil, d.fail(object, "GET servicePrincipal", err)
	}
	return d.toSP(s), nil
}

func (d *graphDirectory) CreateServicePrincipal(ctx context.Context, appID string, tags []string) (*ServicePrincipal, bool, error) {
	object := "service principal appId=" + appID
	_, body, err := d.g.do(ctx, graphRequest{method: http.MethodPost, path: "/servicePrincipals",
		body: map[string]any{"appId": appID, "tags": nonNil(tags)}, ok: []int{http.StatusCreated, http.StatusOK}})
	if err != nil {
		if KindOf(Classify(d.tenant, object, "POST servicePrincipals", err)) == KindConflict {
			sp, gerr := d.GetServicePrincipal(ctx, appID)
			if gerr != nil {
				return nil, false, gerr
			}
			return sp, true, nil
		}
		return nil, false, d.fail(object, "POST servicePrincipals", err)
	}
	var s graphServicePrincipal
	if err := jsonBody(body, &s); err != nil {
		return nil, false, d.fail(object, "POST servicePrincipals", err)
	}
	return d.toSP(s), false, nil
}

func (d *graphDirectory) DeleteServicePrincipal(ctx context.Context, objectID string) error {
	_, _, err := d.g.do(ctx, graphRequest{method: http.MethodDelete, path: "/servicePrincipals/" + pathSeg(objectID),
		ok: []int{http.StatusNoContent, http.StatusOK}})
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return d.fail("service principal "+objectID, "DELETE servicePrincipal", err)
	}
	return nil
}
