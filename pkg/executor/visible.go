package executor

import (
	"context"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// Entra and ARM replicate asynchronously: right after a create, reads can
// still answer 404 (azure-api.md §5). A plan made in that window would see
// the new object as missing and plan it again — for a password, a duplicate.
// So, like terraform-provider-azuread, each Entra create (app, password,
// service principal) waits until a read sees the new object before the
// action counts as done. These are reads only, and they stop at the first
// success. Role assignments are ARM objects whose PUT answer is
// authoritative and whose name is deterministic: they are not read back
// (see createRoleAssignment).

// errNotVisibleYet is what a read that does not show the new object yet
// returns; it is classified as not-found so retryableAfterCreate retries it.
func errNotVisibleYet(c *planner.Change, what string) error {
	return &azure.Error{Tenant: c.Tenant, Object: c.Address.String(), Op: "GET " + what, StatusCode: 404,
		Kind: azure.KindNotFound, Message: "created, but not visible to reads yet"}
}

// awaitApp waits until the new app is readable by its appId; the app read
// must be the one created (appId, object id: checkIdentity).
func (r *run) awaitApp(ctx context.Context, c *planner.Change, dir azure.Directory, appID, objectID string) error {
	return r.retry(ctx, c, true, "GET application (until visible)", func(ctx context.Context) error {
		app, err := dir.GetApplicationByAppID(ctx, appID)
		if err != nil {
			return err
		}
		if err := checkIdentity(c, "the new app's appId", appID, app.AppID); err != nil {
			return err
		}
		return checkIdentity(c, "the new app's object id", objectID, app.ObjectID)
	})
}

// awaitPassword waits until the app's password list shows keyID.
func (r *run) awaitPassword(ctx context.Context, c *planner.Change, dir azure.Directory, appID, keyID string) error {
	return r.retry(ctx, c, true, "GET application passwords (until visible)", func(ctx context.Context) error {
		app, err := dir.GetApplicationByAppID(ctx, appID)
		if err != nil {
			return err
		}
		for _, p := range app.Passwords {
			if strings.EqualFold(p.KeyID, keyID) {
				return nil
			}
		}
		return errNotVisibleYet(c, "application passwords")
	})
}

// awaitServicePrincipal waits until the new SP is readable by appId; the SP
// read must be the one created (appId, object id: checkIdentity).
func (r *run) awaitServicePrincipal(ctx context.Context, c *planner.Change, dir azure.Directory, appID, objectID string) error {
	return r.retry(ctx, c, true, "GET servicePrincipal (until visible)", func(ctx context.Context) error {
		sp, err := dir.GetServicePrincipal(ctx, appID)
		if err != nil {
			return err
		}
		if err := checkIdentity(c, "the service principal's appId", appID, sp.AppID); err != nil {
			return err
		}
		return checkIdentity(c, "the new service principal's object id", objectID, sp.ObjectID)
	})
}
