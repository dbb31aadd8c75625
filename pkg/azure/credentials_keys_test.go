package azure

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCredentialsFileKeyErrors: a mistyped key gets its line and column, a
// did-you-mean and the keys allowed there, like a manifest diagnostic —
// never the YAML decoder's Go type names.
func TestCredentialsFileKeyErrors(t *testing.T) {
	const t1 = "11111111-1111-1111-1111-111111111111"
	tests := []struct {
		name, raw string
		line, col int
		want      string
	}{
		{"tenant entry typo", "version: 1\ntenants:\n  " + t1 + ":\n    clientID: abc\n    clientSecretEnv: S\n", 4, 5,
			`unknown key "clientID" in tenants.` + t1 + `; did you mean "clientId"?`},
		{"default entry typo", "default:\n  metod: cli\n", 2, 3, `unknown key "metod" in default; did you mean "method"?`},
		{"top-level typo", "version: 1\ntenant: {}\n", 2, 1, `unknown top-level key "tenant"; did you mean "tenants"?`},
		{"JSON file", `{"tenants": {"` + t1 + `": {"clientId": "a", "federatedTokenFil": "/t"}}}`, 1, 72,
			`unknown key "federatedTokenFil" in tenants.` + t1 + `; did you mean "federatedTokenFile"?`},
		{"literal secret", "tenants:\n  " + t1 + ": {clientId: a, clientSecret: s3cr3t}\n", 2, 55,
			`a literal clientSecret is not accepted`},
		{"nothing near", "tenants:\n  " + t1 + ": {clientId: a, colour: blue}\n", 2, 55, `unknown key "colour"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredentialsFile([]byte(tt.raw), "")
			var ke *KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("err = %v; want a *KeyError", err)
			}
			if ke.Line != tt.line || ke.Col != tt.col || !strings.Contains(ke.Msg, tt.want) {
				t.Errorf("got %d:%d %q; want %d:%d containing %q", ke.Line, ke.Col, ke.Msg, tt.line, tt.col, tt.want)
			}
			if strings.Contains(ke.Msg, "azure.") || strings.Contains(ke.Msg, "s3cr3t") {
				t.Errorf("message names Go types or echoes the value: %q", ke.Msg)
			}
		})
	}
	// The loader puts the file in front, as FILE:LINE:COL.
	path := filepath.Join(t.TempDir(), "creds.yaml")
	if err := os.WriteFile(path, []byte(tests[0].raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCredentialsFile(path); err == nil || !strings.Contains(err.Error(), path+":4:5: unknown key") {
		t.Errorf("LoadCredentialsFile: %v", err)
	}
}
