package azure

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const appJSON = `{"id":"obj-1","appId":"app-1","displayName":"myGalleryApp","uniqueName":"galshare-contoso",
 "signInAudience":"AzureADandPersonalMicrosoftAccount","tags":["galshare:contoso"],"notes":null,
 "web":{"redirectUris":["https://www.microsoft.com"]},"api":{"requestedAccessTokenVersion":2},
 "passwordCredentials":[{"keyId":"k-1","displayName":"galshare","hint":"abc","secretText":null,
   "startDateTime":"2026-01-01T00:00:00Z","endDateTime":"2027-01-01T00:00:00Z"}]}`

func TestGetApplicationByUniqueName(t *testing.T) {
	d, tr := newTestDirectory(t, func(r recorded) *http.Response { return jsonResp(200, appJSON) })
	app, err := d.GetApplicationByUniqueName(t.Context(), "galshare-contoso")
	if err != nil {
		t.Fatal(err)
	}
	reqs := tr.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "GET" || r.Path != "/v1.0/applications(uniqueName='galshare-contoso')" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	mustContain(t, "query", r.RawQuery, "$select=", "passwordCredentials")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		t.Errorf("no bearer token: %v", r.Header)
	}
	want := Application{ObjectID: "obj-1", AppID: "app-1", DisplayName: "myGalleryApp", UniqueName: "galshare-contoso",
		SignInAudience: "AzureADandPersonalMicrosoftAccount", RedirectURIs: []string{"https://www.microsoft.com"},
		Tags: []string{"galshare:contoso"}, RequestedAccessTokenVersion: 2,
		Passwords: []PasswordCredential{{KeyID: "k-1", DisplayName: "galshare", Hint: "abc",
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if diff := cmpDiff(want, *app); diff != "" {
		t.Errorf("app (-want +got):\n%s", diff)
	}
}

func TestGetApplicationNotFound(t *testing.T) {
	d, _ := newTestDirectory(t, func(r recorded) *http.Response {
		return jsonResp(404, `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}`)
	})
	_, err := d.GetApplicationByAppID(t.Context(), "app-9")
	if !IsNotFound(err) {
		t.Fatalf("want not found, got %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Tenant != d.Tenant() || !strings.Contains(e.Object, "app-9") || e.Op != "GET application" {
		t.Errorf("error context: %+v", e)
	}
}

func TestUpsertApplication(t *testing.T) {
	for _, tt := range []struct {
		name    string
		status  int
		created bool
		calls   int
	}{
		{"created", http.StatusCreated, true, 1},
		{"updated", http.StatusNoContent, false, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, tr := newTestDirectory(t, func(r recorded) *http.Response {
				if r.Method == http.MethodPatch {
					if tt.status == http.StatusCreated {
						return jsonResp(201, appJSON)
					}
					return jsonResp(204, nil)
				}
				return jsonResp(200, appJSON)
			})
			app, created, err := d.UpsertApplication(t.Context(), ApplicationSpec{UniqueName: "galshare-contoso", DisplayName: "myGalleryApp",
				SignInAudience: "AzureADandPersonalMicrosoftAccount", RedirectURIs: []string{"https://www.microsoft.com"}, Tags: []string{"galshare:contoso"}})
			if err != nil {
				t.Fatal(err)
			}
			if created != tt.created || app.ObjectID != "obj-1" {
				t.Errorf("created=%v app=%+v", created, app)
			}
			reqs := tr.requests()
			if len(reqs) != tt.calls {
				t.Fatalf("%d calls, want %d", len(reqs), tt.calls)
			}
			p := reqs[0]
			if p.Method != http.MethodPatch || p.Path != "/v1.0/applications(uniqueName='galshare-contoso')" || p.Header.Get("Prefer") != "create-if-missing" {
				t.Errorf("upsert request: %s %s Prefer=%q", p.Method, p.Path, p.Header.Get("Prefer"))
			}
			body := decodeBody(t, p)
			if api, _ := body["api"].(map[string]any); api["requestedAccessTokenVersion"] != float64(2) {
				t.Errorf("personal-account audience without requestedAccessTokenVersion 2: %v", body)
			}
			if web, _ := body["web"].(map[string]any); web == nil || len(web["redirectUris"].([]any)) != 1 {
				t.Errorf("web.redirectUris missing: %v", body)
			}
		})
	}
}

func TestListApplicationsByTagPaging(t *testing.T) {
	d, tr := newTestDirectory(t, func(r recorded) *http.Response {
		if strings.Contains(r.RawQuery, "page=2") {
			return jsonResp(200, `{"value":[`+appJSON+`]}`)
		}
		return jsonResp(200, `{"value":[],"@odata.nextLink":"https://graph.microsoft.com/v1.0/applications?page=2"}`)
	})
	apps, err := d.ListApplicationsByTag(t.Context(), "galshare:contoso's")
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].AppID != "app-1" {
		t.Errorf("apps = %+v", apps)
	}
	reqs := tr.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	// Spaces as %20 (never '+'), quotes doubled inside the literal.
	mustContain(t, "filter query", reqs[0].RawQuery, "$filter=tags%2Fany%28t%3At%20eq%20%27galshare%3Acontoso%27%27s%27%29")
	if strings.Contains(reqs[0].RawQuery, "+") {
		t.Errorf("'+' in query: %s", reqs[0].RawQuery)
	}
	if reqs[1].URL != "https://graph.microsoft.com/v1.0/applications?page=2" {
		t.Errorf("nextLink not followed verbatim: %s", reqs[1].URL)
	}
}

func TestListRefusesForeignNextLink(t *testing.T) {
	d, tr := newTestDirectory(t, func(r recorded) *http.Response {
		return jsonResp(200, `{"value":[],"@odata.nextLink":"https://evil.example/v1.0/applications?page=2"}`)
	})
	_, err := d.ListApplicationsByDisplayName(t.Context(), "myGalleryApp")
	if err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("err = %v", err)
	}
	if n := len(tr.requests()); n != 1 {
		t.Errorf("%d requests, want 1 (no call to the foreign host)", n)
	}
}

