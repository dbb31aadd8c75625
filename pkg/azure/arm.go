package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

// subscriptionsAPIVersion is the api-version for GET /subscriptions/{id}
// (armsubscriptions' stable version; that module is not a dependency).
const subscriptionsAPIVersion = "2022-12-01"

// resourceGroupsAPIVersion is the api-version armresources/v4 uses for GET
// resourceGroups. CheckScope sends that GET on the tenant's raw client rather
// than building a ResourceGroupsClient (one more pipeline) per subscription.
const resourceGroupsAPIVersion = "2025-04-01"

// armResources implements Resources for one tenant with the official SDK
// clients. Each client is built on first use, not up front: a consumer
// tenant's plan usually needs only its role-assignments client, and at fleet
// scale (10k tenants) building every kind for every tenant cost ~86 MB.
// The role-assignment and role-definition clients share one pipeline (one
// armauthorization.ClientFactory per tenant, as none of the operations
// galshare uses depends on the factory's subscription); the compute
// client is per subscription, as its URLs need it; existence checks and the
// permissions read share one raw client per tenant.
type armResources struct {
	tenant string
	cred   azcore.TokenCredential
	// opts are the connector's (shared by its tenants, auxiliary tenants
	// aside); shared are its pipelines, on which the raw requests go with
	// this tenant's ARM bearer policy, auth (shared.go).
	opts   *arm.ClientOptions
	shared *sharedPipelines
	auth   lazy[policy.Policy]

	authz lazy[*authzClients]

	mu   sync.Mutex
	subs map[string]*subClients
}

// authzClients are the tenant's authorization clients, sharing a pipeline.
type authzClients struct {
	roles    *armauthorization.RoleAssignmentsClient
	roleDefs *armauthorization.RoleDefinitionsClient
}

// subClients are the SDK clients for one subscription, each built lazily.
type subClients struct {
	compute lazy[*armcompute.ClientFactory]
}

// lazy builds a value once, on first use, and remembers the result (error
// included: building an SDK client fails only on invalid options, which a
// retry would not fix).
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(build func() (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = build() })
	return l.v, l.err
}

// authzSubscription is the subscription id given to the tenant's
// armauthorization factory: ListForScope, GetByID, Create, DeleteByID and the
// role-definition list all address their scope or id, never the factory's
// subscription, which only the unused ListForSubscription-style calls read.
const authzSubscription = "00000000-0000-0000-0000-000000000000"

var _ Resources = (*armResources)(nil)

// newARMResourcesShared builds a tenant's client set on a connector's
// options and shared pipelines; no SDK client is built until used.
func newARMResourcesShared(tenant string, cred azcore.TokenCredential, opts *arm.ClientOptions, shared *sharedPipelines) *armResources {
	return &armResources{tenant: tenant, cred: cred, opts: opts, shared: shared, subs: map[string]*subClients{}}
}

// rawARM returns the tenant's sender of hand-built requests on the shared
// raw ARM pipeline (existence checks, effective permissions).
func (r *armResources) rawARM() *rawARM {
	auth, _ := r.auth.get(func() (policy.Policy, error) { return newARMAuth(r.cred, r.opts), nil })
	return &rawARM{endpoint: r.shared.armEP, pl: r.shared.arm, auth: auth}
}

func (r *armResources) Tenant() string { return r.tenant }

func (r *armResources) fail(object, op string, err error) error {
	return waitedFor(r.shared.redact.classify(r.tenant, object, op, err), r.shared.authority, r.shared.armOrigin)
}

// authorization returns the tenant's role-assignment and role-definition
// clients, building them on first use.
func (r *armResources) authorization() (*authzClients, error) {
	return r.authz.get(func() (*authzClients, error) {
		f, err := armauthorization.NewClientFactory(authzSubscription, r.cred, r.opts)
		if err != nil {
			return nil, err
		}
		return &authzClients{roles: f.NewRoleAssignmentsClient(), roleDefs: f.NewRoleDefinitionsClient()}, nil
	})
}

// sub returns the (lazily filled) client set of a subscription.
func (r *armResources) sub(subscriptionID string) *subClients {
	key := strings.ToLower(subscriptionID)
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.subs[key]
	if !ok {
		c = &subClients{}
		r.subs[key] = c
	}
	return c
}

