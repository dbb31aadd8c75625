package azure

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	rgScope  = "/subscriptions/sub-2/resourceGroups/vm-rg"
	spID     = "0f0f0f0f-1111-2222-3333-444444444444"
	contribG = "b24988ac-6180-42a0-ab88-20f7382dd24c"
)

func raJSON(scope, name, principal, roleGUID, desc string) string {
	return fmt.Sprintf(`{"id":"%s/providers/Microsoft.Authorization/roleAssignments/%s","name":"%s","type":"Microsoft.Authorization/roleAssignments",
	"properties":{"scope":"%s","roleDefinitionId":"/subscriptions/sub-2/providers/Microsoft.Authorization/roleDefinitions/%s","principalId":"%s","principalType":"ServicePrincipal","description":"%s"}}`,
		scope, name, name, scope, strings.ToUpper(roleGUID), principal, desc)
}

func TestListRoleAssignmentsEncodesFilterAndPostFilters(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		if strings.Contains(rec.RawQuery, "skiptoken=2") {
			return jsonResp(200, `{"value":[`+raJSON(strings.ToUpper(rgScope), "n3", spID, contribG, "")+`]}`)
		}
		return jsonResp(200, `{"value":[`+
			raJSON("/subscriptions/sub-2", "n1", spID, contribG, "above")+`,`+
			raJSON(rgScope, "n2", spID, contribG, "managed by galshare (contoso)")+`,`+
			raJSON(rgScope+"/providers/Microsoft.Compute/virtualMachines/vm1", "n4", spID, contribG, "below")+`,`+
			raJSON(rgScope, "n5", "someone-else", contribG, "other principal")+
			`],"nextLink":"https://management.azure.com`+rgScope+`/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&skiptoken=2"}`)
	})
	got, err := r.ListRoleAssignments(t.Context(), rgScope, spID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "n2" || got[1].Name != "n3" {
		t.Fatalf("post-filter kept %+v", got)
	}
	if got[0].RoleDefinitionGUID != contribG || got[0].PrincipalType != "ServicePrincipal" || got[0].Description != "managed by galshare (contoso)" {
		t.Errorf("assignment fields: %+v", got[0])
	}
	reqs := tr.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if !strings.EqualFold(reqs[0].Path, rgScope+"/providers/Microsoft.Authorization/roleAssignments") {
		t.Errorf("path %s", reqs[0].Path)
	}
	mustContain(t, "query", reqs[0].RawQuery, "api-version=2022-04-01", "$filter=principalId+eq+%27"+spID+"%27")
	if strings.Contains(reqs[0].RawQuery, " ") {
		t.Errorf("raw space in query: %q", reqs[0].RawQuery)
	}
}

func TestCreateRoleAssignment(t *testing.T) {
	name := RoleAssignmentName(rgScope, spID, contribG)
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		return jsonResp(201, raJSON(rgScope, name, spID, contribG, "managed by galshare"))
	})
	ra, adopted, err := r.CreateRoleAssignment(t.Context(), RoleAssignmentSpec{Scope: rgScope, RoleDefinitionGUID: strings.ToUpper(contribG),
		PrincipalID: spID, Description: "managed by galshare"})
	if err != nil {
		t.Fatal(err)
	}
	if adopted || ra.Name != name || ra.RoleDefinitionGUID != contribG {
		t.Errorf("adopted=%v ra=%+v", adopted, ra)
	}
	req := tr.requests()[0]
	if req.Method != http.MethodPut || !strings.EqualFold(req.Path, rgScope+"/providers/Microsoft.Authorization/roleAssignments/"+name) {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	props, _ := decodeBody(t, req)["properties"].(map[string]any)
	if props["principalType"] != "ServicePrincipal" || props["principalId"] != spID ||
		props["roleDefinitionId"] != "/subscriptions/sub-2/providers/Microsoft.Authorization/roleDefinitions/"+contribG {
		t.Errorf("body properties: %v", props)
	}
}

