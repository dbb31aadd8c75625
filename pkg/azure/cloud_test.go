package azure

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// testCAPEM makes a throwaway self-signed CA certificate.
func testCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func simCloudFile(t *testing.T, mutate func(m map[string]any)) []byte {
	m := map[string]any{
		"version":         1,
		"name":            "galshare-simulator",
		"authorityHost":   "https://127.0.0.1:8443/",
		"resourceManager": map[string]any{"endpoint": "https://127.0.0.1:8443", "audience": "https://management.core.windows.net/"},
		"graph":           map[string]any{"endpoint": "https://127.0.0.1:8443", "audience": "https://graph.microsoft.com"},
		"caCertificate":   testCAPEM(t),
		"credentials": map[string]any{
			"11111111-1111-1111-1111-111111111111": map[string]any{"clientId": "op-1", "clientSecret": testSecretValue},
		},
	}
	if mutate != nil {
		mutate(m)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestLoadCloudFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(path, simCloudFile(t, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := LoadCloudFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if env.Name != "galshare-simulator" || env.AuthorityHost != "https://127.0.0.1:8443/" ||
		env.ARMEndpoint != "https://127.0.0.1:8443" || env.GraphEndpoint != "https://127.0.0.1:8443" ||
		env.ARMAudience != "https://management.core.windows.net/" || env.GraphAudience != "https://graph.microsoft.com" {
		t.Errorf("endpoints wrong: %+v", env)
	}
	if env.IsPublicAuthority() {
		t.Error("simulator authority reported as public (instance discovery would call the real Entra ID)")
	}
	cfg, ok := env.Credentials["11111111-1111-1111-1111-111111111111"]
	if !ok || cfg.ClientID != "op-1" || cfg.ClientSecret.Reveal() != testSecretValue || cfg.EffectiveMethod() != MethodClientSecret {
		t.Errorf("credentials wrong: %+v", env.Credentials)
	}
	if strings.Contains(fmtAll(env), testSecretValue) {
		t.Error("printing the environment leaks the secret")
	}
	if env.GraphScope() != "https://graph.microsoft.com/.default" || env.ARMScope() != "https://management.core.windows.net//.default" {
		t.Errorf("scopes: %s %s", env.GraphScope(), env.ARMScope())
	}
	cc := env.CloudConfig()
	if cc.ActiveDirectoryAuthorityHost != env.AuthorityHost || cc.Services[cloud.ResourceManager].Endpoint != env.ARMEndpoint {
		t.Errorf("CloudConfig: %+v", cc)
	}
	hc, err := env.HTTPClient()
	if err != nil || hc == nil {
		t.Fatalf("HTTPClient: %v", err)
	}
}

func TestParseCloudFileErrors(t *testing.T) {
	tests := map[string]func(m map[string]any){
		"version":        func(m map[string]any) { m["version"] = 2 },
		"http authority": func(m map[string]any) { m["authorityHost"] = "http://127.0.0.1:1/" },
		"missing graph":  func(m map[string]any) { delete(m, "graph") },
		"bad CA": func(m map[string]any) {
			m["caCertificate"] = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"
		},
	}
	for name, mutate := range tests {
		if _, err := ParseCloudFile(simCloudFile(t, mutate)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := ParseCloudFile([]byte("{")); err == nil {
		t.Error("bad JSON accepted")
	}
	// Sovereign-cloud style file: no CA, no credentials, unknown extra field tolerated.
	env, err := ParseCloudFile(simCloudFile(t, func(m map[string]any) {
		delete(m, "caCertificate")
		delete(m, "credentials")
		m["authorityHost"] = "https://login.microsoftonline.us"
		m["extra"] = true
	}))
	if err != nil {
		t.Fatal(err)
	}
	if env.AuthorityHost != "https://login.microsoftonline.us/" || !env.IsPublicAuthority() || env.Credentials != nil {
		t.Errorf("sovereign env: %+v", env)
	}
}

func TestConsentURLs(t *testing.T) {
	env := PublicCloud()
	if err := env.Validate(); err != nil {
		t.Fatal(err)
	}
	got := env.AuthorizeURL("22222222-2222-2222-2222-222222222222", "aaaaaaaa-0000-0000-0000-000000000001", "https://www.microsoft.com")
	want := "https://login.microsoftonline.com/22222222-2222-2222-2222-222222222222/oauth2/authorize?client_id=aaaaaaaa-0000-0000-0000-000000000001&response_type=code&redirect_uri=https%3A%2F%2Fwww.microsoft.com"
	if got != want {
		t.Errorf("AuthorizeURL\n got %s\nwant %s", got, want)
	}
	got = env.AdminConsentURL("22222222-2222-2222-2222-222222222222", "app", "")
	if got != "https://login.microsoftonline.com/22222222-2222-2222-2222-222222222222/adminconsent?client_id=app" {
		t.Errorf("AdminConsentURL = %s", got)
	}
}

func fmtAll(v any) string {
	b, _ := json.Marshal(v)
	return string(b) + strings.Join([]string{sprintAll(v)}, "")
}
