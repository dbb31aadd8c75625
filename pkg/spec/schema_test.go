package spec

import (
	"strings"
	"testing"
)

// TestSchemaDiagnostics covers what the JSON Schema reports: unknown keys
// (with did-you-mean), missing keys, wrong types (with hints), empty lists.
func TestSchemaDiagnostics(t *testing.T) {
	tests := []struct {
		name     string
		yaml     func(t *testing.T) string
		code     string
		path     string
		line     int
		col      int
		contains string
		hint     string
	}{
		{"typo key", func(t *testing.T) string { return edit(t, "displayName:", "displayNme:") },
			CodeUnknownKey, "publisher.app.displayNme", 6, 5, "unknown key `displayNme`, did you mean `displayName`?", "allowed keys here"},
		{"unknown key far from any", func(t *testing.T) string {
			return edit(t, "    access: managed\n", "    access: managed\n    colour: blue\n")
		},
			CodeUnknownKey, "consumers[0].colour", 24, 5, "unknown key `colour`", "allowed keys here: access, grants, name, tenant"},
		{"unknown top-level key", func(t *testing.T) string { return edit(t, "version: 1\n", "version: 1\nconsumer: []\n") },
			CodeUnknownKey, "consumer", 2, 1, "did you mean `consumers`?", ""},
		{"missing required", func(t *testing.T) string { return edit(t, "      deliverTo: file:secrets/myGalleryApp.json\n", "") },
			CodeRequired, "publisher.app.secret.deliverTo", 9, 5, "missing the required key `deliverTo`", "file:secrets"},
		{"wrong type number for duration", func(t *testing.T) string { return edit(t, "lifetime: 8760h", "lifetime: 8760") },
			CodeType, "publisher.app.secret.lifetime", 11, 17, "must be a string, not a number", "give a unit"},
		{"version as float", func(t *testing.T) string { return edit(t, "version: 1.0.0", "version: 1.0") },
			CodeType, "publisher.galleries[0].waitFor[0].version", 19, 20, "must be a string, not a number", "quote the version"},
		{"boolean where text", func(t *testing.T) string { return edit(t, "displayName: myGalleryApp", "displayName: true") },
			CodeType, "publisher.app.displayName", 6, 18, "must be a string, not a boolean", "quote it"},
		{"list where mapping", func(t *testing.T) string {
			return edit(t, "    grants:\n      - scope: /subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg\n        role: Contributor\n",
				"    grants: Contributor\n")
		}, CodeType, "consumers[0].grants", 24, 13, "must be a list, not a string", "YAML list"},
		{"empty galleries", func(t *testing.T) string {
			s := edit(t, "  galleries:\n", "  galleries: []\n")
			return strings.Replace(s, "    - id: /subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery\n      role: Reader\n      waitFor:\n        - image: ubuntu-2204\n          version: 1.0.0\n", "", 1)
		}, CodeSchema, "publisher.galleries", 14, 14, "needs at least one entry", ""},
		{"null value", func(t *testing.T) string { return edit(t, "role: Contributor", "role:") },
			CodeType, "consumers[0].grants[0].role", 26, 14, "must be a string, not an empty value", "give a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("m.yaml", []byte(tt.yaml(t)))
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics %v, want one %s:\n%s", len(diags), codes(diags), tt.code, diags)
			}
			d := diags[0]
			if d.Code != tt.code || d.Path != tt.path || d.Line != tt.line || d.Col != tt.col {
				t.Errorf("got %s@%s %d:%d, want %s@%s %d:%d", d.Code, d.Path, d.Line, d.Col, tt.code, tt.path, tt.line, tt.col)
			}
			if !strings.Contains(d.Summary, tt.contains) {
				t.Errorf("message %q does not contain %q", d.Summary, tt.contains)
			}
			if !strings.Contains(d.Hint, tt.hint) {
				t.Errorf("hint %q does not contain %q", d.Hint, tt.hint)
			}
		})
	}
}

// TestThreeProblemsAtOnce is the acceptance case: an unknown key, a
// malformed tenant GUID and a wrong-typed field give three positioned
// diagnostics in one run.
func TestThreeProblemsAtOnce(t *testing.T) {
	src := edit(t,
		"displayName:", "displayNme:",
		"tenant: 22222222-2222-2222-2222-222222222222", "tenant: 2222-2222",
		"lifetime: 8760h", "lifetime: 365",
	)
	m, diags := Parse("three.yaml", []byte(src))
	if m != nil {
		t.Fatal("got a manifest despite errors")
	}
	want := []string{
		"three.yaml:6:5: error: unknown key `displayNme`, did you mean `displayName`?",
		"three.yaml:11:17: error: `publisher.app.secret.lifetime` must be a string, not a number",
		`three.yaml:22:13: error: tenant ID "2222-2222" is not a GUID`,
	}
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(want), diags)
	}
	for i, w := range want {
		if first := strings.SplitN(diags[i].String(), "\n", 2)[0]; first != w {
			t.Errorf("diagnostic %d:\n got %s\nwant %s", i, first, w)
		}
	}
}