func TestCreateRoleAssignmentAdoptsExisting(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		if rec.Method == http.MethodPut {
			return jsonResp(409, `{"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists. The ID of the existing role assignment is 1234."}}`)
		}
		return jsonResp(200, `{"value":[`+raJSON(rgScope, "hand-made", spID, "acdd72a7-3385-48ef-bd42-f606fba81ae7", "")+`,`+raJSON(rgScope, "hand-made-2", spID, contribG, "")+`]}`)
	})
	ra, adopted, err := r.CreateRoleAssignment(t.Context(), RoleAssignmentSpec{Scope: rgScope, RoleDefinitionGUID: contribG, PrincipalID: spID})
	if err != nil {
		t.Fatal(err)
	}
	if !adopted || ra.Name != "hand-made-2" {
		t.Errorf("adopted=%v ra=%+v", adopted, ra)
	}
	if n := len(tr.requests()); n != 2 {
		t.Errorf("%d requests, want PUT + LIST", n)
	}
}

func TestRoleAssignmentForbidden(t *testing.T) {
	r, _ := newTestResources(t, func(rec recorded) *http.Response {
		return jsonResp(403, `{"error":{"code":"AuthorizationFailed","message":"The client 'c' with object id 'c' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '`+rgScope+`' or the scope is invalid."}}`)
	})
	_, _, err := r.CreateRoleAssignment(t.Context(), RoleAssignmentSpec{Scope: rgScope, RoleDefinitionGUID: contribG, PrincipalID: spID})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindPermissionDenied || e.MissingAction != "Microsoft.Authorization/roleAssignments/write" || e.Tenant != r.Tenant() {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, "error", e.Error(), rgScope, "PUT roleAssignment", "User Access Administrator")
}

func TestDeleteRoleAssignmentNotFoundIsDone(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response { return jsonResp(204, nil) })
	id := rgScope + "/providers/Microsoft.Authorization/roleAssignments/" + RoleAssignmentName(rgScope, spID, contribG)
	if err := r.DeleteRoleAssignment(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if req := tr.requests()[0]; req.Method != http.MethodDelete || !strings.EqualFold(req.Path, id) {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	r404, _ := newTestResources(t, func(rec recorded) *http.Response {
		return jsonResp(404, `{"error":{"code":"RoleAssignmentNotFound","message":"gone"}}`)
	})
	if err := r404.DeleteRoleAssignment(t.Context(), id); err != nil {
		t.Errorf("404 delete: %v", err)
	}
}

const galleryID = "/subscriptions/sub-1/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"

func TestGetGalleryAndImageVersion(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		if strings.Contains(rec.Path, "/versions/") {
			return jsonResp(200, `{"id":"`+galleryID+`/images/ubuntu-2204/versions/1.0.0","name":"1.0.0","location":"westus",
			"properties":{"provisioningState":"Succeeded","publishingProfile":{"targetRegions":[{"name":"West US"},{"name":"East US"}]},
			"replicationStatus":{"aggregatedState":"InProgress","summary":[{"region":"West US","state":"Completed","progress":100},{"region":"East US","state":"Replicating","progress":40,"details":"copying"}]}}}`)
		}
		return jsonResp(200, `{"id":"`+galleryID+`","name":"myGallery","location":"westus","properties":{"provisioningState":"Succeeded",
		"identifier":{"uniqueName":"SUB1-MYGALLERY"},"sharingProfile":{"permissions":"Groups"}}}`)
	})
	g, err := r.GetGallery(t.Context(), galleryID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "myGallery" || g.UniqueName != "SUB1-MYGALLERY" || g.SharingPermission != "Groups" || g.Location != "westus" || g.ProvisioningState != "Succeeded" {
		t.Errorf("gallery = %+v", g)
	}
	v, err := r.GetImageVersion(t.Context(), galleryID, "ubuntu-2204", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if v.Ready() || v.Failed() || v.AggregatedReplication != "InProgress" || len(v.Regions) != 2 || v.Regions[1] != (RegionStatus{Region: "eastus", State: "Replicating", Progress: 40, Details: "copying"}) {
		t.Errorf("version = %+v", v)
	}
	if strings.Join(v.TargetRegions, ",") != "westus,eastus" {
		t.Errorf("targets = %v", v.TargetRegions)
	}
	reqs := tr.requests()
	mustContain(t, "version query", reqs[1].RawQuery, "%24expand=ReplicationStatus")
	if _, err := r.GetGallery(t.Context(), "/subscriptions/s/resourceGroups/rg"); KindOf(err) != KindInvalid {
		t.Errorf("non-gallery id: %v", err)
	}
}

func TestCheckScope(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		if strings.Contains(strings.ToLower(rec.Path), "missing-rg") {
			return jsonResp(404, `{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'missing-rg' could not be found."}}`)
		}
		return jsonResp(200, `{"id":"x","name":"x","location":"westus"}`)
	})
	if err := r.CheckScope(t.Context(), rgScope); err != nil {
		t.Errorf("rg: %v", err)
	}
	if err := r.CheckScope(t.Context(), "/subscriptions/sub-2"); err != nil {
		t.Errorf("subscription: %v", err)
	}
	err := r.CheckScope(t.Context(), "/subscriptions/sub-2/resourceGroups/missing-rg")
	if !IsNotFound(err) || !strings.Contains(err.Error(), "create the resource group") {
		t.Errorf("missing rg: %v", err)
	}
	paths := []string{}
	for _, q := range tr.requests() {
		paths = append(paths, strings.ToLower(q.Path)+"?"+q.RawQuery)
	}
	mustContain(t, "paths", strings.Join(paths, " "), "/subscriptions/sub-2/resourcegroups/vm-rg?api-version=", "/subscriptions/sub-2?api-version="+subscriptionsAPIVersion)
}

