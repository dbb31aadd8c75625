package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestParseQuickstart checks every value the planner relies on, decoded
// from the documented procedure's manifest.
func TestParseQuickstart(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "quickstart.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, diags := Parse(path, data)
	if len(diags) != 0 || m == nil {
		t.Fatalf("quickstart has diagnostics:\n%s", diags)
	}
	abs, _ := filepath.Abs(path)
	want := &Manifest{
		Version: 1,
		Name:    "contoso-golden-images",
		Publisher: Publisher{
			Tenant: "11111111-1111-1111-1111-111111111111",
			App: App{
				DisplayName:    "myGalleryApp",
				UniqueName:     "contoso-golden-images-mygalleryapp",
				SignInAudience: "AzureADandPersonalMicrosoftAccount",
				RedirectURIs:   []string{"https://www.microsoft.com"},
				Secret: &Secret{
					Description: "Shared image gallery cross-tenant app secret",
					Lifetime:    8760 * time.Hour,
					RenewBefore: 720 * time.Hour,
					DeliverTo:   Delivery{Kind: "file", Path: filepath.Join(filepath.Dir(abs), "secrets", "myGalleryApp.json"), Written: "file:secrets/myGalleryApp.json"},
				},
			},
			Galleries: []Gallery{{
				ID:             "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery",
				SubscriptionID: "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa",
				ResourceGroup:  "images-rg",
				Name:           "myGallery",
				Role:           Role{Name: "Reader", DefinitionGUID: "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
				WaitFor:        []ImageVersionRef{{Image: "ubuntu-2204", Version: "1.0.0"}},
			}},
		},
		Consumers: []Consumer{{
			Name:   "fabrikam",
			Tenant: "22222222-2222-2222-2222-222222222222",
			Access: AccessManaged,
			Grants: []Grant{{
				Scope: "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg",
				Role:  Role{Name: "Contributor", DefinitionGUID: "b24988ac-6180-42a0-ab88-20f7382dd24c"},
			}},
		}},
		Path:   abs,
		SHA256: sha256Hex(data),
	}
	if diff := cmp.Diff(want, m, cmpopts.IgnoreFields(Manifest{}, "Positions")); diff != "" {
		t.Errorf("quickstart decoded wrong (-want +got):\n%s", diff)
	}
	if len(m.SHA256) != 64 {
		t.Errorf("SHA256 %q is not 64 hex digits", m.SHA256)
	}
	if got := m.Positions.Lookup("consumers[0].grants[0].scope"); got.Line == 0 {
		t.Errorf("no position recorded for consumers[0].grants[0].scope")
	}
	if got := m.Positions.Lookup("consumers[0].tenant"); got != (Pos{Line: 53, Col: 5}) {
		t.Errorf("consumers[0].tenant position = %+v, want line 53 col 5 (where the key is written)", got)
	}
}

// TestDefaults checks every default applied when a field is left out.
func TestDefaults(t *testing.T) {
	src := `version: 1
name: defaults
publisher:
  tenant: 11111111-1111-1111-1111-111111111111
  app:
    displayName: "My Gallery App!"
    redirectUris: [http://localhost:8400/cb]
    secret:
      deliverTo: file:/var/secrets/app.json
  galleries:
    - id: /SUBSCRIPTIONS/AAAAAAAA-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourcegroups/Images-RG/providers/microsoft.compute/GALLERIES/g1
consumers:
  - name: c1
    tenant: 22222222-2222-2222-2222-22222222222A
    grants:
      - scope: /subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb
        role: virtual machine   contributor
`
	m, diags := Parse("/etc/galshare/m.yaml", []byte(src))
	if m == nil || len(diags) != 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diags)
	}
	app := m.Publisher.App
	if app.SignInAudience != DefaultSignInAudience {
		t.Errorf("signInAudience = %q, want default %q", app.SignInAudience, DefaultSignInAudience)
	}
	if app.UniqueName != "defaults-my-gallery-app" {
		t.Errorf("uniqueName = %q, want defaults-my-gallery-app", app.UniqueName)
	}
	want := &Secret{Description: DefaultSecretDescription, Lifetime: 8760 * time.Hour, RenewBefore: 720 * time.Hour,
		DeliverTo: Delivery{Kind: DeliveryFile, Path: "/var/secrets/app.json", Written: "file:/var/secrets/app.json"}}
	if diff := cmp.Diff(want, app.Secret); diff != "" {
		t.Errorf("secret defaults (-want +got):\n%s", diff)
	}
	g := m.Publisher.Galleries[0]
	if g.ID != "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/Images-RG/providers/Microsoft.Compute/galleries/g1" {
		t.Errorf("gallery ID not canonical: %s", g.ID)
	}
	if g.Role.Name != "Reader" || g.Role.DefinitionGUID != "acdd72a7-3385-48ef-bd42-f606fba81ae7" {
		t.Errorf("gallery role default = %+v, want Reader", g.Role)
	}
	c := m.Consumers[0]
	if c.Access != AccessManaged || c.Tenant != "22222222-2222-2222-2222-22222222222a" {
		t.Errorf("consumer = %+v, want managed and a lowercase tenant", c)
	}
	if r := c.Grants[0].Role; r.Name != "Virtual Machine Contributor" || r.DefinitionGUID != "9980e02c-c2be-4d73-94e8-173b1dc7cf3c" {
		t.Errorf("role = %+v, want Virtual Machine Contributor", r)
	}
}

// TestSchemaDefaultsMatchGo keeps the schema's documented defaults (what
// editors show) equal to the defaults Parse applies.
func TestSchemaDefaultsMatchGo(t *testing.T) {
	cs, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	defs := cs.doc.(map[string]any)["$defs"].(map[string]any)
	prop := func(def, name string) any {
		return defs[def].(map[string]any)["properties"].(map[string]any)[name].(map[string]any)["default"]
	}
	checks := []struct{ def, prop, want string }{
		{"app", "signInAudience", DefaultSignInAudience},
		{"secret", "description", DefaultSecretDescription},
		{"secret", "lifetime", "8760h"},
		{"secret", "renewBefore", "720h"},
		{"gallery", "role", DefaultGalleryRole},
		{"consumer", "access", string(AccessManaged)},
	}
	for _, c := range checks {
		if got := prop(c.def, c.prop); got != c.want {
			t.Errorf("schema default of %s.%s = %v, want %s", c.def, c.prop, got, c.want)
		}
	}
	if d, _ := ParseDuration("8760h"); d != DefaultSecretLifetime {
		t.Errorf("DefaultSecretLifetime = %v", DefaultSecretLifetime)
	}
	if d, _ := ParseDuration("720h"); d != DefaultRenewBefore {
		t.Errorf("DefaultRenewBefore = %v", DefaultRenewBefore)
	}
}

// TestExamplesValid keeps every shipped example valid and free of warnings.
func TestExamplesValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("found %d examples (%v), want at least 3", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=../schemas/manifest.schema.json\n") {
				t.Errorf("example does not start with the yaml-language-server schema line")
			}
			m, diags := Parse(f, data)
			if m == nil || len(diags) != 0 {
				t.Fatalf("diagnostics:\n%s", diags)
			}
		})
	}
}
