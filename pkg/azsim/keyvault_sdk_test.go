package azsim

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// kvSeedYAML: tenant 1 owns the vault; its publisher operator is Secrets Officer, a reader operator is Secrets User,
// an owner operator holds Owner on the vault (a control-plane role that grants no data access), and tenant 2's
// operator is in another tenant.
const kvSeedYAML = `
tenants:
  - id: 11111111-1111-1111-1111-111111111111
    operators:
      - {name: publisher, clientId: a1111111-0000-0000-0000-000000000001, clientSecret: op1-secret-value}
      - {name: reader, clientId: a1111111-0000-0000-0000-000000000002, clientSecret: op1r-secret-value}
      - {name: owner, clientId: a1111111-0000-0000-0000-000000000003, clientSecret: op1o-secret-value}
  - id: 22222222-2222-2222-2222-222222222222
    operators:
      - {name: consumer, clientId: a2222222-0000-0000-0000-000000000002, clientSecret: op2-secret-value}
subscriptions:
  - id: aaaaaaaa-0000-0000-0000-000000000001
    tenant: 11111111-1111-1111-1111-111111111111
    resourceGroups:
      - name: secrets-rg
        location: westeurope
        vaults:
          - name: galshare-kv
roleAssignments:
  - {scope: /subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/secrets-rg/providers/Microsoft.KeyVault/vaults/galshare-kv, role: Key Vault Secrets Officer, principal: {operator: publisher}}
  - {scope: /subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/secrets-rg/providers/Microsoft.KeyVault/vaults/galshare-kv/secrets/app-secret, role: Key Vault Secrets User, principal: {operator: reader}}
  - {scope: /subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/secrets-rg/providers/Microsoft.KeyVault/vaults/galshare-kv, role: Owner, principal: {operator: owner}}
`

func kvStart(t *testing.T, opts Options) *Sim {
	t.Helper()
	seed, err := ParseSeed([]byte(kvSeedYAML))
	if err != nil {
		t.Fatalf("parse seed: %v", err)
	}
	opts.Seed = seed
	return coreStart(t, opts)
}

func kvClient(t *testing.T, sim *Sim, vault, tenant, clientID, secret string) *azsecrets.Client {
	t.Helper()
	c, err := azsecrets.NewClient(sim.VaultURL(vault), coreCred(t, sim, tenant, clientID, secret),
		&azsecrets.ClientOptions{ClientOptions: sim.ClientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKeyVaultSetGetVersions(t *testing.T) {
	sim := kvStart(t, Options{})
	ctx := context.Background()
	officer := kvClient(t, sim, "galshare-kv", coreT1, coreOp1, "op1-secret-value")

	exp := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	set := func(value, keyID string) azsecrets.SetSecretResponse {
		t.Helper()
		resp, err := officer.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{
			Value: to.Ptr(value), ContentType: to.Ptr("galshare/client-secret"),
			Tags:             map[string]*string{"keyId": to.Ptr(keyID), "tenant": to.Ptr(coreT1)},
			SecretAttributes: &azsecrets.SecretAttributes{Expires: to.Ptr(exp)},
		}, nil)
		if err != nil {
			t.Fatalf("SetSecret: %v", err)
		}
		return resp
	}
	first := set("value-one", "k1")
	second := set("value-two", "k2")
	if first.ID.Name() != "app-secret" || first.ID.Version() == "" || first.ID.Version() == second.ID.Version() {
		t.Fatalf("ids %s and %s: want one name, two versions", *first.ID, *second.ID)
	}
	if !strings.HasPrefix(string(*first.ID), "https://galshare-kv."+KeyVaultDNSSuffix+"/secrets/app-secret/") {
		t.Errorf("id = %s", *first.ID)
	}

	cur, err := officer.GetSecret(ctx, "app-secret", "", nil)
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	if *cur.Value != "value-two" || *cur.Tags["keyId"] != "k2" || *cur.ContentType != "galshare/client-secret" ||
		!cur.Attributes.Expires.Equal(exp) || !*cur.Attributes.Enabled {
		t.Errorf("current = value %q tags %v type %q exp %v", *cur.Value, cur.Tags, *cur.ContentType, cur.Attributes.Expires)
	}
	old, err := officer.GetSecret(ctx, "app-secret", first.ID.Version(), nil)
	if err != nil || *old.Value != "value-one" {
		t.Fatalf("GetSecret(first version) = %v, %v", old.Value, err)
	}

	var versions []string
	pager := officer.NewListSecretPropertiesVersionsPager("app-secret", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("versions: %v", err)
		}
		for _, p := range page.Value {
			versions = append(versions, p.ID.Version())
		}
	}
	if len(versions) != 2 {
		t.Errorf("versions = %v, want 2", versions)
	}

	// A disabled version is refused, as Key Vault does; the expiry alone is advisory.
	if _, err := officer.UpdateSecretProperties(ctx, "app-secret", first.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)}}, nil); err != nil {
		t.Fatalf("UpdateSecretProperties: %v", err)
	}
	_, err = officer.GetSecret(ctx, "app-secret", first.ID.Version(), nil)
	wantRespErr(t, err, http.StatusForbidden, "Forbidden")
}

