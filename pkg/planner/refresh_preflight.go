package planner

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/galshare/galshare/pkg/azure"
)

// preflight is refresh's last phase: it builds the plan once from what was
// read (Build is pure) and, only for the writes that plan holds, reads what
// the operator may do: the app roles of its Graph token in each tenant with
// a Graph write (no API call once the token is cached; in a tenant refresh
// read nothing from Graph, the token request) and ARM's effective
// permissions at each scope with a role-assignment write (one GET per tenant
// and scope, unless phase 3 already made it: see rightsAnswerExistence). A
// plan without writes costs nothing more. The
// reads never fail the refresh: an error leaves the right unknown and Build
// checks nothing for it.
func (r *refresher) preflight(destroy bool, now time.Time) {
	p, err := Build(r.m, r.snap, r.st, Options{Destroy: destroy, Now: now})
	if err != nil {
		return
	}
	graphTenants := map[string]string{}
	type scopeRead struct{ tenant, scope string }
	var scopes []scopeRead
	seen := map[string]bool{}
	for _, c := range p.Changes {
		for _, n := range rightsNeeded(&c, r.m.Publisher.Tenant) {
			if !r.writable(n.Tenant) {
				continue
			}
			if n.Action == "" {
				graphTenants[TenantKey(n.Tenant)] = n.Tenant
				continue
			}
			if k := RightsKey(n.Tenant, n.Scope); !seen[k] && !r.hasARMRights(k) {
				seen[k] = true
				scopes = append(scopes, scopeRead{n.Tenant, n.Scope})
			}
		}
	}
	if gr, ok := r.conn.(azure.GraphRolesReader); ok {
		for _, t := range graphTenants {
			r.goRead(func(ctx context.Context) { r.readGraphRights(ctx, gr, t) })
		}
	}
	for _, s := range scopes {
		r.goReadAs(s.tenant, apiARM, func(ctx context.Context) { r.readARMRights(ctx, s.tenant, s.scope) })
	}
	r.wg.Wait()
}

// writable reports whether galshare writes in tenant at all: it has
// credentials there and the tenant is not a manual consumer.
func (r *refresher) writable(tenant string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snap.tenant(tenant).Readable && !r.manual[TenantKey(tenant)]
}

func (r *refresher) readGraphRights(ctx context.Context, gr azure.GraphRolesReader, tenant string) {
	roles, known, err := gr.GraphRoles(ctx, tenant)
	o := GraphRightsObs{Obs: Obs{Status: Found}, Known: known, Roles: roles}
	if err != nil {
		o = GraphRightsObs{Obs: Obs{Status: NotRead, Note: "preflight: " + err.Error()}}
	}
	r.mu.Lock()
	r.snap.GraphRights[TenantKey(tenant)] = o
	r.mu.Unlock()
}

func (r *refresher) readARMRights(ctx context.Context, tenant, scope string) {
	x, err := r.conn.Resources(ctx, tenant)
	if err != nil {
		return
	}
	pr, ok := x.(azure.PermissionsReader)
	if !ok {
		return
	}
	r.call()
	perms, err := pr.Permissions(ctx, scope)
	o := ARMRightsObs{Obs: Obs{Status: Found}, Permissions: perms}
	if err != nil {
		o = rightsUnread(tenant, scope, err)
	}
	r.setARMRights(tenant, scope, o)
}

// rightsUnread is the observation of a permissions read that failed: the
// rights stay unknown and Build checks nothing for them.
func rightsUnread(tenant, scope string, err error) ARMRightsObs {
	var ae *azure.Error
	if !errors.As(err, &ae) {
		ae = azure.Classify(tenant, scope, "GET permissions", err)
	}
	return ARMRightsObs{Obs: Obs{Status: NotRead, Note: "preflight: " + ae.Error(), Err: ae}}
}

func (r *refresher) setARMRights(tenant, scope string, o ARMRightsObs) {
	r.mu.Lock()
	r.snap.ARMRights[RightsKey(tenant, scope)] = o
	r.mu.Unlock()
}

// hasARMRights reports whether phase 3 already read the rights under key.
func (r *refresher) hasARMRights(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.snap.ARMRights[key]
	return ok && o.Status == Found
}

// rightsAnswerExistence reports whether phase 3 should read the operator's
// effective permissions at scope instead of only checking that it exists:
// the write preflight is on, galshare writes in tenant, and scope is a
// resource group. ARM answers the permissions read at a resource group that
// does not exist with 404 ResourceGroupNotFound, like the group's own GET,
// so that one read tells both whether the scope exists and whether the
// operator may assign roles there — and the preflight need not read it
// again. Other scopes keep their own existence check (a resource's
// permissions answer depends on its provider).
func (r *refresher) rightsAnswerExistence(tenant, scope string) bool {
	if !r.preflightOn || !r.writable(tenant) {
		return false
	}
	id, err := arm.ParseResourceID(scope)
	return err == nil && strings.EqualFold(id.ResourceType.String(), "Microsoft.Resources/resourceGroups")
}

// readScopeRights is readScope by way of the operator's permissions at the
// resource group scope (see rightsAnswerExistence). A failure other than 404
// leaves the rights unknown and falls back to the plain existence check, so
// the scope's observation is never worse than readScope's.
func (r *refresher) readScopeRights(ctx context.Context, tenant, scope string) {
	x, o, ok := r.res(ctx, tenant)
	if !ok {
		r.setScope(scope, o)
		return
	}
	pr, isReader := x.(azure.PermissionsReader)
	if !isReader {
		r.setScope(scope, r.checkScope(ctx, x, tenant, scope))
		return
	}
	r.call()
	perms, err := pr.Permissions(ctx, scope)
	switch {
	case err == nil:
		r.setScope(scope, Obs{Status: Found})
		r.setARMRights(tenant, scope, ARMRightsObs{Obs: Obs{Status: Found}, Permissions: perms})
	case azure.IsNotFound(err):
		r.setScope(scope, Obs{Status: Missing})
	default:
		r.setARMRights(tenant, scope, rightsUnread(tenant, scope, err))
		r.setScope(scope, r.checkScope(ctx, x, tenant, scope))
	}
}
