package executor

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

const (
	vtPub    = "11111111-1111-1111-1111-111111111111"
	vtMgd    = "22222222-2222-2222-2222-222222222222"
	vtManual = "66666666-6666-6666-6666-666666666666"
	vtApp    = "0e0e0e0e-0000-4000-8000-000000000001"
)

func verifyManifest(deliverTo string) *spec.Manifest {
	scope := "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg"
	return &spec.Manifest{
		Name: "t",
		Publisher: spec.Publisher{Tenant: vtPub, App: spec.App{DisplayName: "myGalleryApp",
			RedirectURIs: []string{"https://www.microsoft.com"},
			Secret: &spec.Secret{Lifetime: 8760 * time.Hour, RenewBefore: 720 * time.Hour,
				DeliverTo: spec.Delivery{Kind: spec.DeliveryFile, Path: deliverTo}}}},
		Consumers: []spec.Consumer{
			{Name: "managed", Tenant: vtMgd, Access: spec.AccessManaged,
				Grants: []spec.Grant{{Scope: scope, Role: spec.Role{Name: "Contributor", DefinitionGUID: "b24988ac-6180-42a0-ab88-20f7382dd24c"}}}},
			{Name: "manual", Tenant: vtManual, Access: spec.AccessManual,
				Grants: []spec.Grant{{Scope: scope, Role: spec.Role{Name: "Contributor", DefinitionGUID: "b24988ac-6180-42a0-ab88-20f7382dd24c"}}}},
		},
	}
}

func writeSecretDoc(t *testing.T, path string, doc any) {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifySecretCheck(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		doc        map[string]any
		wantResult Result
		wantDetail string
	}{
		{"valid", map[string]any{"tenant": vtPub, "clientId": vtApp, "secret": "v", "keyId": "0f0f0f0f-1111-2222-3333-444444444444",
			"endDateTime": now.Add(365 * 24 * time.Hour)}, ResultOK, "expires 2027-11-23 (in 365 days)"},
		{"rotation due", map[string]any{"tenant": vtPub, "clientId": vtApp, "secret": "v", "keyId": "k",
			"endDateTime": now.Add(10 * 24 * time.Hour)}, ResultOK, "rotation due"},
		{"expired", map[string]any{"tenant": vtPub, "clientId": vtApp, "secret": "v", "keyId": "k",
			"endDateTime": now.Add(-time.Hour)}, ResultFail, "expired on 2026-11-23"},
		{"other tenant", map[string]any{"tenant": vtMgd, "clientId": vtApp, "secret": "v", "keyId": "k"},
			ResultFail, "not the publisher tenant"},
		{"no tenant", map[string]any{"clientId": vtApp, "secret": "v", "keyId": "k"},
			ResultFail, "cannot be used"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			writeSecretDoc(t, path, tc.doc)
			v := newVerifier(verifyManifest(path), VerifyOptions{Now: func() time.Time { return now }})
			secret, ok := v.checkSecret(t.Context(), &party{name: "publisher", tenant: vtPub})
			c := v.checks[0]
			if c.Result != tc.wantResult || !strings.Contains(c.Detail, tc.wantDetail) {
				t.Fatalf("got %s %q, want %s containing %q", c.Result, c.Detail, tc.wantResult, tc.wantDetail)
			}
			if ok != (tc.wantResult == ResultOK) || ok && secret.Reveal() != "v" {
				t.Fatalf("secret usable = %v", ok)
			}
			if tc.wantResult == ResultFail && c.Fix == "" {
				t.Fatal("a failed secret check needs a fix")
			}
		})
	}
}

