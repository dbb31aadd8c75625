package azure

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactShapes(t *testing.T) {
	tests := []struct {
		name, in string
		redacted bool
	}{
		{"jwt", "token eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2lnbmF0dXJl rejected", true},
		{"entra secret", "secret abc8Q~Zx9yW_vU.tS7rQ-pO6nM~lK5jI4hG3fE2d here", true},
		{"opaque base64 run", "key Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr end", true},
		{"go temp dir", "manifest /tmp/TestApplySavedPlanStaleness1234567890/001/quickstart.yaml changed", false},
		{"guid", "tenant 11111111-1111-1111-1111-111111111111 object 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", false},
		{"arm id", "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery", false},
		{"sha256", "manifest sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false},
		{"env var", "set GALSHARE_TENANT_11111111111111111111111111111111_CLIENT_ID and _CLIENT_SECRET", false},
		{"unique name", "uniqueName=contoso-golden-images-mygalleryapp-with-a-long-suffix", false},
		{"role action", "lacks Microsoft.Authorization/roleAssignments/write over /subscriptions/x", false},
	}
	for _, tt := range tests {
		got := RedactShapes(tt.in)
		if (got != tt.in) != tt.redacted {
			t.Errorf("%s: RedactShapes(%q) = %q, redacted want %v", tt.name, tt.in, got, tt.redacted)
		}
		if tt.redacted && !strings.Contains(got, Redacted) {
			t.Errorf("%s: %q lacks %s", tt.name, got, Redacted)
		}
	}
}

func TestRedactorKnownValues(t *testing.T) {
	r := NewRedactor()
	r.Add("short", "operator-secret-value", "op secret+with/specials")
	r.AddSecret(NewSecret("delivered-secret-value"))
	in := "a short word; operator-secret-value; op+secret%2Bwith%2Fspecials; delivered-secret-value"
	got := r.Redact(in)
	for _, v := range []string{"operator-secret-value", "op+secret%2Bwith%2Fspecials", "delivered-secret-value"} {
		if strings.Contains(got, v) {
			t.Errorf("%q kept %q", got, v)
		}
	}
	if !strings.Contains(got, "a short word") {
		t.Errorf("a value under %d characters was redacted: %q", minKnownLen, got)
	}
	var nilR *Redactor
	if nilR.Redact("operator-secret-value") != "operator-secret-value" {
		t.Error("a nil Redactor knows values")
	}
	var buf bytes.Buffer
	w := RedactingWriter(&buf, r)
	if n, err := w.Write([]byte("galshare: error: operator-secret-value\n")); err != nil || n != 39 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if buf.String() != "galshare: error: "+Redacted+"\n" {
		t.Errorf("writer wrote %q", buf.String())
	}
	e := &Error{Message: "echoed operator-secret-value", redactor: r}
	if strings.Contains(e.Error(), "operator-secret-value") {
		t.Errorf("Error() = %q", e.Error())
	}
}