// compute returns the compute client factory of a subscription.
func (r *armResources) compute(subscriptionID string) (*armcompute.ClientFactory, error) {
	return r.sub(subscriptionID).compute.get(func() (*armcompute.ClientFactory, error) {
		return armcompute.NewClientFactory(subscriptionID, r.cred, r.opts)
	})
}

// subscriptionOf returns the subscription id of an ARM scope ("" when none).
func subscriptionOf(scope string) string {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return parts[1]
	}
	return ""
}

// normScope is the comparison form of a scope: lower case, no trailing slash.
func normScope(s string) string { return strings.ToLower(strings.TrimRight(s, "/")) }

func toRoleAssignment(ra *armauthorization.RoleAssignment) RoleAssignment {
	out := RoleAssignment{ID: deref(ra.ID), Name: deref(ra.Name)}
	if p := ra.Properties; p != nil {
		out.Scope = deref(p.Scope)
		out.RoleDefinitionID = deref(p.RoleDefinitionID)
		out.RoleDefinitionGUID = RoleDefinitionGUID(out.RoleDefinitionID)
		out.PrincipalID = deref(p.PrincipalID)
		out.Description = deref(p.Description)
		if p.PrincipalType != nil {
			out.PrincipalType = string(*p.PrincipalType)
		}
	}
	if out.Scope == "" {
		if i := strings.Index(strings.ToLower(out.ID), "/providers/microsoft.authorization/roleassignments/"); i >= 0 {
			out.Scope = out.ID[:i]
		}
	}
	return out
}

func (r *armResources) ListRoleAssignments(ctx context.Context, scope, principalID string) ([]RoleAssignment, error) {
	object := "role assignments of " + principalID + " at " + scope
	c, err := r.authorization()
	if err != nil {
		return nil, r.fail(object, "LIST roleAssignments", err)
	}
	// armauthorization inserts Filter into the URL unencoded (azure-api.md §3.3).
	filter := url.QueryEscape(fmt.Sprintf("principalId eq '%s'", principalID))
	pager := c.roles.NewListForScopePager(scope, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &filter})
	var out []RoleAssignment
	want := normScope(scope)
	for pages := 0; pager.More(); pages++ {
		if pages >= MaxListPages {
			return nil, r.fail(object, "LIST roleAssignments", tooManyPages("role assignments"))
		}
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, r.fail(object, "LIST roleAssignments", err)
		}
		for _, ra := range page.Value {
			if ra == nil {
				continue
			}
			a := toRoleAssignment(ra)
			if normScope(a.Scope) == want && strings.EqualFold(a.PrincipalID, principalID) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func (r *armResources) GetRoleAssignment(ctx context.Context, id string) (*RoleAssignment, error) {
	c, err := r.authorization()
	if err != nil {
		return nil, r.fail(id, "GET roleAssignment", err)
	}
	resp, err := c.roles.GetByID(ctx, id, nil)
	if err != nil {
		return nil, r.fail(id, "GET roleAssignment", err)
	}
	a := toRoleAssignment(&resp.RoleAssignment)
	return &a, nil
}

func (r *armResources) CreateRoleAssignment(ctx context.Context, spec RoleAssignmentSpec) (*RoleAssignment, bool, error) {
	roleGUID := strings.ToLower(spec.RoleDefinitionGUID)
	object := fmt.Sprintf("role %s for %s at %s", roleGUID, spec.PrincipalID, spec.Scope)
	const op = "PUT roleAssignment"
	if spec.Scope == "" || spec.PrincipalID == "" || roleGUID == "" {
		return nil, false, &Error{Tenant: r.tenant, Object: object, Op: op, Kind: KindInvalid,
			Message: "scope, principal id and role definition GUID are all required"}
	}
	sub := subscriptionOf(spec.Scope)
	c, err := r.authorization()
	if err != nil {
		return nil, false, r.fail(object, op, err)
	}
	name := RoleAssignmentName(spec.Scope, spec.PrincipalID, roleGUID)
	params := armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
		RoleDefinitionID: to.Ptr(RoleDefinitionID(sub, roleGUID)),
		PrincipalID:      to.Ptr(spec.PrincipalID),
		PrincipalType:    to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
	}}
	if spec.Description != "" {
		params.Properties.Description = to.Ptr(spec.Description)
	}
	var raw *http.Response
	resp, err := c.roles.Create(policy.WithCaptureResponse(ctx, &raw), spec.Scope, name, params, nil)
	if err == nil {
		a := toRoleAssignment(&resp.RoleAssignment)
		if e := checkAssignmentAnswer(raw, &a, name, spec.PrincipalID); e != nil {
			e.Tenant, e.Object, e.Op = r.tenant, object, op
			return nil, false, e
		}
		return &a, false, nil
	}
	e := r.fail(object, op, err)
	var ae *Error
	if !errors.As(e, &ae) || ae.Code != "RoleAssignmentExists" {
		return nil, false, e
	}
	// The same principal+role+scope exists under another name (made by hand):
	// find and adopt it.
	existing, lerr := r.ListRoleAssignments(ctx, spec.Scope, spec.PrincipalID)
	if lerr != nil {
		return nil, false, lerr
	}
	for _, a := range existing {
		if a.RoleDefinitionGUID == roleGUID {
			a := a
			return &a, true, nil
		}
	}
	return nil, false, e
}

func (r *armResources) DeleteRoleAssignment(ctx context.Context, id string) error {
	c, err := r.authorization()
	if err != nil {
		return r.fail(id, "DELETE roleAssignment", err)
	}
	if _, err := c.roles.DeleteByID(ctx, id, nil); err != nil && !isStatus(err, http.StatusNotFound) {
		return r.fail(id, "DELETE roleAssignment", err)
	}
	return nil
}

// galleryParts splits a gallery id into subscription, resource group and name.
func galleryParts(galleryID string) (sub, rg, name string, err error) {
	id, perr := arm.ParseResourceID(galleryID)
	if perr != nil || !strings.EqualFold(id.ResourceType.String(), "Microsoft.Compute/galleries") {
		return "", "", "", &Error{Object: galleryID, Op: "parse gallery id", Kind: KindInvalid,
			Message: "not a gallery id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/galleries/NAME)", Err: perr}
	}
	return id.SubscriptionID, id.ResourceGroupName, id.Name, nil
}

func (r *armResources) GetGallery(ctx context.Context, galleryID string) (*Gallery, error) {
	const op = "GET gallery"
	sub, rg, name, err := galleryParts(galleryID)
	if err != nil {
		return nil, r.fail(galleryID, op, err)
	}
	c, err := r.compute(sub)
	if err != nil {
		return nil, r.fail(galleryID, op, err)
	}
	resp, err := c.NewGalleriesClient().Get(ctx, rg, name, nil)
	if err != nil {
		return nil, r.fail(galleryID, op, err)
	}
	g := &Gallery{ID: deref(resp.ID), Name: deref(resp.Name), Location: deref(resp.Location)}
	if p := resp.Properties; p != nil {
		if p.Identifier != nil {
			g.UniqueName = deref(p.Identifier.UniqueName)
		}
		if p.SharingProfile != nil && p.SharingProfile.Permissions != nil {
			g.SharingPermission = string(*p.SharingProfile.Permissions)
		}
		if p.ProvisioningState != nil {
			g.ProvisioningState = string(*p.ProvisioningState)
		}
	}
	if g.ID == "" {
		g.ID = galleryID
	}
	return g, nil
}

func (r *armResources) GetImageVersion(ctx context.Context, galleryID, image, version string) (*ImageVersion, error) {
	const op = "GET imageVersion"
	object := galleryID + "/images/" + image + "/versions/" + version
	sub, rg, name, err := galleryParts(galleryID)
	if err != nil {
		return nil, r.fail(object, op, err)
	}
	c, err := r.compute(sub)
	if err != nil {
		return nil, r.fail(object, op, err)
	}
	resp, err := c.NewGalleryImageVersionsClient().Get(ctx, rg, name, image, version,
		&armcompute.GalleryImageVersionsClientGetOptions{Expand: to.Ptr(armcompute.ReplicationStatusTypesReplicationStatus)})
	if err != nil {
		return nil, r.fail(object, op, err)
	}
	v := &ImageVersion{ID: deref(resp.ID), GalleryID: galleryID, Image: image, Version: version}
	if p := resp.Properties; p != nil {
		if p.ProvisioningState != nil {
			v.ProvisioningState = string(*p.ProvisioningState)
		}
		if rs := p.ReplicationStatus; rs != nil {
			if rs.AggregatedState != nil {
				v.AggregatedReplication = string(*rs.AggregatedState)
			}
			for _, s := range rs.Summary {
				if s == nil {
					continue
				}
				st := RegionStatus{Region: NormalizeRegion(deref(s.Region)), Details: deref(s.Details)}
				if s.State != nil {
					st.State = string(*s.State)
				}
				if s.Progress != nil {
					st.Progress = int(*s.Progress)
				}
				v.Regions = append(v.Regions, st)
			}
		}
		if pp := p.PublishingProfile; pp != nil {
			for _, t := range pp.TargetRegions {
				if t != nil && t.Name != nil {
					v.TargetRegions = append(v.TargetRegions, NormalizeRegion(*t.Name))
				}
			}
		}
	}
	if v.ID == "" {
		v.ID = object
	}
	return v, nil
}

