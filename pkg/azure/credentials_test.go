package azure

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sprintAll(v any) string { return fmt.Sprintf("%v %+v %#v", v, v, v) }

func TestParseCredentialsFile(t *testing.T) {
	yamlFile := `
version: 1
default: {method: cli}
tenants:
  11111111-1111-1111-1111-111111111111:
    clientId: app-1
    clientSecretEnv: PUB_SECRET
  22222222-2222-2222-2222-222222222222:
    clientId: app-2
    certificateFile: certs/fab.pem
    certificatePasswordEnv: FAB_PW
  33333333-3333-3333-3333-333333333333: {clientId: app-3, federatedTokenFile: /var/run/token}
  AAAAAAAA-4444-4444-4444-444444444444: {method: none}
`
	f, err := ParseCredentialsFile([]byte(yamlFile), "/etc/galshare")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ tenant, method, clientID string }{
		{"11111111-1111-1111-1111-111111111111", MethodClientSecret, "app-1"},
		{"22222222-2222-2222-2222-222222222222", MethodCertificate, "app-2"},
		{"33333333-3333-3333-3333-333333333333", MethodFederated, "app-3"},
		{"aaaaaaaa-4444-4444-4444-444444444444", MethodNone, ""},
	}
	for _, tt := range tests {
		c, ok := f.Tenants[tt.tenant]
		if !ok || c.EffectiveMethod() != tt.method || c.ClientID != tt.clientID {
			t.Errorf("tenant %s: %+v (ok=%v)", tt.tenant, c, ok)
		}
	}
	if got := f.Tenants["22222222-2222-2222-2222-222222222222"].CertificateFile; got != filepath.Join("/etc/galshare", "certs/fab.pem") {
		t.Errorf("relative certificate path not resolved: %s", got)
	}
	if f.Default == nil || f.Default.EffectiveMethod() != MethodCLI {
		t.Errorf("default: %+v", f.Default)
	}
	// The same as JSON.
	jf, err := ParseCredentialsFile([]byte(`{"tenants":{"11111111-1111-1111-1111-111111111111":{"clientId":"app-1","clientSecretEnv":"X"}}}`), "")
	if err != nil || jf.Tenants["11111111-1111-1111-1111-111111111111"].ClientSecretEnv != "X" {
		t.Errorf("JSON: %v %+v", err, jf)
	}
}

func TestParseCredentialsFileErrors(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"literal secret":  {`tenants: {t1: {clientId: a, clientSecret: hunter2}}`, "clientSecretEnv"},
		"unknown key":     {`tenants: {t1: {clientId: a, clientSecretEnvv: X}}`, "clientSecretEnvv"},
		"missing id":      {`tenants: {t1: {clientSecretEnv: X}}`, "needs clientId"},
		"unknown method":  {`tenants: {t1: {method: magic}}`, "unknown method"},
		"cert no file":    {`tenants: {t1: {method: certificate, clientId: a}}`, "certificateFile"},
		"bad version":     {`version: 3`, "version"},
		"default invalid": {`default: {method: secret, clientId: a}`, "default"},
	}
	for name, tt := range tests {
		_, err := ParseCredentialsFile([]byte(tt.in), "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want mention of %q", name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error echoes the literal secret: %v", name, err)
		}
	}
}

