package planner

import (
	"context"
	"errors"
	"time"

	"github.com/galshare/galshare/pkg/azure"
)

// preflight is refresh's last phase: it builds the plan once from what was
// read (Build is pure) and, only for the writes that plan holds, reads what
// the operator may do: the app roles of its Graph token in each tenant with
// a Graph write (no API call: the token is already cached) and ARM's
// effective permissions at each scope with a role-assignment write (one GET
// per tenant and scope). A plan without writes costs nothing more. The
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
			if k := RightsKey(n.Tenant, n.Scope); !seen[k] {
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
		var ae *azure.Error
		if !errors.As(err, &ae) {
			ae = azure.Classify(tenant, scope, "GET permissions", err)
		}
		o = ARMRightsObs{Obs: Obs{Status: NotRead, Note: "preflight: " + ae.Error(), Err: ae}}
	}
	r.mu.Lock()
	r.snap.ARMRights[RightsKey(tenant, scope)] = o
	r.mu.Unlock()
}
