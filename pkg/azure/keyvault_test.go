package azure

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/galshare/galshare/pkg/azsim"
)

const simVaultID = "/subscriptions/" + simSubPub + "/resourceGroups/images-rg/providers/Microsoft.KeyVault/vaults/galshare-kv"

// startVaultSim is startSim with a vault in the publisher's images-rg; the
// publisher operator is Key Vault Secrets Officer on it when officer is set.
func startVaultSim(t *testing.T, officer bool) (*azsim.Sim, *Connector) {
	t.Helper()
	seed := simSeed()
	seed.Subscriptions[0].ResourceGroups[0].Vaults = []azsim.VaultSeed{{Name: "galshare-kv"}}
	if officer {
		seed.RoleAssignments = append(seed.RoleAssignments, azsim.RoleAssignmentSeed{Scope: simVaultID,
			Role: "Key Vault Secrets Officer", Principal: azsim.PrincipalSeed{Tenant: simPub, Operator: "pub"}})
	}
	sim, err := azsim.Start(t.Context(), azsim.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	path := filepath.Join(t.TempDir(), "cloud.json")
	if err := sim.WriteCloudFile(path); err != nil {
		t.Fatal(err)
	}
	env, err := LoadCloudFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewConnector(Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false },
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return sim, c
}

func TestKeyVaultPutGet(t *testing.T) {
	sim, c := startVaultSim(t, true)
	ctx := t.Context()
	kv, err := c.KeyVault(ctx, simPub, sim.VaultURL("galshare-kv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.GetClientSecret(ctx, "app"); !IsNotFound(err) {
		t.Fatalf("before delivery: %v, want not found", err)
	}
	end := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	doc := DeliveredSecret{Tenant: simPub, ClientID: "app-id", Secret: NewSecret("the-value-1"), KeyID: "k1",
		EndDateTime: end, Description: "desc", ManagedBy: "galshare"}
	v1, err := kv.PutClientSecret(ctx, "app", doc)
	if err != nil {
		t.Fatal(err)
	}
	doc.Secret, doc.KeyID = NewSecret("the-value-2"), "k2"
	v2, err := kv.PutClientSecret(ctx, "app", doc)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == "" || v1 == v2 {
		t.Errorf("versions %q, %q: want two distinct", v1, v2)
	}
	got, err := kv.GetClientSecret(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret.Reveal() != "the-value-2" || got.KeyID != "k2" || got.ClientID != "app-id" || got.Tenant != simPub ||
		!got.EndDateTime.Equal(end) || got.Description != "desc" || got.DeliveredAt.IsZero() {
		t.Errorf("got %+v", got)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b)+got.Secret.String(), "the-value") {
		t.Errorf("the delivered secret prints its value: %s", b)
	}
}

func TestKeyVaultForbiddenWithoutRole(t *testing.T) {
	sim, c := startVaultSim(t, false)
	kv, err := c.KeyVault(t.Context(), simPub, sim.VaultURL("galshare-kv"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = kv.PutClientSecret(t.Context(), "app", DeliveredSecret{Tenant: simPub, ClientID: "a", Secret: NewSecret("never-shown-value")})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindPermissionDenied {
		t.Fatalf("err = %v, want permission denied", err)
	}
	if strings.Contains(err.Error(), "never-shown-value") {
		t.Errorf("error holds the value: %v", err)
	}
}

func TestKeyVaultRefusesForeignVaultHost(t *testing.T) {
	_, c := startVaultSim(t, true)
	for _, u := range []string{
		"https://galshare-kv.vault.azure.net", // the public cloud's suffix, not this cloud's
		"https://galshare-kv.vault.azsim.localhost:8443",
		"https://galshare-kv.vault.azsim.localhost/secrets/x",
		"http://galshare-kv.vault.azsim.localhost",
		"https://a.b.vault.azsim.localhost",
	} {
		if _, err := c.KeyVault(t.Context(), simPub, u); err == nil {
			t.Errorf("KeyVault(%s) accepted", u)
		}
	}
}

func TestPublicCloudKeyVault(t *testing.T) {
	e := PublicCloud()
	if err := e.checkVaultURL("https://contoso.vault.azure.net"); err != nil {
		t.Error(err)
	}
	if e.KeyVaultAddress != "" || e.KeyVaultAudience != "https://vault.azure.net" {
		t.Errorf("public cloud = %+v", e)
	}
	gov, err := ParseCloudFile([]byte(`{"version":1,"name":"gov","authorityHost":"https://login.microsoftonline.us/",
		"resourceManager":{"endpoint":"https://management.usgovcloudapi.net","audience":"https://management.core.usgovcloudapi.net/"},
		"graph":{"endpoint":"https://graph.microsoft.us","audience":"https://graph.microsoft.us"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if gov.KeyVaultDNSSuffix != "vault.usgovcloudapi.net" || gov.KeyVaultAddress != "" {
		t.Errorf("gov = %+v", gov)
	}
}

func TestKeyVaultDisableClientSecret(t *testing.T) {
	sim, c := startVaultSim(t, true)
	ctx := t.Context()
	kv, err := c.KeyVault(ctx, simPub, sim.VaultURL("galshare-kv"))
	if err != nil {
		t.Fatal(err)
	}
	if done, err := kv.DisableClientSecret(ctx, "app", "k1"); done || err != nil {
		t.Fatalf("no secret yet: %v, %v", done, err)
	}
	if _, err := kv.PutClientSecret(ctx, "app", DeliveredSecret{Tenant: simPub, ClientID: "a", Secret: NewSecret("v1"), KeyID: "k1"}); err != nil {
		t.Fatal(err)
	}
	if done, err := kv.DisableClientSecret(ctx, "app", "other"); done || err != nil {
		t.Fatalf("another keyId: %v, %v", done, err)
	}
	if done, err := kv.DisableClientSecret(ctx, "app", "K1"); !done || err != nil {
		t.Fatalf("its keyId: %v, %v", done, err)
	}
	var e *Error
	if _, err := kv.GetClientSecret(ctx, "app"); !errors.As(err, &e) || e.Kind != KindPermissionDenied {
		t.Errorf("a disabled version reads as %v", err)
	}
	if vs := sim.VaultSecretVersions("galshare-kv", "app"); len(vs) != 1 || vs[0].Enabled {
		t.Errorf("versions %+v", len(vs))
	}
}
