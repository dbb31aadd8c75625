package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12.7: a server that echoes credentials in its errors — a JWT, a
// secret-shaped string, the operator's own client secret (cloud file) and
// another read from the environment — gets none of them onto stderr (error
// lines, hclog trace output) or stdout (--json events).
func TestCLIRedactsEchoedCredentials(t *testing.T) {
	const (
		pub, con  = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
		cloudSec  = "cli-operator-secret-from-cloud-file"
		envSec    = "cli-operator-secret-from-environment"
		jwt       = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJvaWQiOiIxMjM0NTY3OC0xMjM0In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
		shapeSec  = "abc8Q~Zx9yW_vU.tS7rQ-pO6nM~lK5jI4hG3fE2d"
		echoedFmt = "you sent %s and " + jwt + "; try " + shapeSec + " or " + cloudSec + " or " + envSec
	)
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(p, "/.well-known/openid-configuration"):
			base := srv.URL + "/" + strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": base + "/v2.0", "token_endpoint": base + "/oauth2/v2.0/token",
				"authorization_endpoint": base + "/oauth2/v2.0/authorize"})
		case strings.HasSuffix(p, "/oauth2/v2.0/token") && strings.HasPrefix(p, "/"+con):
			form, _ := io.ReadAll(r.Body) // the consumer's token request fails, echoing its form
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client", "error_codes": []int{7000216},
				"error_description": "AADSTS7000216: " + strings.ReplaceAll(echoedFmt, "%s", string(form))})
		case strings.HasSuffix(p, "/oauth2/v2.0/token"):
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": jwt, "expires_in": 3600, "token_type": "Bearer"})
		default:
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "BadRequest",
				"message": strings.ReplaceAll(echoedFmt, "%s", r.Header.Get("Authorization"))}})
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cf, _ := json.Marshal(map[string]any{
		"version": 1, "name": "echo", "authorityHost": srv.URL + "/",
		"resourceManager": map[string]any{"endpoint": srv.URL, "audience": "https://management.core.windows.net/"},
		"graph":           map[string]any{"endpoint": srv.URL, "audience": "https://graph.microsoft.com"},
		"caCertificate":   string(ca),
		"credentials":     map[string]any{pub: map[string]any{"clientId": "c0000000-0000-0000-0000-000000000001", "clientSecret": cloudSec}},
	})
	cloud := filepath.Join(dir, "cloud.json")
	if err := os.WriteFile(cloud, cf, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GALSHARE_TENANT_22222222222222222222222222222222_CLIENT_ID", "c0000000-0000-0000-0000-000000000002")
	t.Setenv("GALSHARE_TENANT_22222222222222222222222222222222_CLIENT_SECRET", envSec)
	manifest := filepath.Join("..", "..", "examples", "quickstart.yaml")
	for _, args := range [][]string{
		{"plan", "--log-level", "trace", "--cloud", cloud, "--state", filepath.Join(dir, "s.json"), manifest},
		{"plan", "--json", "--cloud", cloud, "--state", filepath.Join(dir, "s.json"), manifest},
		{"apply", "--json", "--auto-approve", "--log-level", "trace", "--cloud", cloud, "--state", filepath.Join(dir, "s.json"), manifest},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		if code == exitOK {
			t.Fatalf("%v succeeded against a server answering only errors", args)
		}
		t.Logf("%v: exit %d\nstderr: %s", args, code, &stderr)
		if !strings.Contains(stderr.String(), "galshare: error: ") {
			t.Errorf("%v: no error printed:\n%s", args, &stderr)
		}
		for what, v := range map[string]string{"cloud-file secret": cloudSec, "environment secret": envSec, "JWT": jwt,
			"JWT payload": strings.Split(jwt, ".")[1], "secret shape": shapeSec} {
			if strings.Contains(stderr.String(), v) || strings.Contains(stdout.String(), v) {
				t.Errorf("%v: the %s reached the output:\nstdout: %s\nstderr: %s", args, what, &stdout, &stderr)
			}
		}
	}
}