func TestListStopsAtMaxPages(t *testing.T) {
	d, tr := newTestDirectory(t, func(r recorded) *http.Response {
		return jsonResp(200, `{"value":[],"@odata.nextLink":"https://graph.microsoft.com/v1.0/applications?again"}`)
	})
	if _, err := d.ListApplicationsByDisplayName(t.Context(), "x"); err == nil || !strings.Contains(err.Error(), "pages") {
		t.Fatalf("err = %v", err)
	}
	if n := len(tr.requests()); n != graphMaxPages {
		t.Errorf("%d requests, want %d", n, graphMaxPages)
	}
}

func TestAddAndRemovePassword(t *testing.T) {
	end := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	d, tr := newTestDirectory(t, func(r recorded) *http.Response {
		if strings.HasSuffix(r.Path, "/addPassword") {
			return jsonResp(200, `{"keyId":"k-2","secretText":"`+testSecretValue+`","hint":"s3c","displayName":"galshare","startDateTime":"2026-06-01T00:00:00Z","endDateTime":"2027-06-01T00:00:00Z","customKeyIdentifier":null}`)
		}
		return jsonResp(404, `{"error":{"code":"Request_ResourceNotFound","message":"No password credential found with keyId."}}`)
	})
	np, err := d.AddPassword(t.Context(), "obj-1", "galshare", end)
	if err != nil {
		t.Fatal(err)
	}
	if np.KeyID != "k-2" || np.Hint != "s3c" || !np.End.Equal(end) || np.Secret.Reveal() != testSecretValue {
		t.Errorf("password = %+v", np)
	}
	body := decodeBody(t, tr.requests()[0])
	pc, _ := body["passwordCredential"].(map[string]any)
	if pc["endDateTime"] != "2027-06-01T00:00:00Z" || pc["displayName"] != "galshare" {
		t.Errorf("addPassword body: %v", body)
	}
	if err := d.RemovePassword(t.Context(), "obj-1", "k-gone"); err != nil {
		t.Errorf("removing an unknown key should succeed: %v", err)
	}
	if _, err := d.AddPassword(t.Context(), "obj-1", "galshare", time.Time{}); KindOf(err) != KindInvalid {
		t.Errorf("missing end accepted: %v", err)
	}
}

func TestCreateServicePrincipalAdoptsOn409(t *testing.T) {
	sp := `{"id":"sp-2","appId":"app-1","displayName":"myGalleryApp","appOwnerOrganizationId":"11111111-1111-1111-1111-111111111111","tags":[]}`
	for _, tt := range []struct {
		name    string
		post    int
		adopted bool
	}{{"fresh", 201, false}, {"exists", 409, true}} {
		t.Run(tt.name, func(t *testing.T) {
			d, tr := newTestDirectory(t, func(r recorded) *http.Response {
				if r.Method == http.MethodPost {
					if tt.post == 409 {
						return jsonResp(409, `{"error":{"code":"Request_MultipleObjectsWithSameKeyValue","message":"exists"}}`)
					}
					return jsonResp(201, sp)
				}
				return jsonResp(200, sp)
			})
			got, adopted, err := d.CreateServicePrincipal(t.Context(), "app-1", []string{"galshare:contoso"})
			if err != nil {
				t.Fatal(err)
			}
			if adopted != tt.adopted || got.ObjectID != "sp-2" || got.Tenant != d.Tenant() || got.AppOwnerOrganizationID == "" {
				t.Errorf("adopted=%v sp=%+v", adopted, got)
			}
			reqs := tr.requests()
			if reqs[0].Path != "/v1.0/servicePrincipals" || decodeBody(t, reqs[0])["appId"] != "app-1" {
				t.Errorf("create request: %s %s", reqs[0].Path, reqs[0].Body)
			}
			if tt.adopted && (len(reqs) != 2 || reqs[1].Path != "/v1.0/servicePrincipals(appId='app-1')") {
				t.Errorf("adoption did not read the SP by appId: %+v", reqs)
			}
		})
	}
}

func TestDeletesTreatNotFoundAsDone(t *testing.T) {
	d, tr := newTestDirectory(t, func(r recorded) *http.Response {
		return jsonResp(404, `{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`)
	})
	if err := d.DeleteApplication(t.Context(), "obj-1"); err != nil {
		t.Error(err)
	}
	if err := d.DeleteServicePrincipal(t.Context(), "sp-1"); err != nil {
		t.Error(err)
	}
	reqs := tr.requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodDelete || reqs[0].Path != "/v1.0/applications/obj-1" || reqs[1].Path != "/v1.0/servicePrincipals/sp-1" {
		t.Errorf("requests: %+v", reqs)
	}
}

func TestGraphForbiddenIsPermissionDenied(t *testing.T) {
	d, _ := newTestDirectory(t, func(r recorded) *http.Response {
		return jsonResp(403, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`)
	})
	_, _, err := d.CreateServicePrincipal(t.Context(), "app-1", nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindPermissionDenied || e.MissingAction != "Application.ReadWrite.All" || e.Op != "POST servicePrincipals" {
		t.Fatalf("err = %#v", err)
	}
}
