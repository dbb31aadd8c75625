package spec

import (
	"strings"
	"testing"
)

// TestStateURL checks the manifest's `state.url`: blob endpoints and
// loopback path-style emulator URLs are accepted, everything else is
// refused at its line with a hint, and a SAS in it is a secret.
func TestStateURL(t *testing.T) {
	tests := []struct {
		url  string
		code string // "" accepted
	}{
		{"https://contosostate.blob.core.windows.net/galshare/prod.state.json", ""},
		{"https://contosostate.blob.core.chinacloudapi.cn/galshare/team/prod.state.json", ""},
		{"http://127.0.0.1:10000/devstoreaccount1/galshare/prod.state.json", ""},
		{"https://contosostate.blob.core.windows.net/galshare/prod.state.json?sv=2022&sig=abc", CodeSecret},
		{"https://contosostate.file.core.windows.net/galshare/prod.state.json", CodeStateURL},
		{"https://contosostate.blob.core.windows.net/galshare", CodeStateURL},
		{"http://contosostate.blob.core.windows.net/galshare/prod.state.json", CodeStateURL},
		{"http://127.0.0.1:10000/galshare/prod.state.json", CodeStateURL},
		{"s3://bucket/prod.state.json", CodeStateURL},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			m, diags := Parse("m.yaml", []byte(baseManifest+"state:\n  url: \""+tt.url+"\"\n"))
			if tt.code == "" {
				if diags.HasErrors() || m.State.URL != tt.url {
					t.Fatalf("diags %v, State.URL %q; want accepted", diags, m.State.URL)
				}
				return
			}
			if len(diags) != 1 || diags[0].Code != tt.code || diags[0].Path != "state.url" || diags[0].Line != 28 || diags[0].Hint == "" {
				t.Fatalf("diags = %+v, want one %s at state.url line 28 with a hint", diags, tt.code)
			}
			if strings.Contains(diags.Error(), "sig=abc") {
				t.Fatalf("the SAS reached the diagnostic: %v", diags)
			}
		})
	}
}
