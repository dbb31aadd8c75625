package spec

import (
	"strings"
	"testing"
)

func TestKeyVaultDelivery(t *testing.T) {
	good := []struct {
		deliverTo, vault, secret string
	}{
		{"keyvault:https://contoso-kv.vault.azure.net/secrets/myGalleryApp", "https://contoso-kv.vault.azure.net", "myGalleryApp"},
		{"keyvault:https://Contoso-KV.vault.usgovcloudapi.net/secrets/app-1", "https://contoso-kv.vault.usgovcloudapi.net", "app-1"},
		{"keyvault:https://kv1.vault.azsim.localhost/secrets/a", "https://kv1.vault.azsim.localhost", "a"},
	}
	for _, tc := range good {
		m, diags := Parse("manifest.yaml", []byte(edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: "+tc.deliverTo)))
		if len(diags) != 0 {
			t.Fatalf("%s: %s", tc.deliverTo, diags)
		}
		d := m.Publisher.App.Secret.DeliverTo
		if d.Kind != DeliveryKeyVault || d.VaultURL != tc.vault || d.SecretName != tc.secret || d.Path != "" {
			t.Errorf("%s: got %+v", tc.deliverTo, d)
		}
	}
	bad := []struct{ deliverTo, contains string }{
		{"keyvault:contoso-kv/secret", "not an https Key Vault secret URL"},
		{"keyvault:http://contoso-kv.vault.azure.net/secrets/a", "not an https Key Vault secret URL"},
		{"keyvault:https://contoso-kv.vault.azure.net/secrets/a?x=1", "not an https Key Vault secret URL"},
		{"keyvault:https://kv.vault.azure.net/secrets/a", "does not name a vault host"},
		{"keyvault:https://contoso-kv.vault.azure.net:8443/secrets/a", "does not name a vault host"},
		{"keyvault:https://contoso-kv/secrets/a", "does not name a vault host"},
		{"keyvault:https://contoso-kv.vault.azure.net/secrets/a/0123456789abcdef0123456789abcdef", "without a version"},
		{"keyvault:https://contoso-kv.vault.azure.net/keys/a", "without a version"},
		{"keyvault:https://contoso-kv.vault.azure.net/secrets/app-1/", "without a version"},
		{"keyvault:https://contoso-kv.vault.azure.net/secrets/my_app", "letters, digits and dashes"},
	}
	for _, tc := range bad {
		_, diags := Parse("manifest.yaml", []byte(edit(t, "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: "+tc.deliverTo)))
		if len(diags) != 1 || diags[0].Code != CodeDelivery || diags[0].Line != 13 || !strings.Contains(diags[0].Summary, tc.contains) {
			t.Errorf("%s: got %s, want one %s at line 13 containing %q", tc.deliverTo, diags, CodeDelivery, tc.contains)
		}
	}
}
