package azsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// graphCall performs a Graph request with a token from cred and decodes the JSON answer.
func (e *armEnv) graphCall(t *testing.T, cred azcore.TokenCredential, method, path string, body any) (int, map[string]any) {
	t.Helper()
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatalf("graph token: %v", err)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.sim.URL()+"/v1.0"+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("graph %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// newMultiTenantApp registers a multi-tenant app in tenant A (as the owner operator) with a secret, like galshare's
// publisher app. It returns the appId and the secret text.
func (e *armEnv) newMultiTenantApp(t *testing.T, name string) (appID, secret string) {
	t.Helper()
	cred := e.opCred(t, opOwner)
	st, app := e.graphCall(t, cred, http.MethodPost, "/applications", map[string]any{
		"displayName": name, "signInAudience": "AzureADMultipleOrgs",
	})
	if st != http.StatusCreated {
		t.Fatalf("create app: %d %v", st, app)
	}
	st, pw := e.graphCall(t, cred, http.MethodPost, "/applications/"+app["id"].(string)+"/addPassword", map[string]any{
		"passwordCredential": map[string]any{"displayName": "test", "endDateTime": time.Now().AddDate(1, 0, 0).Format(time.RFC3339)},
	})
	if st != http.StatusOK {
		t.Fatalf("addPassword: %d %v", st, pw)
	}
	return app["appId"].(string), pw["secretText"].(string)
}

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }
