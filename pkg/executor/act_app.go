package executor

import (
	"context"
	"fmt"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// applyApp creates (upserts by uniqueName), updates, deletes, reads or adopts
// the app registration, and publishes its object id and appId to dependants.
func (r *run) applyApp(ctx context.Context, c *planner.Change) error {
	p := c.App
	if c.Action == planner.NoOp {
		r.out.set(c.Address, output{ObjectID: p.ObjectID, AppID: p.AppID})
		if p.ObjectID == "" {
			return nil
		}
		return r.record(ctx, c, appResource(c, p.ObjectID, p.AppID))
	}
	dir, err := r.opts.Clients.Directory(ctx, c.Tenant)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	if err := r.checkFresh(ctx, c); err != nil {
		return err
	}
	switch c.Action {
	case planner.Create:
		return r.createApp(ctx, c, dir)
	case planner.Update:
		if p.ObjectID == "" {
			return fmt.Errorf("%s: update without the app's object id in the plan", c.Address)
		}
		jid, err := r.begin(ctx, c, state.OpUpdate, map[string]string{"objectId": p.ObjectID, "uniqueName": p.UniqueName})
		if err != nil {
			return err
		}
		err = r.retry(ctx, c, false, "PATCH application", func(ctx context.Context) error {
			return dir.UpdateApplication(ctx, p.ObjectID, appSpec(p))
		})
		if err != nil {
			r.abandon(ctx, c, jid, err)
			return err
		}
		r.afterCall(c)
		r.out.set(c.Address, output{ObjectID: p.ObjectID, AppID: p.AppID})
		return r.commit(ctx, c, jid, func(s *state.State) error { return s.Put(appResource(c, p.ObjectID, p.AppID)) })
	case planner.Delete:
		return r.deleteApp(ctx, c, dir)
	case planner.Read:
		app, err := r.readApp(ctx, c, dir)
		if err != nil {
			return err
		}
		r.out.set(c.Address, output{ObjectID: app.ObjectID, AppID: app.AppID})
		return nil
	}
	return unsupported(c)
}

func (r *run) createApp(ctx context.Context, c *planner.Change, dir azure.Directory) error {
	p := c.App
	jid, err := r.begin(ctx, c, state.OpCreate, map[string]string{"uniqueName": p.UniqueName, "displayName": p.DisplayName})
	if err != nil {
		return err
	}
	var app *azure.Application
	var created bool
	// The upsert is idempotent by uniqueName, so a retry after a dropped
	// response cannot make a second app.
	err = r.retry(ctx, c, false, "PATCH application (create-if-missing)", func(ctx context.Context) error {
		a, cr, err := dir.UpsertApplication(ctx, appSpec(p))
		if err != nil {
			return err
		}
		app, created = a, created || cr
		return nil
	})
	if err != nil {
		r.abandon(ctx, c, jid, err)
		return err
	}
	r.afterCall(c)
	if !created {
		r.progress(c, "an app with this uniqueName already existed; updated it in place")
	}
	r.out.set(c.Address, output{ObjectID: app.ObjectID, AppID: app.AppID})
	if err := r.commit(ctx, c, jid, func(s *state.State) error { return s.Put(appResource(c, app.ObjectID, app.AppID)) }); err != nil {
		return err
	}
	return r.awaitApp(ctx, c, dir, app.AppID, app.ObjectID)
}

func (r *run) deleteApp(ctx context.Context, c *planner.Change, dir azure.Directory) error {
	owned := func(ctx context.Context, id string) (bool, error) { return r.ownedApp(ctx, c, dir, id) }
	return r.deleteRecorded(ctx, c, c.App.ObjectID, "objectId", "DELETE application", owned, dir.DeleteApplication)
}

// readApp finds the app by appId when the plan knows it (an adopted app made
// by hand has no uniqueName), else by its uniqueName.
func (r *run) readApp(ctx context.Context, c *planner.Change, dir azure.Directory) (*azure.Application, error) {
	p := c.App
	if p.AppID != "" {
		app, err := r.getAppByAppID(ctx, c, dir, p.AppID)
		if err != nil {
			return nil, err
		}
		if err := checkIdentity(c, "the app's appId", p.AppID, app.AppID); err != nil {
			return nil, err
		}
		return app, checkIdentity(c, "the app's object id", p.ObjectID, app.ObjectID)
	}
	app, err := retryGet(ctx, r, c, "GET application", func(ctx context.Context) (*azure.Application, error) {
		return dir.GetApplicationByUniqueName(ctx, p.UniqueName)
	})
	if err != nil {
		return nil, err
	}
	return app, checkIdentity(c, "the app's object id", p.ObjectID, app.ObjectID)
}

// getAppByAppID reads the app with client id appID.
func (r *run) getAppByAppID(ctx context.Context, c *planner.Change, dir azure.Directory, appID string) (*azure.Application, error) {
	return retryGet(ctx, r, c, "GET application", func(ctx context.Context) (*azure.Application, error) {
		return dir.GetApplicationByAppID(ctx, appID)
	})
}

func appSpec(p *planner.AppPayload) azure.ApplicationSpec {
	return azure.ApplicationSpec{
		UniqueName:                  p.UniqueName,
		DisplayName:                 p.DisplayName,
		SignInAudience:              p.SignInAudience,
		RedirectURIs:                p.RedirectURIs,
		Tags:                        p.Tags,
		RequestedAccessTokenVersion: p.RequestedAccessTokenVersion,
	}
}

func appResource(c *planner.Change, objectID, appID string) state.Resource {
	return state.Resource{
		Address: c.Address.String(),
		Type:    state.TypeApplication,
		Tenant:  c.Tenant,
		ID:      objectID,
		Origin:  originFor(c),
		Attributes: map[string]string{
			"appId":       appID,
			"uniqueName":  c.App.UniqueName,
			"displayName": c.App.DisplayName,
		},
	}
}