func TestCredentialPrecedence(t *testing.T) {
	const t1, t2, t3, t4 = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222",
		"33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444"
	env, err := ParseCloudFile(simCloudFile(t, func(m map[string]any) {
		m["credentials"] = map[string]any{
			t1: map[string]any{"clientId": "cloud-1", "clientSecret": "x"},
			t2: map[string]any{"clientId": "cloud-2", "clientSecret": "x"},
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	file, err := ParseCredentialsFile([]byte("tenants: {"+t1+": {clientId: file-1, clientSecretEnv: S1}, "+t4+": {method: none}}"), "")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"GALSHARE_TENANT_" + strings.ToUpper(strings.ReplaceAll(t3, "-", "")) + "_CLIENT_ID":     "env-3",
		"GALSHARE_TENANT_" + strings.ToUpper(strings.ReplaceAll(t3, "-", "")) + "_CLIENT_SECRET": testSecretValue,
	}
	c, err := NewConnector(Options{Env: env, Credentials: file, LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tenant, clientID, source string
		ok                       bool
	}{
		{t1, "file-1", "credentials file", true},
		{strings.ToUpper(t2), "cloud-2", "cloud file", true},
		{t3, "env-3", "environment", true},
		{t4, "", "", false},
		{"55555555-5555-5555-5555-555555555555", "", "", false}, // not public cloud: no default chain
	}
	for _, tt := range tests {
		cfg, ok := c.credentialConfig(tt.tenant)
		if ok != tt.ok || cfg.ClientID != tt.clientID || !strings.HasPrefix(cfg.Source(), tt.source) {
			t.Errorf("%s: got %q from %q ok=%v, want %q from %q ok=%v", tt.tenant, cfg.ClientID, cfg.Source(), ok, tt.clientID, tt.source, tt.ok)
		}
		if c.HasCredentials(tt.tenant) != tt.ok {
			t.Errorf("%s: HasCredentials != %v", tt.tenant, tt.ok)
		}
	}
	// CredentialSource says where to fix a refused credential.
	for tenant, want := range map[string]string{
		t1: "credentials file (entry tenants." + t1 + "), secret from $S1",
		t2: "cloud file (--cloud or GALSHARE_CLOUD)",
		t3: "environment (GALSHARE_TENANT_" + strings.ToUpper(strings.ReplaceAll(t3, "-", "")) + "_*)",
		t4: "",
	} {
		if got := c.CredentialSource(tenant); got != want {
			t.Errorf("CredentialSource(%s) = %q, want %q", tenant, got, want)
		}
	}
	if cfg, _ := c.credentialConfig(t3); strings.Contains(sprintAll(cfg), testSecretValue) {
		t.Error("printing a credential config leaks the secret")
	}
	// Public cloud: every tenant falls back to the default chain.
	pub, err := NewConnector(Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, ok := pub.credentialConfig(t2); !ok || cfg.EffectiveMethod() != MethodDefault {
		t.Errorf("public cloud fallback: %+v %v", cfg, ok)
	}
	// The shared app's own identity overrides everything.
	app := c.AppClients("shared-app", NewSecret("v"))
	if cfg, ok := app.credentialConfig(t4); !ok || cfg.ClientID != "shared-app" || cfg.ClientSecret.Reveal() != "v" {
		t.Errorf("AppClients: %+v %v", cfg, ok)
	}
	// A missing secret variable fails with a clear error naming it (and no value).
	if _, err := c.Directory(t.Context(), t1); err == nil || !strings.Contains(err.Error(), "S1") {
		t.Errorf("missing env var error: %v", err)
	}
	if _, err := c.Resources(t.Context(), t4); err == nil || KindOf(err) != KindAuthFailed || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("no-credentials error: %v", err)
	}
}

func TestBuildCredentialMethods(t *testing.T) {
	dir := t.TempDir()
	certPath := filepath.Join(dir, "op.pem")
	if err := os.WriteFile(certPath, testCertAndKeyPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenPath := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenPath, []byte("header.payload.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := NewConnector(Options{LookupEnv: func(k string) (string, bool) {
		if k == "OP_SECRET" {
			return "v", true
		}
		return "", false
	}})
	if err != nil {
		t.Fatal(err)
	}
	ok := []CredentialConfig{
		{ClientID: "a", ClientSecretEnv: "OP_SECRET"},
		{ClientID: "a", CertificateFile: certPath},
		{ClientID: "a", FederatedTokenFile: tokenPath},
		{Method: MethodCLI},
		{Method: MethodDefault},
	}
	for _, cfg := range ok {
		if cred, err := c.buildCredential("11111111-1111-1111-1111-111111111111", cfg); err != nil || cred == nil {
			t.Errorf("%s: %v", cfg.EffectiveMethod(), err)
		}
	}
	bad := map[string]CredentialConfig{
		"OP_MISSING":  {ClientID: "a", ClientSecretEnv: "OP_MISSING"},
		"nope.pem":    {ClientID: "a", CertificateFile: filepath.Join(dir, "nope.pem")},
		"token":       {ClientID: "a", CertificateFile: tokenPath}, // not a certificate
		"method none": {Method: MethodNone},
	}
	for want, cfg := range bad {
		if _, err := c.buildCredential("t", cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: err = %v, want mention of %q", cfg, err, want)
		}
	}
}

func testCertAndKeyPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "operator"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
}
