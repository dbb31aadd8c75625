package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReadDeliveredSecret covers the cases the executor's verify and the
// CLI's app probe each relied on before they shared this reader.
func TestReadDeliveredSecret(t *testing.T) {
	const (
		tenant = "11111111-1111-1111-1111-111111111111"
		app    = "0e0e0e0e-0000-4000-8000-000000000001"
		value  = "s3cr3t-value-that-must-not-leak"
	)
	dir := t.TempDir()
	cases := []struct {
		name       string
		content    string
		wantTenant string
		wantErr    string
	}{
		{"ok", `{"tenant":"` + tenant + `","clientId":"` + app + `","secret":"` + value + `","keyId":"k"}`, tenant, ""},
		{"ok without tenant", `{"clientId":"` + app + `","secret":"` + value + `"}`, "", ""},
		{"not json", `secret=` + value, "", "not a galshare secret document"},
		{"truncated", `{"clientId":"` + app + `","secret":"` + value, "", "not a galshare secret document"},
		{"missing fields", `{"tenant":"` + tenant + `"}`, "", "lacks clientId, secret"},
		{"no secret", `{"clientId":"` + app + `"}`, "", "lacks secret"},
		{"no client id", `{"secret":"` + value + `"}`, "", "lacks clientId"},
		{"too large", `{"x":"` + strings.Repeat("a", MaxDeliveredSecretSize) + `"}`, "", "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			doc, err := ReadDeliveredSecret(path)
			if tc.wantErr == "" {
				if err != nil || doc.Secret.Reveal() != value || doc.ClientID != app || doc.Tenant != tc.wantTenant {
					t.Fatalf("got %+v, %v", doc, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
			if strings.Contains(err.Error(), value) {
				t.Fatalf("error reveals the secret: %v", err)
			}
		})
	}
	if _, err := ReadDeliveredSecret(filepath.Join(dir, "absent.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("absent file: %v, want ErrNotExist", err)
	}
}

// TestWriteDeliveredSecret: the file has the documented field names and the
// value in clear (the one place it may be), mode 0600, no temporary file
// left, and reads back to the same document.
func TestWriteDeliveredSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "secret.json")
	end := time.Date(2027, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range 2 { // the second write replaces the first
		want := DeliveredSecret{Tenant: "t", ClientID: "app", Secret: NewSecret(fmt.Sprintf("value-%d", i)), KeyID: fmt.Sprintf("k%d", i),
			EndDateTime: end, Description: "d", DeliveredAt: end.Add(-time.Hour), ManagedBy: "galshare"}
		if err := WriteDeliveredSecret(path, want); err != nil {
			t.Fatal(err)
		}
		got, err := ReadDeliveredSecret(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" || got.Secret.Reveal() != want.Secret.Reveal() {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]any{"tenant": "t", "clientId": "app", "secret": want.Secret.Reveal(), "keyId": want.KeyID,
			"endDateTime": "2027-11-23T12:00:00Z", "managedBy": "galshare"} {
			if fields[k] != v {
				t.Errorf("%s = %v, want %v", k, fields[k], v)
			}
		}
		if c, _ := fields["_comment"].(string); !strings.Contains(c, "private") {
			t.Errorf("_comment = %q", c)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	// Printing or JSON-encoding the document never shows the value.
	d := DeliveredSecret{ClientID: "app", Secret: NewSecret("hidden-value")}
	b, _ := json.Marshal(d)
	if s := fmt.Sprintf("%+v %v %#v %s", d, d, d, b); strings.Contains(s, "hidden-value") {
		t.Errorf("value leaked: %s", s)
	}
}
