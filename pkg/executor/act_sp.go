package executor

import (
	"context"
	"fmt"
	"slices"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// applyServicePrincipal creates (or adopts, on 409) the app's service
// principal in one tenant, deletes one galshare created, or records an
// existing one, and publishes its object id: the principalId every role
// assignment in that tenant needs.
func (r *run) applyServicePrincipal(ctx context.Context, c *planner.Change) error {
	p := c.ServicePrincipal
	if c.Action == planner.NoOp {
		// Nothing to write, so no sign-in: the tenant may be a manual one
		// galshare has no credentials for (the SP came from consent).
		appID := firstNonEmpty(p.AppID, r.out.get(p.AppAddress).AppID)
		r.out.set(c.Address, output{ObjectID: p.ObjectID, AppID: appID})
		if p.ObjectID == "" {
			return nil
		}
		return r.record(ctx, c, spResource(c, p.ObjectID, appID, originFor(c)))
	}
	if err := r.checkFresh(ctx, c); err != nil {
		return err
	}
	dir, err := r.opts.Clients.Directory(ctx, c.Tenant)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	switch c.Action {
	case planner.Create:
		appID, err := r.appIDOf(p.AppID, p.AppAddress)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Address, err)
		}
		return r.createServicePrincipal(ctx, c, dir, appID)
	case planner.Delete:
		owned := func(ctx context.Context, id string) (bool, error) { return r.ownedServicePrincipal(ctx, c, dir, id) }
		return r.deleteRecorded(ctx, c, p.ObjectID, "objectId", "DELETE servicePrincipal", owned, dir.DeleteServicePrincipal)
	case planner.Read:
		appID, err := r.appIDOf(p.AppID, p.AppAddress)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Address, err)
		}
		sp, err := r.getServicePrincipal(ctx, c, dir, appID)
		if err != nil {
			return err
		}
		r.out.set(c.Address, output{ObjectID: sp.ObjectID, AppID: sp.AppID})
		return nil
	}
	return unsupported(c)
}

func (r *run) createServicePrincipal(ctx context.Context, c *planner.Change, dir azure.Directory, appID string) error {
	p := c.ServicePrincipal
	jid, err := r.begin(ctx, c, state.OpCreate, map[string]string{"appId": appID})
	if err != nil {
		return err
	}
	var sp *azure.ServicePrincipal
	var adopted bool
	// Right after the app is created, Graph answers 400
	// NoBackingApplicationObject until it has replicated; that is retried.
	// The create is idempotent (409 adopts), so unknown outcomes are safe
	// to retry as well.
	err = r.retry(ctx, c, p.AppID == "", "POST servicePrincipals", func(ctx context.Context) error {
		s, ad, err := dir.CreateServicePrincipal(ctx, appID, p.Tags)
		if err != nil {
			return err
		}
		if err := checkIdentity(c, "the service principal's appId", appID, s.AppID); err != nil {
			return err
		}
		sp, adopted = s, adopted || ad
		return nil
	})
	if err != nil {
		r.abandon(ctx, c, jid, err)
		return err
	}
	r.afterCall(c)
	origin := originFor(c)
	if adopted && !hasAll(sp.Tags, p.Tags) {
		// It existed and does not carry galshare's marker: an admin's
		// consent or someone else made it. Never delete it.
		origin = state.OriginAdopted
		r.progress(c, "the service principal already existed (e.g. after admin consent); adopted, never deleted by galshare")
	}
	r.out.set(c.Address, output{ObjectID: sp.ObjectID, AppID: sp.AppID})
	if err := r.commit(ctx, c, jid, func(s *state.State) error { return s.Put(spResource(c, sp.ObjectID, appID, origin)) }); err != nil {
		return err
	}
	return r.awaitServicePrincipal(ctx, c, dir, appID, sp.ObjectID)
}

// getServicePrincipal reads the service principal of appID in c's tenant;
// one of another app is an IdentityError.
func (r *run) getServicePrincipal(ctx context.Context, c *planner.Change, dir azure.Directory, appID string) (*azure.ServicePrincipal, error) {
	sp, err := retryGet(ctx, r, c, "GET servicePrincipal", func(ctx context.Context) (*azure.ServicePrincipal, error) {
		return dir.GetServicePrincipal(ctx, appID)
	})
	if err != nil {
		return nil, err
	}
	return sp, checkIdentity(c, "the service principal's appId", appID, sp.AppID)
}

func spResource(c *planner.Change, objectID, appID string, origin state.Origin) state.Resource {
	return state.Resource{
		Address: c.Address.String(), Type: state.TypeServicePrincipal, Tenant: c.Tenant,
		ID: objectID, Origin: origin,
		Attributes: map[string]string{"appId": appID, "consumer": c.ServicePrincipal.Consumer},
	}
}

// hasAll reports whether have contains every tag of want (an empty want is
// trivially contained, so untagged plans keep the plan's origin).
func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
