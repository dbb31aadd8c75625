package azsim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"
)

// wantRespErr asserts err is an *azcore.ResponseError with this status and error code.
func wantRespErr(t *testing.T, err error, status int, code string) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("want %d %s, got %d %s: %v", status, code, re.StatusCode, re.ErrorCode, err)
	}
	return re
}

func readerRoleID(sub string) string {
	return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + roleReader
}

func raParams(sub, principal, principalType string) armauthorization.RoleAssignmentCreateParameters {
	p := armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
		RoleDefinitionID: to.Ptr(readerRoleID(sub)), PrincipalID: to.Ptr(principal), Description: to.Ptr("managed by galshare"),
	}}
	if principalType != "" {
		p.Properties.PrincipalType = to.Ptr(armauthorization.PrincipalType(principalType))
	}
	return p
}

func TestSDKRoleAssignmentLifecycle(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	client, err := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opOwner), e.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	principal := e.spID(t, opContrib)
	name := uuid.NewString()

	created, err := client.Create(ctx, galleryA, name, raParams(subA, principal, "ServicePrincipal"), nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if got := *created.ID; got != galleryA+"/providers/Microsoft.Authorization/roleAssignments/"+name {
		t.Errorf("id = %s", got)
	}
	if !strings.HasSuffix(*created.Properties.RoleDefinitionID, roleReader) || *created.Properties.Scope != galleryA ||
		*created.Properties.PrincipalType != armauthorization.PrincipalTypeServicePrincipal {
		t.Errorf("properties = %+v", *created.Properties)
	}

	// Identical re-PUT succeeds (idempotent apply).
	if _, err := client.Create(ctx, galleryA, name, raParams(subA, principal, "ServicePrincipal"), nil); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	// Same principal+role+scope under another name: 409 naming the existing assignment.
	_, err = client.Create(ctx, galleryA, uuid.NewString(), raParams(subA, principal, "ServicePrincipal"), nil)
	re := wantRespErr(t, err, http.StatusConflict, "RoleAssignmentExists")
	if !strings.Contains(re.Error(), strings.ReplaceAll(name, "-", "")) {
		t.Errorf("409 does not name the existing assignment: %v", re)
	}
	// The name reused for another principal.
	_, err = client.Create(ctx, galleryA, name, raParams(subA, e.spID(t, opSharer), "ServicePrincipal"), nil)
	wantRespErr(t, err, http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted")
	// Non-GUID names.
	_, err = client.Create(ctx, galleryA, "reader-for-contrib", raParams(subA, principal, "ServicePrincipal"), nil)
	wantRespErr(t, err, http.StatusBadRequest, "InvalidRoleAssignmentId")

	got, err := client.Get(ctx, galleryA, name, nil)
	if err != nil || *got.Name != name {
		t.Fatalf("get: %v", err)
	}

	// List with the filter encoded (as galshare must) and unencoded-but-safe forms.
	for _, filter := range []string{url.QueryEscape("principalId eq '" + principal + "'"), "atScope()"} {
		pager := client.NewListForScopePager(galleryA, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr(filter)})
		var names []string
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatalf("list %q: %v", filter, err)
			}
			for _, ra := range page.Value {
				names = append(names, *ra.Name)
			}
		}
		if !containsFold(names, name) {
			t.Errorf("list %q = %v, missing %s", filter, names, name)
		}
		if filter == "atScope()" && len(names) < 3 {
			// owner at subscription, sharer's two at the gallery and the new one.
			t.Errorf("atScope() at gallery = %v, want assignments at and above", names)
		}
	}
	// principalId eq at the subscription finds assignments below it too.
	pager := client.NewListForSubscriptionPager(&armauthorization.RoleAssignmentsClientListForSubscriptionOptions{
		Filter: to.Ptr(url.QueryEscape("principalId eq '" + principal + "'"))})
	var atSub []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ra := range page.Value {
			atSub = append(atSub, *ra.Properties.Scope)
		}
	}
	if len(atSub) != 2 { // Contributor on images-rg + the new Reader on the gallery
		t.Errorf("principal's assignments at subscription = %v", atSub)
	}

	del, err := client.Delete(ctx, galleryA, name, nil)
	if err != nil || del.Name == nil || *del.Name != name {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := client.Delete(ctx, galleryA, name, nil); err != nil {
		t.Fatalf("second delete should be 204: %v", err)
	}
	_, err = client.Get(ctx, galleryA, name, nil)
	wantRespErr(t, err, http.StatusNotFound, "RoleAssignmentNotFound")
	for _, v := range e.sim.RoleAssignments() {
		if v.Name == name {
			t.Errorf("deleted assignment still in world: %+v", v)
		}
	}
}

func containsFold(xs []string, x string) bool {
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}

func TestSDKRoleAssignmentDenials(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	rgScope := "/subscriptions/" + subA + "/resourceGroups/images-rg"

	contrib, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opContrib), e.armOptions())
	_, err := contrib.Create(ctx, rgScope, uuid.NewString(), raParams(subA, e.spID(t, opNoRole), "ServicePrincipal"), nil)
	re := wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
	msg := re.Error()
	for _, want := range []string{"Microsoft.Authorization/roleAssignments/write", rgScope, e.spID(t, opContrib), "does not have authorization"} {
		if !strings.Contains(msg, want) {
			t.Errorf("403 message lacks %q: %s", want, msg)
		}
	}

	norole, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opNoRole), e.armOptions())
	pager := norole.NewListForScopePager(galleryA, nil)
	_, err = pager.NextPage(ctx)
	re = wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
	if !strings.Contains(re.Error(), "Microsoft.Authorization/roleAssignments/read") {
		t.Errorf("403 does not name the read action: %v", re)
	}

	// RBAC Administrator may assign Reader but, by its condition, not Owner.
	rbac, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opRBACAdmin), e.armOptions())
	if _, err := rbac.Create(ctx, rgScope, uuid.NewString(), raParams(subA, e.spID(t, opNoRole), "ServicePrincipal"), nil); err != nil {
		t.Fatalf("RBAC admin assigning Reader: %v", err)
	}
	owner := raParams(subA, e.spID(t, opNoRole), "ServicePrincipal")
	owner.Properties.RoleDefinitionID = to.Ptr("/subscriptions/" + subA + "/providers/Microsoft.Authorization/roleDefinitions/" + roleOwner)
	_, err = rbac.Create(ctx, rgScope, uuid.NewString(), owner, nil)
	wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
}

func TestSDKRoleAssignmentPrincipalNotFoundDuringLag(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	appID, _ := e.newMultiTenantApp(t, "lagged")
	e.sim.SetLag(2 * time.Minute)
	spB, err := e.sim.ConsentAsAdmin(tenantB, appID)
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	client, _ := armauthorization.NewRoleAssignmentsClient(subB, e.opCred(t, opOwnerB), e.armOptions())
	scope := "/subscriptions/" + subB + "/resourceGroups/vm-rg"

	// Without principalType ARM looks the principal up and the new SP has not replicated yet.
	_, err = client.Create(ctx, scope, uuid.NewString(), raParams(subB, spB, ""), nil)
	wantRespErr(t, err, http.StatusBadRequest, "PrincipalNotFound")
	// With principalType the lookup is skipped: it works once the SP exists.
	if _, err := client.Create(ctx, scope, uuid.NewString(), raParams(subB, spB, "ServicePrincipal"), nil); err != nil {
		t.Fatalf("create with principalType during lag: %v", err)
	}
	// A principal that does not exist at all still fails, principalType or not.
	_, err = client.Create(ctx, scope, uuid.NewString(), raParams(subB, uuid.NewString(), "ServicePrincipal"), nil)
	wantRespErr(t, err, http.StatusBadRequest, "PrincipalNotFound")
	// After the lag the lookup succeeds too (a different role, so it is not a duplicate).
	e.clock.Advance(3 * time.Minute)
	p := raParams(subB, spB, "")
	p.Properties.RoleDefinitionID = to.Ptr("/subscriptions/" + subB + "/providers/Microsoft.Authorization/roleDefinitions/" + roleContributor)
	if _, err := client.Create(ctx, scope, uuid.NewString(), p, nil); err != nil {
		t.Fatalf("create after lag: %v", err)
	}
}

func TestSDKRoleDefinitions(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	client, err := armauthorization.NewRoleDefinitionsClient(e.opCred(t, opNoRole), e.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	scope := "/subscriptions/" + subA
	// RoleDefinitionsClient encodes $filter itself (unlike RoleAssignmentsClient).
	pager := client.NewListPager(scope, &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("roleName eq 'Contributor'")})
	page, err := pager.NextPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Value) != 1 || *page.Value[0].Name != roleContributor {
		t.Fatalf("filter roleName eq Contributor = %+v", page.Value)
	}
	perms := page.Value[0].Properties.Permissions[0]
	if !containsPtr(perms.NotActions, "Microsoft.Compute/galleries/share/action") || !containsPtr(perms.NotActions, "Microsoft.Authorization/*/Write") {
		t.Errorf("Contributor notActions = %v", perms.NotActions)
	}
	got, err := client.Get(ctx, scope, roleComputeGallerySharingAdmn, nil)
	if err != nil || *got.Properties.RoleName != "Compute Gallery Sharing Admin" {
		t.Fatalf("get by id: %v", err)
	}
	if *got.ID != scope+"/providers/Microsoft.Authorization/roleDefinitions/"+roleComputeGallerySharingAdmn {
		t.Errorf("id = %s", *got.ID)
	}
	_, err = client.Get(ctx, scope, uuid.NewString(), nil)
	wantRespErr(t, err, http.StatusNotFound, "RoleDefinitionDoesNotExist")
}

func containsPtr(xs []*string, x string) bool {
	for _, v := range xs {
		if v != nil && *v == x {
			return true
		}
	}
	return false
}
