package main

import (
	"path/filepath"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
)

// TestCIExampleCredentials: the credentials files the CI recipes commit load
// as galshare reads them, and every tenant signs in with the federated token
// the workflow writes beside the file (no secret, no other method).
func TestCIExampleCredentials(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "ci", "github")
	for _, name := range []string{"credentials-plan.yaml", "credentials-apply.yaml"} {
		f, err := azure.LoadCredentialsFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(f.Tenants) == 0 {
			t.Errorf("%s: no tenants", name)
		}
		for tenant, c := range f.Tenants {
			if m := c.EffectiveMethod(); m != azure.MethodFederated {
				t.Errorf("%s: tenant %s signs in with %q, want %q", name, tenant, m, azure.MethodFederated)
			}
			if want := filepath.Join(dir, "oidc-token"); c.FederatedTokenFile != want {
				t.Errorf("%s: tenant %s token file %q, want %q (beside the credentials file)", name, tenant, c.FederatedTokenFile, want)
			}
		}
		if f.Default == nil || f.Default.EffectiveMethod() != azure.MethodNone {
			t.Errorf("%s: the default must be method none, so an unlisted tenant is never signed in to", name)
		}
	}
}
