package spec

import (
	"strings"
	"testing"
)

// TestSemanticChecks has one case per semantic check: each edits the valid
// base manifest in one place and expects exactly one diagnostic there.
func TestSemanticChecks(t *testing.T) {
	consumer := func(name, tenant, scope string) string {
		return "  - name: " + name + "\n    tenant: " + tenant + "\n    grants:\n      - scope: " + scope + "\n        role: Contributor\n"
	}
	tests := []struct {
		name     string
		yaml     func(t *testing.T) string
		code     string
		severity Severity
		path     string
		line     int
		contains string
	}{
		{"version 2 unsupported", func(t *testing.T) string { return edit(t, "version: 1\nname", "version: 2\nname") },
			CodeVersion, SeverityError, "version", 1, "version 2 is not supported"},
		{"manifest name uppercase", func(t *testing.T) string { return edit(t, "name: contoso-golden-images", "name: Contoso") },
			CodeName, SeverityError, "name", 2, "manifest name"},
		{"publisher tenant not a GUID", func(t *testing.T) string {
			return edit(t, "tenant: 11111111-1111-1111-1111-111111111111", "tenant: 11111111-1111-1111-1111-11111111111")
		}, CodeTenant, SeverityError, "publisher.tenant", 4, "is not a GUID"},
		{"publisher tenant is a domain", func(t *testing.T) string {
			return edit(t, "tenant: 11111111-1111-1111-1111-111111111111", "tenant: contoso.onmicrosoft.com")
		}, CodeTenant, SeverityError, "publisher.tenant", 4, "is not a GUID"},
		{"consumer tenant all zero", func(t *testing.T) string {
			return edit(t, "tenant: 22222222-2222-2222-2222-222222222222", "tenant: 00000000-0000-0000-0000-000000000000")
		}, CodeTenant, SeverityError, "consumers[0].tenant", 22, "all-zero"},
		{"displayName blank", func(t *testing.T) string { return edit(t, "displayName: myGalleryApp", `displayName: "  "`) },
			CodeLength, SeverityError, "publisher.app.displayName", 6, "empty"},
		{"displayName too long", func(t *testing.T) string {
			return edit(t, "displayName: myGalleryApp", "displayName: "+strings.Repeat("x", 257))
		}, CodeLength, SeverityError, "publisher.app.displayName", 6, "257 characters"},
		{"uniqueName invalid", func(t *testing.T) string {
			return edit(t, "    displayName: myGalleryApp\n", "    displayName: myGalleryApp\n    uniqueName: My_App\n")
		}, CodeName, SeverityError, "publisher.app.uniqueName", 7, "uniqueName"},
		{"adopt appId not a GUID", func(t *testing.T) string {
			return edit(t, "    displayName: myGalleryApp\n", "    displayName: myGalleryApp\n    adopt: {appId: my-app}\n")
		}, CodeAppID, SeverityError, "publisher.app.adopt.appId", 7, "not a GUID"},
		{"adopt appId all zero", func(t *testing.T) string {
			return edit(t, "    displayName: myGalleryApp\n", "    displayName: myGalleryApp\n    adopt:\n      appId: 00000000-0000-0000-0000-000000000000\n")
		}, CodeAppID, SeverityError, "publisher.app.adopt.appId", 8, "all-zero"},
		{"single-tenant audience", func(t *testing.T) string {
			return edit(t, "signInAudience: AzureADandPersonalMicrosoftAccount", "signInAudience: AzureADMyOrg")
		}, CodeSignInAudience, SeverityError, "publisher.app.signInAudience", 7, "cross-tenant"},
		{"redirect URI http not localhost", func(t *testing.T) string {
			return edit(t, "[https://www.microsoft.com]", "[http://www.microsoft.com]")
		}, CodeRedirectURI, SeverityError, "publisher.app.redirectUris[0]", 8, "only for localhost"},
		{"redirect URI relative", func(t *testing.T) string {
			return edit(t, "[https://www.microsoft.com]", "[/callback]")
		}, CodeRedirectURI, SeverityError, "publisher.app.redirectUris[0]", 8, "not absolute"},
		{"redirect URI wildcard", func(t *testing.T) string {
			return edit(t, "[https://www.microsoft.com]", "[\"https://*.contoso.com\"]")
		}, CodeRedirectURI, SeverityError, "publisher.app.redirectUris[0]", 8, "wildcard"},
		{"redirect URI fragment", func(t *testing.T) string {
			return edit(t, "[https://www.microsoft.com]", "[\"https://contoso.com/#x\"]")
		}, CodeRedirectURI, SeverityError, "publisher.app.redirectUris[0]", 8, "fragment"},
		{"redirect URI duplicate", func(t *testing.T) string {
			return edit(t, "[https://www.microsoft.com]", "[https://www.microsoft.com, https://www.microsoft.com]")
		}, CodeDuplicate, SeverityError, "publisher.app.redirectUris[1]", 8, "listed twice"},
		{"lifetime malformed", func(t *testing.T) string { return edit(t, "lifetime: 8760h", "lifetime: 1 year") },
			CodeDuration, SeverityError, "publisher.app.secret.lifetime", 11, "not a duration"},
		{"lifetime zero", func(t *testing.T) string { return edit(t, "lifetime: 8760h", "lifetime: 0h") },
			CodeDuration, SeverityError, "publisher.app.secret.lifetime", 11, "longer than zero"},
		{"renewBefore not shorter than lifetime", func(t *testing.T) string { return edit(t, "renewBefore: 720h", "renewBefore: 365d") },
			CodeDuration, SeverityError, "publisher.app.secret.renewBefore", 12, "not shorter than lifetime"},
		{"renewBefore above default lifetime", func(t *testing.T) string {
			return edit(t, "      lifetime: 8760h\n", "", "renewBefore: 720h", "renewBefore: 400d")
		}, CodeDuration, SeverityError, "publisher.app.secret.renewBefore", 11, "not shorter than lifetime (365d)"},
		{"lifetime over two years warns", func(t *testing.T) string { return edit(t, "lifetime: 8760h", "lifetime: 1000d") },
			CodeLongLifetime, SeverityWarning, "publisher.app.secret.lifetime", 11, "longer than 2 years"},
		{"deliverTo unknown kind", func(t *testing.T) string {
			return edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: s3:bucket/secret")
		}, CodeDelivery, SeverityError, "publisher.app.secret.deliverTo", 13, "not supported"},
		{"deliverTo no kind", func(t *testing.T) string {
			return edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: secrets/myGalleryApp.json")
		}, CodeDelivery, SeverityError, "publisher.app.secret.deliverTo", 13, "does not say how"},
		{"deliverTo directory", func(t *testing.T) string {
			return edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: file:secrets/")
		}, CodeDelivery, SeverityError, "publisher.app.secret.deliverTo", 13, "directory"},
		{"deliverTo file URL", func(t *testing.T) string {
			return edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: file:///tmp/x.json")
		}, CodeDelivery, SeverityError, "publisher.app.secret.deliverTo", 13, "file:// URL"},
		{"deliverTo the manifest itself", func(t *testing.T) string {
			return edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: file:manifest.yaml")
		}, CodeDelivery, SeverityError, "publisher.app.secret.deliverTo", 13, "manifest itself"},
		{"gallery ID malformed", func(t *testing.T) string {
			return edit(t, "- id: /subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/", "- id: subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/")
		}, CodeARMID, SeverityError, "publisher.galleries[0].id", 15, "starts with /subscriptions/"},
		{"gallery ID subscription not a GUID", func(t *testing.T) string {
			return edit(t, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "my-subscription")
		}, CodeARMID, SeverityError, "publisher.galleries[0].id", 15, "is not a GUID"},
		{"gallery ID is a resource group", func(t *testing.T) string {
			return edit(t, "/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery", "/resourceGroups/images-rg")
		}, CodeARMID, SeverityError, "publisher.galleries[0].id", 15, "is a resource group, not a Compute Gallery"},
		{"gallery ID is another resource type", func(t *testing.T) string {
			return edit(t, "Microsoft.Compute/galleries/myGallery", "Microsoft.Storage/storageAccounts/myGallery")
		}, CodeARMID, SeverityError, "publisher.galleries[0].id", 15, "is a resource, not a Compute Gallery"},
		{"gallery name with hyphen", func(t *testing.T) string {
			return edit(t, "galleries/myGallery", "galleries/my-gallery")
		}, CodeARMID, SeverityError, "publisher.galleries[0].id", 15, "cannot contain '-'"},
		{"gallery ID trailing slash", func(t *testing.T) string {
			return edit(t, "galleries/myGallery", "galleries/myGallery/")
		}, CodeARMID, SeverityError, "publisher.galleries[0].id", 15, "ends with '/'"},
		{"gallery role unknown", func(t *testing.T) string { return edit(t, "role: Reader", "role: Reeder") },
			CodeRole, SeverityError, "publisher.galleries[0].role", 16, `unknown role "Reeder"`},
		{"duplicate gallery name", func(t *testing.T) string {
			return edit(t, "consumers:\n", "    - id: /subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/other-rg/providers/Microsoft.Compute/galleries/MYGALLERY\nconsumers:\n")
		}, CodeDuplicate, SeverityError, "publisher.galleries[1].id", 20, "already used"},
		{"image name invalid", func(t *testing.T) string { return edit(t, "image: ubuntu-2204", "image: -ubuntu") },
			CodeImageVersion, SeverityError, "publisher.galleries[0].waitFor[0].image", 18, "image name"},
		{"image version not semver", func(t *testing.T) string { return edit(t, "version: 1.0.0", "version: latest") },
			CodeImageVersion, SeverityError, "publisher.galleries[0].waitFor[0].version", 19, "image version"},
		{"image version part too large", func(t *testing.T) string { return edit(t, "version: 1.0.0", "version: 1.0.99999999999") },
			CodeImageVersion, SeverityError, "publisher.galleries[0].waitFor[0].version", 19, "image version"},
		{"duplicate waitFor", func(t *testing.T) string {
			return edit(t, "          version: 1.0.0\n", "          version: 1.0.0\n        - image: UBUNTU-2204\n          version: 1.0.0\n")
		}, CodeDuplicate, SeverityError, "publisher.galleries[0].waitFor[1]", 20, "listed twice"},
		{"consumer name invalid", func(t *testing.T) string { return edit(t, "name: fabrikam", "name: Fabrikam_Inc") },
			CodeName, SeverityError, "consumers[0].name", 21, "consumer name"},
		{"consumer name reserved", func(t *testing.T) string { return edit(t, "name: fabrikam", "name: publisher") },
			CodeName, SeverityError, "consumers[0].name", 21, "reserved"},
		{"consumer name duplicate", func(t *testing.T) string {
			return appendConsumer(consumer("fabrikam", "33333333-3333-3333-3333-333333333333", "/subscriptions/cccccccc-cccc-cccc-cccc-cccccccccccc/resourceGroups/x"))
		}, CodeDuplicate, SeverityError, "consumers[1].name", 27, "already used"},
		{"consumer tenant duplicate", func(t *testing.T) string {
			return appendConsumer(consumer("contoso", "22222222-2222-2222-2222-222222222222", "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/x"))
		}, CodeDuplicate, SeverityError, "consumers[1].tenant", 28, "already the tenant"},
		{"consumer is the publisher tenant", func(t *testing.T) string {
			return edit(t, "tenant: 22222222-2222-2222-2222-222222222222", "tenant: 11111111-1111-1111-1111-111111111111")
		}, CodePublisherTenant, SeverityError, "consumers[0].tenant", 22, "is the publisher tenant"},
		{"access unknown", func(t *testing.T) string { return edit(t, "access: managed", "access: managd") },
			CodeAccess, SeverityError, "consumers[0].access", 23, "not managed or manual"},
		{"grant scope is a gallery", func(t *testing.T) string {
			return edit(t, "resourceGroups/vm-rg", "resourceGroups/vm-rg/providers/Microsoft.Compute/galleries/g1")
		}, CodeARMID, SeverityError, "consumers[0].grants[0].scope", 25, "not a subscription or resource group"},
		{"grant scope malformed", func(t *testing.T) string {
			return edit(t, "resourceGroups/vm-rg", "resourceGroup/vm-rg")
		}, CodeARMID, SeverityError, "consumers[0].grants[0].scope", 25, "expected resourceGroups"},
		{"grant role unknown", func(t *testing.T) string { return edit(t, "role: Contributor", "role: Contributer") },
			CodeRole, SeverityError, "consumers[0].grants[0].role", 26, "unknown role"},
		{"grant duplicate", func(t *testing.T) string {
			return baseManifest + "      - scope: /subscriptions/BBBBBBBB-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourcegroups/vm-rg\n        role: b24988ac-6180-42a0-ab88-20f7382dd24c\n"
		}, CodeDuplicate, SeverityError, "consumers[0].grants[1]", 27, "listed twice"},
		{"grant subscription holds the publisher gallery", func(t *testing.T) string {
			return edit(t, "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb", "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa")
		}, CodeSubscription, SeverityError, "consumers[0].grants[0].scope", 25, "different tenants"},
		{"two consumers share a subscription", func(t *testing.T) string {
			return appendConsumer(consumer("contoso", "33333333-3333-3333-3333-333333333333", "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/x"))
		}, CodeSubscription, SeverityError, "consumers[1].grants[0].scope", 30, "different tenants"},
		{"consumer without grants warns", func(t *testing.T) string {
			return edit(t, "    grants:\n      - scope: /subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg\n        role: Contributor\n", "")
		}, CodeNoGrants, SeverityWarning, "consumers[0]", 21, "no grants"},
		{"secret value in a known field", func(t *testing.T) string {
			return edit(t, "description: Shared image gallery cross-tenant app secret", "description: Abc8Q~abcdefghijklmnopqrstuvwxyz01234567")
		}, CodeSecret, SeverityError, "publisher.app.secret.description", 10, "looks like a secret"},
		{"secret value under an unknown key", func(t *testing.T) string {
			return edit(t, "      renewBefore: 720h\n", "      renewBefore: 720h\n      value: hunter2\n")
		}, CodeSecret, SeverityError, "publisher.app.secret.value", 13, "never holds secrets"},
		{"client secret key in consumer", func(t *testing.T) string {
			return edit(t, "    access: managed\n", "    access: managed\n    clientSecret: hunter2\n")
		}, CodeSecret, SeverityError, "consumers[0].clientSecret", 24, "never holds secrets"},
		{"secret given as a string", func(t *testing.T) string {
			return edit(t, "    secret:\n      description: Shared image gallery cross-tenant app secret\n      lifetime: 8760h\n      renewBefore: 720h\n      deliverTo: file:secrets/myGalleryApp.json\n", "    secret: hunter2\n")
		}, CodeType, SeverityError, "publisher.app.secret", 9, "must be a mapping"},
		{"token in a value", func(t *testing.T) string {
			return edit(t, "displayName: myGalleryApp", "displayName: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl")
		}, CodeSecret, SeverityError, "publisher.app.displayName", 6, "looks like a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := Parse("manifest.yaml", []byte(tt.yaml(t)))
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want exactly one %s:\n%s", len(diags), tt.code, diags)
			}
			d := diags[0]
			if d.Code != tt.code || d.Severity != tt.severity || d.Path != tt.path || d.Line != tt.line {
				t.Errorf("got %s %s at %s line %d, want %s %s at %s line %d\n%s",
					d.Severity, d.Code, d.Path, d.Line, tt.severity, tt.code, tt.path, tt.line, d)
			}
			if !strings.Contains(d.Summary, tt.contains) {
				t.Errorf("message %q does not contain %q", d.Summary, tt.contains)
			}
			if d.File != "manifest.yaml" || d.Col < 1 {
				t.Errorf("diagnostic not positioned: file %q col %d", d.File, d.Col)
			}
			if (m == nil) != (tt.severity == SeverityError) {
				t.Errorf("manifest returned = %v, want it only when there are no errors", m != nil)
			}
			if strings.Contains(d.String(), "hunter2") || strings.Contains(d.String(), "Abc8Q~") || strings.Contains(d.String(), "eyJhbGci") {
				t.Errorf("diagnostic repeats a secret value: %s", d)
			}
		})
	}
}