func TestResolveRoleDefinition(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		return jsonResp(200, `{"value":[{"id":"/subscriptions/sub-2/providers/Microsoft.Authorization/roleDefinitions/11111111-0000-0000-0000-00000000000a","name":"11111111-0000-0000-0000-00000000000A","properties":{"roleName":"Image Builder"}}]}`)
	})
	if g, err := r.ResolveRoleDefinition(t.Context(), rgScope, "Reader"); err != nil || g != "acdd72a7-3385-48ef-bd42-f606fba81ae7" {
		t.Errorf("built-in: %s %v", g, err)
	}
	if n := len(tr.requests()); n != 0 {
		t.Errorf("built-in role made %d calls", n)
	}
	g, err := r.ResolveRoleDefinition(t.Context(), rgScope, "Image Builder")
	if err != nil || g != "11111111-0000-0000-0000-00000000000a" {
		t.Errorf("custom: %s %v", g, err)
	}
	mustContain(t, "query", tr.requests()[0].RawQuery, "%24filter=roleName+eq+%27Image+Builder%27")
	if _, err := r.ResolveRoleDefinition(t.Context(), rgScope, "Nope"); !IsNotFound(err) {
		t.Errorf("unknown role: %v", err)
	}
}

func TestThrottlingPastRetries(t *testing.T) {
	r, tr := newTestResources(t, func(rec recorded) *http.Response {
		return jsonResp(429, `{"error":{"code":"TooManyRequests","message":"slow down"}}`, "Retry-After", "1")
	})
	start := time.Now()
	_, err := r.GetGallery(t.Context(), galleryID)
	if KindOf(err) != KindThrottled || RetryAfterOf(err) != time.Second {
		t.Fatalf("err = %v", err)
	}
	// Retry-After (1 s) exceeds the test MaxRetryDelay (5 ms): azcore gives up at once.
	if n := len(tr.requests()); n != 1 || time.Since(start) > 900*time.Millisecond {
		t.Errorf("%d requests in %s", n, time.Since(start))
	}
	r5, tr5 := newTestResources(t, func(rec recorded) *http.Response {
		return jsonResp(503, `{"error":{"code":"ServiceUnavailable","message":"later"}}`)
	})
	if _, err := r5.GetGallery(t.Context(), galleryID); KindOf(err) != KindTransient {
		t.Fatalf("err = %v", err)
	}
	if n := len(tr5.requests()); n != 3 {
		t.Errorf("503: %d attempts, want 3 (1 + MaxRetries 2)", n)
	}
}
