package azsim

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/google/uuid"
)

// TestARMRouteLabelsInStatsAndFaults checks that ARM requests are counted under their labels and that a per-route
// fault selects exactly that ARM route.
func TestARMRouteLabelsInStatsAndFaults(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	ra, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opOwner), e.armOptions())
	versions, _ := armcompute.NewGalleryImageVersionsClient(subA, e.opCred(t, opOwner), e.armOptions())
	e.sim.ResetStats()
	if _, err := ra.Create(ctx, galleryA, uuid.NewString(), raParams(subA, e.spID(t, opContrib), "ServicePrincipal"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := versions.Get(ctx, imagesRG, "myGallery", imageName, "1.0.0", nil); err != nil {
		t.Fatal(err)
	}
	st := e.sim.Stats()
	if st.Routes["PUT roleAssignments"] != 1 || st.Routes["GET imageVersion"] != 1 {
		t.Errorf("routes = %v", st.Routes)
	}

	e.sim.SetFaults(FaultProfile{Routes: []RouteFaults{{Route: "GET imageVersion", Rate429: 1}}})
	_, err := versions.Get(ctx, imagesRG, "myGallery", imageName, "1.0.0", nil)
	wantRespErrStatus(t, err, http.StatusTooManyRequests)
	// Other ARM routes are untouched.
	if _, err := ra.Get(ctx, "/subscriptions/"+subA, e.sim.RoleAssignments()[0].Name, nil); err != nil && !strings.Contains(err.Error(), "RoleAssignmentNotFound") {
		t.Errorf("unfaulted route failed: %v", err)
	}
	e.sim.SetFaults(FaultProfile{})
}

func wantRespErrStatus(t *testing.T, err error, status int) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), http.StatusText(status)) {
		t.Fatalf("want %d, got %v", status, err)
	}
}

func TestARMMiscErrors(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	tok, err := e.opCred(t, opOwner).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + tok.Token

	// Subscriptions: the caller's tenant only.
	resp, body := e.rawARM(t, http.MethodGet, "/subscriptions?api-version=2022-12-01", auth)
	value, _ := body["value"].([]any)
	if resp.StatusCode != 200 || len(value) != 1 || value[0].(map[string]any)["subscriptionId"] != subA {
		t.Errorf("list subscriptions: %d %v", resp.StatusCode, body)
	}
	// Unsupported method on a known route.
	resp, body = e.rawARM(t, http.MethodDelete, "/subscriptions/"+subA+"/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery/images/"+imageName+"?api-version=2025-12-03", auth)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE image: %d %v", resp.StatusCode, body)
	}
	// Unknown $expand values are rejected as by Compute.
	resp, _ = e.rawARM(t, http.MethodGet, galleryA+"?api-version=2025-12-03&$expand=Everything", auth)
	if resp.StatusCode != 400 || resp.Header.Get("x-ms-error-code") != "InvalidParameter" {
		t.Errorf("bad $expand: %d", resp.StatusCode)
	}
	// A role assignment on a gallery that does not exist.
	client, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opOwner), e.armOptions())
	_, err = client.Create(ctx, strings.Replace(galleryA, "myGallery", "ghost", 1), uuid.NewString(), raParams(subA, e.spID(t, opContrib), "ServicePrincipal"), nil)
	wantRespErr(t, err, http.StatusNotFound, "ResourceNotFound")
	// A principal given the wrong principalType.
	_, err = client.Create(ctx, galleryA, uuid.NewString(), raParams(subA, e.spID(t, opContrib), "User"), nil)
	wantRespErr(t, err, http.StatusBadRequest, "UnmatchedPrincipalType")
	// Role definitions filter with an escaped quote finds nothing rather than failing.
	resp, body = e.rawARM(t, http.MethodGet, "/subscriptions/"+subA+"/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20%27O%27%27Brien%27", auth)
	if v, _ := body["value"].([]any); resp.StatusCode != 200 || len(v) != 0 {
		t.Errorf("quoted roleName filter: %d %v", resp.StatusCode, body)
	}
	// More than three auxiliary tokens.
	req, _ := http.NewRequest(http.MethodGet, e.sim.URL()+galleryA+"?api-version=2025-12-03", nil)
	req.Header.Set("Authorization", auth)
	req.Header.Set("x-ms-authorization-auxiliary", strings.Repeat(auth+", ", 3)+auth)
	r, err := e.sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 400 {
		t.Errorf("four aux tokens: %d", r.StatusCode)
	}
}
