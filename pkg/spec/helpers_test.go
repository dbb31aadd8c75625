package spec

import (
	"strings"
	"testing"
)

// baseManifest is a valid manifest the table tests edit one place at a
// time. Every line is unique, so an edit hits exactly the line it names.
const baseManifest = `version: 1
name: contoso-golden-images
publisher:
  tenant: 11111111-1111-1111-1111-111111111111
  app:
    displayName: myGalleryApp
    signInAudience: AzureADandPersonalMicrosoftAccount
    redirectUris: [https://www.microsoft.com]
    secret:
      description: Shared image gallery cross-tenant app secret
      lifetime: 8760h
      renewBefore: 720h
      deliverTo: file:secrets/myGalleryApp.json
  galleries:
    - id: /subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery
      role: Reader
      waitFor:
        - image: ubuntu-2204
          version: 1.0.0
consumers:
  - name: fabrikam
    tenant: 22222222-2222-2222-2222-222222222222
    access: managed
    grants:
      - scope: /subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg
        role: Contributor
`

// edit returns baseManifest with each old→new pair replaced exactly once;
// a pair that matches nothing fails the test, so a stale case cannot pass
// by testing the unedited manifest.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	if len(pairs)%2 != 0 {
		t.Fatalf("edit needs old/new pairs, got %d strings", len(pairs))
	}
	s := baseManifest
	for i := 0; i < len(pairs); i += 2 {
		if strings.Count(s, pairs[i]) != 1 {
			t.Fatalf("edit: %q occurs %d times in the base manifest, want 1", pairs[i], strings.Count(s, pairs[i]))
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// appendConsumer adds a consumer entry at the end of baseManifest.
func appendConsumer(yamlEntry string) string {
	return baseManifest + yamlEntry
}

// codes lists the diagnostics' codes, for failure messages.
func codes(ds Diagnostics) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Code + "@" + d.Path
	}
	return out
}