func (r *armResources) CheckScope(ctx context.Context, scope string) error {
	const op = "GET scope"
	id, err := arm.ParseResourceID(scope)
	if err != nil {
		return &Error{Tenant: r.tenant, Object: scope, Op: op, Kind: KindInvalid, Message: "not an ARM scope", Err: err}
	}
	switch {
	case strings.EqualFold(id.ResourceType.String(), "Microsoft.Resources/subscriptions"):
		return r.checkSubscription(ctx, id.SubscriptionID)
	case strings.EqualFold(id.ResourceType.String(), "Microsoft.Resources/resourceGroups"):
		return r.rawGet(ctx, "/subscriptions/"+url.PathEscape(id.SubscriptionID)+"/resourcegroups/"+url.PathEscape(id.ResourceGroupName),
			resourceGroupsAPIVersion, scope, "GET resourceGroup")
	case strings.EqualFold(id.ResourceType.String(), "Microsoft.Compute/galleries"):
		_, err := r.GetGallery(ctx, scope)
		return err
	}
	// Any other resource: check its resource group, the closest thing galshare
	// can read without knowing the resource type's api-version.
	if id.ResourceGroupName != "" {
		return r.CheckScope(ctx, "/subscriptions/"+id.SubscriptionID+"/resourceGroups/"+id.ResourceGroupName)
	}
	return r.checkSubscription(ctx, id.SubscriptionID)
}

func (r *armResources) checkSubscription(ctx context.Context, sub string) error {
	object := "/subscriptions/" + sub
	return r.rawGet(ctx, "/subscriptions/"+url.PathEscape(sub), subscriptionsAPIVersion, object, "GET subscription")
}

// rawGet sends GET path?api-version=apiVersion on the tenant's raw ARM client
// and reports only whether it answered 200 (errors classified for object/op).
func (r *armResources) rawGet(ctx context.Context, path, apiVersion, object, op string) error {
	c := r.rawARM()
	req, err := c.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.Endpoint(), path)+"?api-version="+apiVersion)
	if err != nil {
		return r.fail(object, op, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.Pipeline().Do(req)
	if err != nil {
		return r.fail(object, op, err)
	}
	defer resp.Body.Close()
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return r.fail(object, op, runtime.NewResponseError(resp))
	}
	return nil
}

func (r *armResources) ResolveRoleDefinition(ctx context.Context, scope, nameOrGUID string) (string, error) {
	if g, ok := BuiltinRoleGUID(nameOrGUID); ok {
		return g, nil
	}
	const op = "LIST roleDefinitions"
	object := "role " + nameOrGUID + " at " + scope
	c, err := r.authorization()
	if err != nil {
		return "", r.fail(object, op, err)
	}
	// Unlike role assignments, this client encodes its $filter itself.
	filter := "roleName eq '" + strings.ReplaceAll(nameOrGUID, "'", "''") + "'"
	pager := c.roleDefs.NewListPager(scope, &armauthorization.RoleDefinitionsClientListOptions{Filter: &filter})
	for pages := 0; pager.More(); pages++ {
		if pages >= MaxListPages {
			return "", r.fail(object, op, tooManyPages("role definitions"))
		}
		page, err := pager.NextPage(ctx)
		if err != nil {
			return "", r.fail(object, op, err)
		}
		for _, d := range page.Value {
			if d != nil && d.Properties != nil && strings.EqualFold(deref(d.Properties.RoleName), nameOrGUID) {
				return strings.ToLower(deref(d.Name)), nil
			}
		}
	}
	return "", &Error{Tenant: r.tenant, Object: object, Op: op, Kind: KindNotFound,
		Message: "no role definition with that name", Fix: "check the role name (built-in names or a custom role's exact name) or use its GUID"}
}
