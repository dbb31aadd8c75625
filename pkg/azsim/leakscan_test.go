package azsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testSecret = "abc8Q~Zyx.wvu_tsr-qpo~nmlkjihgfedcba9876"

func TestScanForSecretsForms(t *testing.T) {
	tricky := "p/q+r=s&t~u8Q~" // JSON- and URL-escaping change it
	tests := []struct {
		name     string
		secret   string
		data     string
		wantForm []string
	}{
		{"none", testSecret, "nothing to see here " + testSecret[:10], nil},
		{"raw", testSecret, "log: secret=" + testSecret + " done", []string{"raw"}},
		{"twice", testSecret, testSecret + testSecret, []string{"raw", "raw"}},
		{"url form body", tricky, "client_secret=" + url.QueryEscape(tricky) + "&x=1", []string{"url"}},
		{"base64 aligned", testSecret, "Basic " + base64.StdEncoding.EncodeToString([]byte(testSecret)), []string{"base64"}},
		{"base64 shifted 1", testSecret, base64.StdEncoding.EncodeToString([]byte("u:" + testSecret + "!")), []string{"base64"}},
		{"base64 shifted 2", testSecret, base64.URLEncoding.EncodeToString([]byte("id:" + testSecret)), []string{"base64"}},
		{"hex", testSecret, fmt.Sprintf("dump %x", testSecret), []string{"hex"}},
		{"short secrets ignored", "abc", "abcabcabc", nil},
		{"json escaped", `a"b\c-secret-value`, string(mustJSON(t, `a"b\c-secret-value`)), []string{"json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			leaks := ScanForSecrets([]string{tc.secret}, "out", []byte(tc.data))
			var forms []string
			for _, l := range leaks {
				forms = append(forms, l.Form)
				if strings.Contains(l.String(), tc.secret) {
					t.Errorf("Leak.String() reveals the secret: %s", l)
				}
				if l.Hint != tc.secret[:3] {
					t.Errorf("hint = %q, want %q", l.Hint, tc.secret[:3])
				}
			}
			// base64 forms overlap for aligned data; only the set of form kinds matters.
			if got, want := uniq(forms), uniq(tc.wantForm); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("forms = %v, want %v", forms, tc.wantForm)
			}
		})
	}
}

func TestScanForSecretShapes(t *testing.T) {
	other := newSecretText()
	tests := []struct {
		name string
		data string
		want int
	}{
		{"plain text", "no secret here, only 8Q~ on its own", 0},
		{"issued secret", "token response " + other + "\n", 1},
		{"inside base64", "blob " + base64.StdEncoding.EncodeToString([]byte(`{"secret":"`+other+`"}`)), 1},
		{"guid is not a secret", "keyId 3f2504e0-4f89-11d3-9a0c-0305e82c3301", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ScanForSecretShapes("x", []byte(tc.data)); len(got) != tc.want {
				t.Errorf("got %d leaks %v, want %d", len(got), got, tc.want)
			}
		})
	}
}

func TestScanDirSkipsDeliveryTarget(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("secrets/app.json", `{"secret":"`+testSecret+`"}`)
	write("galshare.state.json", `{"version":1}`)
	write("logs/trace.log", "debug: got "+testSecret)
	leaks, err := ScanDir([]string{testSecret}, dir, func(rel string) bool { return rel == filepath.Join("secrets", "app.json") })
	if err != nil {
		t.Fatal(err)
	}
	// One exact match and one shape match, both in the log.
	if len(leaks) != 2 || leaks[0].Name != filepath.Join("logs", "trace.log") || leaks[1].Name != leaks[0].Name {
		t.Fatalf("leaks = %v", leaks)
	}
}

func TestSecretKeyIDAndOperatorSecrets(t *testing.T) {
	sim := coreStart(t, Options{})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", map[string]any{"displayName": "leakApp"}, nil, http.StatusCreated).must(t)
	pw := g1.do(t, "POST", "/applications/"+app.str("id")+"/addPassword", map[string]any{"passwordCredential": map[string]any{}},
		nil, http.StatusOK).must(t)
	appID, keyID, ok := sim.SecretKeyID(pw.str("secretText"))
	if !ok || appID != app.str("appId") || keyID != pw.str("keyId") {
		t.Fatalf("SecretKeyID = %q %q %v, want %q %q", appID, keyID, ok, app.str("appId"), pw.str("keyId"))
	}
	if _, _, ok := sim.SecretKeyID(newSecretText()); ok {
		t.Errorf("SecretKeyID matched a secret that was never issued")
	}
	g1.do(t, "POST", "/applications/"+app.str("id")+"/removePassword", map[string]any{"keyId": keyID}, nil,
		http.StatusNoContent).must(t)
	if _, _, ok := sim.SecretKeyID(pw.str("secretText")); ok {
		t.Errorf("SecretKeyID matched a removed password")
	}
	ops := sim.OperatorSecrets()
	if len(ops) != len(coreSecrets) {
		t.Fatalf("OperatorSecrets = %d secrets, want %d", len(ops), len(coreSecrets))
	}
	for _, s := range coreSecrets {
		if !strings.Contains(strings.Join(ops, "\n"), s) {
			t.Errorf("OperatorSecrets misses an operator secret (hint %s)", s[:3])
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
