package executor

import (
	"context"
	"fmt"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// StaleError refuses a change whose live object moved since the plan was
// made: the reviewed decision no longer matches reality.
type StaleError struct {
	Address string
	// What says how it changed ("changed since plan", "no longer exists").
	What string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s: %s; run plan again", e.Address, e.What)
}

// checkFresh re-reads the object a change is about to write and compares its
// fingerprint with the plan's, using the planner's own fingerprint functions.
// Changes planned against an absent object (no fingerprint) need no check:
// their creates are idempotent. No-ops write nothing to Azure, so apply does
// not re-read them (a saved plan is re-derived from a fresh refresh before
// apply starts, which compares every fingerprint; see
// planner.VerifyRederived): that also keeps apply working for objects the
// planner could only observe as the app itself, in a manual tenant galshare
// has no credentials for.
func (r *run) checkFresh(ctx context.Context, c *planner.Change) error {
	if c.Action == planner.NoOp {
		return nil
	}
	return r.compareFingerprint(ctx, c)
}

// compareFingerprint re-reads c's object and refuses it when it moved.
func (r *run) compareFingerprint(ctx context.Context, c *planner.Change) error {
	if c.Fingerprint == "" || c.Action == planner.Wait || c.Action == planner.Blocked {
		return nil
	}
	got, err := r.liveFingerprint(ctx, c)
	if err != nil {
		if azure.IsNotFound(err) {
			return &StaleError{Address: c.Address.String(), What: "the object no longer exists (deleted since plan)"}
		}
		return fmt.Errorf("%s: re-reading the object to check it did not change since plan: %w", c.Address, err)
	}
	if got == "" {
		return &StaleError{Address: c.Address.String(), What: "the object no longer exists (deleted since plan)"}
	}
	if got != c.Fingerprint {
		return &StaleError{Address: c.Address.String(), What: "changed since plan (the live object differs from what the plan was made against)"}
	}
	return nil
}

// liveFingerprint reads the object of c and returns its fingerprint ("" when
// it is absent).
func (r *run) liveFingerprint(ctx context.Context, c *planner.Change) (string, error) {
	switch c.Type {
	case planner.TypeApplication:
		dir, err := r.opts.Clients.Directory(ctx, c.Tenant)
		if err != nil {
			return "", err
		}
		app, err := r.readApp(ctx, c, dir)
		if err != nil {
			return "", err
		}
		return planner.FingerprintApplication(app), nil
	case planner.TypePassword:
		p := c.Password
		keyID := p.KeyID
		if c.Action == planner.Replace && p.ReplacesKeyID != "" {
			keyID = p.ReplacesKeyID
		}
		appID, err := r.appIDOf(p.AppID, p.AppAddress)
		if err != nil {
			return "", err
		}
		dir, err := r.opts.Clients.Directory(ctx, c.Tenant)
		if err != nil {
			return "", err
		}
		app, err := r.getAppByAppID(ctx, c, dir, appID)
		if err != nil {
			return "", err
		}
		for i := range app.Passwords {
			if strings.EqualFold(app.Passwords[i].KeyID, keyID) {
				return planner.FingerprintPassword(&app.Passwords[i]), nil
			}
		}
		return "", nil
	case planner.TypeServicePrincipal:
		p := c.ServicePrincipal
		appID, err := r.appIDOf(p.AppID, p.AppAddress)
		if err != nil {
			return "", err
		}
		dir, err := r.opts.Clients.Directory(ctx, c.Tenant)
		if err != nil {
			return "", err
		}
		sp, err := r.getServicePrincipal(ctx, c, dir, appID)
		if err != nil {
			return "", err
		}
		if err := checkIdentity(c, "the service principal's object id", p.ObjectID, sp.ObjectID); err != nil {
			return "", err
		}
		return planner.FingerprintServicePrincipal(sp), nil
	case planner.TypeRoleAssignment:
		id := c.RoleAssignment.ExistingID
		if id == "" {
			return "", fmt.Errorf("the plan has a fingerprint but no assignment id")
		}
		res, err := r.opts.Clients.Resources(ctx, c.Tenant)
		if err != nil {
			return "", err
		}
		ra, err := retryGet(ctx, r, c, "GET roleAssignment", func(ctx context.Context) (*azure.RoleAssignment, error) {
			return res.GetRoleAssignment(ctx, id)
		})
		if err != nil {
			return "", err
		}
		// A Replace's existing assignment may be of the principal it
		// replaces; any other change acts on its own principal's.
		if c.Action != planner.Replace {
			if err := checkIdentity(c, "the role assignment's principal", c.RoleAssignment.PrincipalID, ra.PrincipalID); err != nil {
				return "", err
			}
		}
		return planner.FingerprintRoleAssignment(ra), nil
	}
	return "", nil
}