func TestKeyVaultExpiredSecretIsStillReadable(t *testing.T) {
	clock := newFakeClock()
	sim := kvStart(t, Options{Clock: clock.Now})
	ctx := context.Background()
	officer := kvClient(t, sim, "galshare-kv", coreT1, coreOp1, "op1-secret-value")
	exp := clock.Now().Add(time.Minute)
	if _, err := officer.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("v"),
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &exp}}, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	got, err := officer.GetSecret(ctx, "app-secret", "", nil)
	if err != nil || *got.Value != "v" || !got.Attributes.Expires.Before(clock.Now()) {
		t.Fatalf("expired secret: %v, %v", got.Value, err)
	}
}

func TestKeyVaultChallenge(t *testing.T) {
	sim := kvStart(t, Options{})
	req, err := http.NewRequest(http.MethodGet, sim.VaultURL("galshare-kv")+"/secrets/app-secret?api-version=7.5", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
	}
	want := `Bearer authorization="` + sim.URL() + "/" + coreT1 + `", resource="https://` + KeyVaultDNSSuffix + `"`
	if got := resp.Header.Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate = %s\nwant %s", got, want)
	}
	if !strings.Contains(body, `"code":"Unauthorized"`) || !strings.Contains(body, "AKV10000") {
		t.Errorf("body = %s", body)
	}
}

