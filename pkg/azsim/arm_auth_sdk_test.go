package azsim

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v4"
)

// TestSDKCrossTenantImageVersionRead is what galshare verify (and a VM create in tenant B) does: sign in as the
// multi-tenant app in tenant B and read the tenant-A image version with an auxiliary token for tenant A.
func TestSDKCrossTenantImageVersionRead(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	appID, secret := e.newMultiTenantApp(t, "myGalleryApp")
	spA, err := e.sim.ConsentAsAdmin(tenantA, appID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.ConsentAsAdmin(tenantB, appID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.GrantRole(galleryA, "Reader", spA); err != nil {
		t.Fatal(err)
	}
	credB := e.cred(t, tenantB, appID, secret)

	withAux, _ := armcompute.NewGalleryImageVersionsClient(subA, credB, e.armOptions(tenantA))
	v, err := withAux.Get(ctx, imagesRG, "myGallery", imageName, "1.0.0",
		&armcompute.GalleryImageVersionsClientGetOptions{Expand: to.Ptr(armcompute.ReplicationStatusTypesReplicationStatus)})
	if err != nil {
		t.Fatalf("cross-tenant read with auxiliary token: %v", err)
	}
	if *v.Properties.ReplicationStatus.AggregatedState != armcompute.AggregatedReplicationStateCompleted {
		t.Errorf("replication = %s", *v.Properties.ReplicationStatus.AggregatedState)
	}

	noAux, _ := armcompute.NewGalleryImageVersionsClient(subA, credB, e.armOptions())
	_, err = noAux.Get(ctx, imagesRG, "myGallery", imageName, "1.0.0", nil)
	re := wantRespErr(t, err, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant")
	if !strings.Contains(re.Error(), tenantA) {
		t.Errorf("401 does not name the subscription's tenant: %v", re)
	}

	// RBAC is evaluated for the app's principal in tenant A: Reader on myGallery does not cover privGallery.
	galleries, _ := armcompute.NewGalleriesClient(subA, credB, e.armOptions(tenantA))
	_, err = galleries.Get(ctx, imagesRG, "privGallery", nil)
	re = wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
	if !strings.Contains(re.Error(), spA) {
		t.Errorf("403 does not name the tenant-A principal %s: %v", spA, re)
	}

	// An auxiliary token of another application does not count.
	other, _ := armcompute.NewGalleryImageVersionsClient(subA, e.cred(t, tenantB, opOwnerB.clientID, opOwnerB.secret), e.armOptions(tenantA))
	if _, err := other.Get(ctx, imagesRG, "myGallery", imageName, "1.0.0", nil); err == nil {
		t.Error("read with a primary token of another app succeeded")
	}
}

func TestSDKResourceGroupsCaseInsensitive(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	client, err := armresources.NewResourceGroupsClient(subA, e.opCred(t, opOwner), e.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	// armresources v4 sends /resourcegroups/ (lower case).
	rg, err := client.Get(ctx, "IMAGES-RG", nil)
	if err != nil || *rg.Name != "images-rg" || *rg.Location != "eastus" || *rg.Properties.ProvisioningState != "Succeeded" {
		t.Fatalf("get: %v %+v", err, rg)
	}
	exists, err := client.CheckExistence(ctx, "images-rg", nil)
	if err != nil || !exists.Success {
		t.Errorf("check existence: %v %v", err, exists.Success)
	}
	missing, err := client.CheckExistence(ctx, "nope-rg", nil)
	if err != nil || missing.Success {
		t.Errorf("check existence of missing: %v %v", err, missing.Success)
	}
	_, err = client.Get(ctx, "nope-rg", nil)
	wantRespErr(t, err, http.StatusNotFound, "ResourceGroupNotFound")

	created, err := client.CreateOrUpdate(ctx, "new-rg", armresources.ResourceGroup{Location: to.Ptr("West Europe")}, nil)
	if err != nil || *created.Location != "westeurope" {
		t.Fatalf("create: %v", err)
	}
	var names []string
	for pager := client.NewListPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.Value {
			names = append(names, *g.Name)
		}
	}
	if strings.Join(names, ",") != "empty-rg,images-rg,new-rg" {
		t.Errorf("list = %v", names)
	}

	// The Contributor on images-rg sees only that group, and cannot read the subscription's others.
	contrib, _ := armresources.NewResourceGroupsClient(subA, e.opCred(t, opContrib), e.armOptions())
	page, err := contrib.NewListPager(nil).NextPage(ctx)
	if err != nil || len(page.Value) != 1 {
		t.Errorf("contributor list: %v %d", err, len(page.Value))
	}
	_, err = contrib.Get(ctx, "empty-rg", nil)
	wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
}

// rawARM sends a request with an explicit Authorization header value.
func (e *armEnv) rawARM(t *testing.T, method, path, auth string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.sim.URL()+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := e.sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

func TestARMAuthAndAPIVersionErrors(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	armTok, err := e.opCred(t, opOwner).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatal(err)
	}
	graphTok, err := e.opCred(t, opOwner).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	rgPath := "/subscriptions/" + subA + "/resourcegroups/images-rg"
	tests := []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"ok", rgPath + "?api-version=2025-04-01", "Bearer " + armTok.Token, 200, ""},
		{"older supported version", rgPath + "?api-version=2021-04-01", "Bearer " + armTok.Token, 200, ""},
		{"missing api-version", rgPath, "Bearer " + armTok.Token, 400, "MissingApiVersionParameter"},
		{"unsupported api-version", rgPath + "?api-version=2099-01-01", "Bearer " + armTok.Token, 400, "InvalidApiVersionParameter"},
		{"compute version on resources", rgPath + "?api-version=2025-12-03", "Bearer " + armTok.Token, 400, "InvalidApiVersionParameter"},
		{"no header", rgPath + "?api-version=2025-04-01", "", 401, "AuthenticationFailed"},
		{"not bearer", rgPath + "?api-version=2025-04-01", "Basic abc", 401, "AuthenticationFailed"},
		{"garbage token", rgPath + "?api-version=2025-04-01", "Bearer a.b.c", 401, "InvalidAuthenticationToken"},
		{"graph token", rgPath + "?api-version=2025-04-01", "Bearer " + graphTok.Token, 401, "InvalidAuthenticationTokenAudience"},
		{"unknown subscription", "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/x?api-version=2025-04-01", "Bearer " + armTok.Token, 404, "SubscriptionNotFound"},
		{"other tenant's subscription", "/subscriptions/" + subB + "/resourcegroups/vm-rg?api-version=2025-04-01", "Bearer " + armTok.Token, 401, "InvalidAuthenticationTokenTenant"},
		{"unknown resource type", "/subscriptions/" + subA + "/resourceGroups/images-rg/providers/Microsoft.Network/virtualNetworks/v?api-version=2024-01-01", "Bearer " + armTok.Token, 400, "InvalidResourceType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.rawARM(t, http.MethodGet, tt.path, tt.auth)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, body)
			}
			if resp.Header.Get("x-ms-request-id") == "" || resp.Header.Get("x-ms-correlation-request-id") == "" {
				t.Error("missing x-ms-request-id / x-ms-correlation-request-id")
			}
			if tt.code == "" {
				if resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads") == "" {
					t.Error("missing x-ms-ratelimit-remaining-subscription-reads")
				}
				return
			}
			if got := resp.Header.Get("x-ms-error-code"); got != tt.code {
				t.Errorf("x-ms-error-code = %q, want %q", got, tt.code)
			}
			errObj, _ := body["error"].(map[string]any)
			if errObj["code"] != tt.code || errObj["message"] == "" {
				t.Errorf("body = %v", body)
			}
			if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer authorization_uri=") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestARMExpiredToken(t *testing.T) {
	e := newARMEnv(t)
	tok, err := e.opCred(t, opOwner).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	resp, body := e.rawARM(t, http.MethodGet, "/subscriptions/"+subA+"/resourcegroups/images-rg?api-version=2025-04-01", "Bearer "+tok.Token)
	if resp.StatusCode != 401 || resp.Header.Get("x-ms-error-code") != "ExpiredAuthenticationToken" {
		t.Fatalf("expired token: %d %v", resp.StatusCode, body)
	}
}
