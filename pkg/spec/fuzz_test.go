package spec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. Parse must never panic (its
// recover turns a panic into a diagnostic, which this target treats as a
// failure), never hang, and always return either a manifest without errors
// or well-formed, sorted diagnostics with at least one error.
//
//	go test ./pkg/spec -run='^$' -fuzz=FuzzParse -fuzztime=60s
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.yaml"))
	for _, p := range append(seeds, golden...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "---\n", "# comment\n", "this is: not: yaml: [\n", "version: 1\n---\nversion: 1\n",
		"version: 1\npublisher:\n\ttenant: x\n", baseManifest + "name: again\n", aliasBomb(),
		"x: &x {version: 1}\n<<: *x\n", "version: !bang 1\n", strings.Repeat("[", 50),
		"version: 1\nname: caf\xe9\n", "\xff\xfev\x00", "- a\n", "hello\n", "version: .nan\n",
		"? [a]\n: b\n", "a: *nope\n", "version: 0x10\nname: 1e400\n", "consumers: [{grants: [{}]}]\n",
		"publisher: {app: {secret: {lifetime: 1d, renewBefore: 2d, deliverTo: \"file:\"}}}\n",
		"publisher: {tenant: Abc8Q~abcdefghijklmnopqrstuvwxyz01234567}\nAbc8Q~abcdefghijklmnopqrstuvwxyz01234567: 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, diags := Parse("fuzz.yaml", data)
		for i, d := range diags {
			if strings.Contains(d.Summary, "parser failed") {
				t.Fatalf("Parse panicked: %s", d)
			}
			words := strings.FieldsFunc(d.Summary+" "+d.Hint+" "+d.Path, func(r rune) bool {
				return strings.ContainsRune(" \t\n\"'`,;()[]", r)
			})
			for _, w := range words {
				if looksLikeSecretValue(w) {
					t.Fatalf("diagnostic %d repeats a secret-looking value: %s", i, d)
				}
			}
			if d.File != "fuzz.yaml" || d.Line < 0 || d.Col < 0 || d.Code == "" || d.Summary == "" ||
				(d.Severity != SeverityError && d.Severity != SeverityWarning) {
				t.Fatalf("malformed diagnostic %d: %#v", i, d)
			}
		}
		sortedCopy := append(Diagnostics(nil), diags...)
		sortedCopy.Sort()
		if !reflect.DeepEqual(sortedCopy, diags) {
			t.Fatalf("diagnostics not sorted:\n%s", diags)
		}
		if (m == nil) != diags.HasErrors() {
			t.Fatalf("manifest returned = %v but HasErrors = %v:\n%s", m != nil, diags.HasErrors(), diags)
		}
		if m == nil {
			return
		}
		if m.Version != 1 || m.Name == "" || !isGUID(m.Publisher.Tenant) || m.Publisher.App.DisplayName == "" ||
			len(m.Publisher.Galleries) == 0 || len(m.Publisher.App.RedirectURIs) == 0 || len(m.SHA256) != 64 {
			t.Fatalf("valid manifest is missing required values: %+v", m)
		}
		names := map[string]bool{}
		for _, c := range m.Consumers {
			if names[c.Name] || c.Tenant == m.Publisher.Tenant || (c.Access != AccessManaged && c.Access != AccessManual) {
				t.Fatalf("consumer %+v violates uniqueness/tenant/access rules", c)
			}
			names[c.Name] = true
		}
		if s := m.Publisher.App.Secret; s != nil && (s.RenewBefore >= s.Lifetime ||
			!(s.DeliverTo.Kind == DeliveryFile && s.DeliverTo.Path != "" ||
				s.DeliverTo.Kind == DeliveryKeyVault && s.DeliverTo.VaultURL != "" && s.DeliverTo.SecretName != "")) {
			t.Fatalf("secret %+v violates lifetime/delivery rules", s)
		}
		// Parsing is deterministic.
		m2, diags2 := Parse("fuzz.yaml", data)
		if !reflect.DeepEqual(diags, diags2) || !reflect.DeepEqual(m, m2) {
			t.Fatalf("Parse is not deterministic")
		}
	})
}