func TestKeyVaultRBAC(t *testing.T) {
	sim := kvStart(t, Options{})
	ctx := context.Background()
	officer := kvClient(t, sim, "galshare-kv", coreT1, coreOp1, "op1-secret-value")
	if _, err := officer.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := officer.SetSecret(ctx, "other", azsecrets.SetSecretParameters{Value: to.Ptr("w")}, nil); err != nil {
		t.Fatal(err)
	}

	reader := kvClient(t, sim, "galshare-kv", coreT1, "a1111111-0000-0000-0000-000000000002", "op1r-secret-value")
	if got, err := reader.GetSecret(ctx, "app-secret", "", nil); err != nil || *got.Value != "v" {
		t.Fatalf("Secrets User on the secret: get = %v, %v", got.Value, err)
	}
	// Secrets User may read, not write; its assignment is on one secret, not the vault.
	_, err := reader.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil)
	re := wantRespErr(t, err, http.StatusForbidden, "Forbidden")
	if !strings.Contains(re.Error(), "ForbiddenByRbac") || !strings.Contains(re.Error(), kvActionSetSecret) {
		t.Errorf("403 = %v", re)
	}
	_, err = reader.GetSecret(ctx, "other", "", nil)
	wantRespErr(t, err, http.StatusForbidden, "Forbidden")

	// Owner is a control-plane role: no data actions.
	owner := kvClient(t, sim, "galshare-kv", coreT1, "a1111111-0000-0000-0000-000000000003", "op1o-secret-value")
	_, err = owner.GetSecret(ctx, "app-secret", "", nil)
	wantRespErr(t, err, http.StatusForbidden, "Forbidden")

	// The SDK follows the challenge to the vault's tenant, where another tenant's single-tenant app does not exist.
	consumer := kvClient(t, sim, "galshare-kv", coreT2, coreOp2, "op2-secret-value")
	if _, err := consumer.GetSecret(ctx, "app-secret", "", nil); err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Fatalf("foreign app: %v, want AADSTS700016", err)
	}
	// A token its own tenant issued is refused with a fresh challenge naming the vault's tenant.
	tok, err := coreCred(t, sim, coreT2, coreOp2, "op2-secret-value").GetToken(ctx, policy.TokenRequestOptions{
		Scopes: []string{audKeyVault + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, sim.VaultURL("galshare-kv")+"/secrets/app-secret?api-version=7.5", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	hresp, err := sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, hresp)
	if hresp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "AKV10032") ||
		!strings.Contains(hresp.Header.Get("WWW-Authenticate"), coreT1) {
		t.Errorf("foreign token: %d %s %s", hresp.StatusCode, hresp.Header.Get("WWW-Authenticate"), body)
	}
}

func TestKeyVaultNotFound(t *testing.T) {
	sim := kvStart(t, Options{})
	ctx := context.Background()
	officer := kvClient(t, sim, "galshare-kv", coreT1, coreOp1, "op1-secret-value")
	_, err := officer.GetSecret(ctx, "missing", "", nil)
	re := wantRespErr(t, err, http.StatusNotFound, "SecretNotFound")
	if !strings.Contains(re.Error(), "A secret with (name/id) missing was not found in this key vault") {
		t.Errorf("404 = %v", re)
	}
	if _, err := officer.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = officer.GetSecret(ctx, "app-secret", "00000000000000000000000000000000", nil)
	wantRespErr(t, err, http.StatusNotFound, "SecretNotFound")

	// Soft delete: gone for reads, the name stays taken.
	if _, err := officer.DeleteSecret(ctx, "app-secret", nil); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	_, err = officer.GetSecret(ctx, "app-secret", "", nil)
	wantRespErr(t, err, http.StatusNotFound, "SecretNotFound")
	_, err = officer.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("v")}, nil)
	wantRespErr(t, err, http.StatusConflict, "Conflict")

	// An undeclared vault.
	ghost := kvClient(t, sim, "no-such-kv", coreT1, coreOp1, "op1-secret-value")
	_, err = ghost.GetSecret(ctx, "app-secret", "", nil)
	wantRespErr(t, err, http.StatusNotFound, "VaultNotFound")
}

func TestKeyVaultPersists(t *testing.T) {
	dir := t.TempDir()
	seed, err := ParseSeed([]byte(kvSeedYAML))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sim, err := Start(ctx, Options{Dir: dir, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	officer := kvClient(t, sim, "galshare-kv", coreT1, coreOp1, "op1-secret-value")
	if _, err := officer.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("kept")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sim2 := coreStart(t, Options{Dir: dir})
	got, err := kvClient(t, sim2, "galshare-kv", coreT1, coreOp1, "op1-secret-value").GetSecret(ctx, "app-secret", "", nil)
	if err != nil || *got.Value != "kept" {
		t.Fatalf("after restart: %v, %v", got.Value, err)
	}
}

func TestSeedRejectsUnknownVaultScope(t *testing.T) {
	bad := strings.Replace(kvSeedYAML, "vaults/galshare-kv, role: Owner", "vaults/nope, role: Owner", 1)
	seed, err := ParseSeed([]byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), Options{Seed: seed}); err == nil || !strings.Contains(err.Error(), "unknown vault") {
		t.Fatalf("Start = %v, want unknown vault", err)
	}
}