func TestVerifyExplainFailures(t *testing.T) {
	m := verifyManifest("/nowhere.json")
	pub := &party{name: "publisher", tenant: vtPub}
	mgd := &party{name: "managed", tenant: vtMgd, consumer: &m.Consumers[0]}
	man := &party{name: "manual", tenant: vtManual, consumer: &m.Consumers[1]}
	roleRow := Check{Kind: CheckRole, Object: "Contributor on resource group vm-rg (subscription bbbbbbbb…)",
		Scope: m.Consumers[1].Grants[0].Scope}
	cases := []struct {
		name       string
		p          *party
		c          Check
		err        error
		wantDetail string
		wantFix    string
	}{
		{"consent missing, managed", mgd, Check{Kind: CheckSignIn},
			&azure.Error{Tenant: vtMgd, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS700016", Fix: "generic"},
			"consent missing", "run galshare apply: it creates the app's service principal in tenant " + vtMgd},
		{"consent missing, manual", man, Check{Kind: CheckSignIn},
			&azure.Error{Tenant: vtManual, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS700016"},
			"consent missing", "https://login.microsoftonline.com/" + vtManual + "/oauth2/authorize?client_id=" + vtApp +
				"&response_type=code&redirect_uri=https%3A%2F%2Fwww.microsoft.com"},
		{"app gone", pub, Check{Kind: CheckSignIn},
			&azure.Error{Tenant: vtPub, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS700016"},
			"does not exist in the publisher tenant", "run galshare apply to create it"},
		{"expired secret", pub, Check{Kind: CheckSignIn},
			&azure.Error{Tenant: vtPub, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS7000222"},
			"has expired", "rotates"},
		{"no gallery read", mgd, Check{Kind: CheckImage},
			&azure.Error{Tenant: vtMgd, Op: "GET imageVersion", Kind: azure.KindPermissionDenied, Code: "AuthorizationFailed", Message: "no. really"},
			"may not read the publisher's gallery", "grant the app its role on the gallery"},
		{"no role read, manual", man, roleRow,
			&azure.Error{Tenant: vtManual, Op: "LIST roleAssignments", Kind: azure.KindPermissionDenied, Code: "AuthorizationFailed"},
			"may not read role assignments", "az role assignment create --assignee " + vtApp + " --role \"Contributor\""},
		{"version missing", mgd, Check{Kind: CheckImage},
			&azure.Error{Tenant: vtMgd, Op: "GET imageVersion", Kind: azure.KindNotFound, Code: "ResourceNotFound"},
			"not found in the publisher's gallery", "publish the image version"},
		{"plain error", mgd, Check{Kind: CheckImage}, errors.New("boom. more"), "boom", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(m, VerifyOptions{})
			v.appID = vtApp
			got := v.failed(tc.c, tc.p, tc.err)
			if got.Result != ResultFail || !strings.Contains(got.Detail, tc.wantDetail) || !strings.Contains(got.Fix, tc.wantFix) {
				t.Fatalf("got detail %q fix %q; want %q and %q", got.Detail, got.Fix, tc.wantDetail, tc.wantFix)
			}
			if got.Error == "" {
				t.Fatal("no error line")
			}
			var ae *azure.Error
			if errors.As(tc.err, &ae) {
				if !strings.Contains(got.Error, ae.Tenant) || !strings.Contains(got.Error, ae.Op) {
					t.Fatalf("error %q does not name tenant and call", got.Error)
				}
				if got.Code != ae.Code {
					t.Fatalf("code %q, want %q", got.Code, ae.Code)
				}
				if strings.Contains(got.Error, "generic") {
					t.Fatalf("error %q repeats the generic fix next to the row's own", got.Error)
				}
			}
		})
	}
}

func TestVerifyScopeLabel(t *testing.T) {
	for in, want := range map[string]string{
		"/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg":   "resource group vm-rg (subscription bbbbbbbb…)",
		"/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb":                        "subscription bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g",
	} {
		if got := verifyScopeLabel(in); got != want {
			t.Errorf("verifyScopeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyRequiresAsApp(t *testing.T) {
	if _, err := Verify(t.Context(), verifyManifest("/x"), VerifyOptions{}); err == nil {
		t.Fatal("Verify without AsApp succeeded")
	}
}
