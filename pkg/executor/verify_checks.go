package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// signIn fills a party's sign-in row: a token as the app in its tenant,
// which proves the secret works there and that the app has a service
// principal there (consent was given).
func (v *verifier) signIn(ctx context.Context, p *party) Check {
	c := v.pending(p, CheckSignIn, signInObject, planner.SPAddress(p.name).String())
	var id azure.TokenIdentity
	err := v.retry(ctx, "sign-in "+p.name, func(ctx context.Context) error {
		var err error
		id, err = v.app.SignInIdentity(ctx, p.tenant)
		return err
	})
	if err != nil {
		return v.failed(c, p, err)
	}
	p.identity, p.signedIn = id, true
	c.Result, c.Via = ResultOK, "app"
	c.Detail = "token issued; service principal " + id.ObjectID
	return c
}

// checkRole proves the app's service principal holds role at scope: it lists
// the principal's assignments at scope as the app (Reader and Contributor
// both allow it); when the app may not read them, as galshare's operator.
func (v *verifier) checkRole(ctx context.Context, p *party, c Check, scope string, role spec.Role) Check {
	if !p.signedIn {
		c.Detail = "needs a token in this tenant (see sign-in)"
		return c
	}
	found, via, err := v.findRole(ctx, p, scope, role)
	if err != nil {
		return v.failed(c, p, err)
	}
	c.Via = via
	if found == nil {
		c.Result = ResultFail
		c.Detail = fmt.Sprintf("%s is not assigned to the app's service principal %s at this scope", role, p.identity.ObjectID)
		c.Error = fmt.Sprintf("tenant %s: LIST roleAssignments at %s for principal %s: no %s assignment (%s)",
			p.tenant, scope, p.identity.ObjectID, role, role.DefinitionGUID)
		c.Fix = v.grantFix(p, scope, role)
		return c
	}
	c.Result = ResultOK
	c.Detail = "assignment " + found.Name
	if via == "operator" {
		c.Detail += " (read with galshare's credentials: the app may not list role assignments here)"
	}
	return c
}

// findRole returns the assignment of role at scope to the party's service
// principal (nil when there is none) and whose token found it.
func (v *verifier) findRole(ctx context.Context, p *party, scope string, role spec.Role) (*azure.RoleAssignment, string, error) {
	list := func(ctx context.Context, res azure.Resources) (*azure.RoleAssignment, error) {
		var found *azure.RoleAssignment
		err := v.retry(ctx, "role "+scope, func(ctx context.Context) error {
			ras, err := res.ListRoleAssignments(ctx, scope, p.identity.ObjectID)
			if err != nil {
				return err
			}
			for i := range ras {
				if strings.EqualFold(ras[i].RoleDefinitionGUID, role.DefinitionGUID) {
					found = &ras[i]
					return nil
				}
			}
			return errVerifyRoleMissing
		})
		if errors.Is(err, errVerifyRoleMissing) {
			return nil, nil
		}
		return found, err
	}
	res, err := v.app.Resources(ctx, p.tenant)
	if err != nil {
		return nil, "", err
	}
	found, err := list(ctx, res)
	if err == nil {
		return found, "app", nil
	}
	if azure.KindOf(err) != azure.KindPermissionDenied || v.opts.Operator == nil {
		return nil, "", err
	}
	// The app may not read role assignments here, which already says it lacks
	// any role with */read at scope; ask with galshare's credentials to tell
	// "missing" from "present but without read".
	v.log.Debug("app cannot list role assignments; asking as the operator", "tenant", p.tenant, "scope", scope)
	ores, oerr := v.opts.Operator.Resources(ctx, p.tenant)
	if oerr == nil {
		var ofound *azure.RoleAssignment
		if ofound, oerr = list(ctx, ores); oerr == nil {
			return ofound, "operator", nil
		}
	}
	v.log.Debug("operator cannot list role assignments either", "tenant", p.tenant, "error", oerr)
	return nil, "", err
}

// checkImageRead proves a consumer can use an image version the way a VM
// create will: a token in the consumer tenant plus the publisher token as
// x-ms-authorization-auxiliary, reading the version in the publisher's
// gallery; and that the version is built and replicated.
func (v *verifier) checkImageRead(ctx context.Context, p, pub *party, c Check, g spec.Gallery, w spec.ImageVersionRef) Check {
	iv, c, ok := crossTenantRead(ctx, v, p, pub, c, "image "+c.Object, func(ctx context.Context, res azure.Resources) (*azure.ImageVersion, error) {
		return res.GetImageVersion(ctx, g.ID, w.Image, w.Version)
	})
	if !ok {
		return c
	}
	c.Via = "app"
	if !iv.Ready() {
		c.Result = ResultFail
		c.Detail = "readable, but not ready: " + verifyReplication(iv)
		c.Error = fmt.Sprintf("tenant %s: GET imageVersion %s/images/%s/versions/%s: provisioning %s, replication %s",
			p.tenant, g.ID, w.Image, w.Version, verifyOr(iv.ProvisioningState), verifyOr(iv.AggregatedReplication))
		c.Fix = "wait for the version to finish replicating (galshare apply waits for it), then verify again"
		if iv.Failed() {
			c.Fix = "replication failed: fix or re-publish the image version in the publisher's gallery"
		}
		return c
	}
	c.Result = ResultOK
	c.Detail = "readable with the auxiliary token; " + verifyReplication(iv)
	return c
}

// checkGalleryRead is checkImageRead for a gallery with no version to wait
// for: the gallery itself must be readable cross-tenant.
func (v *verifier) checkGalleryRead(ctx context.Context, p, pub *party, c Check, g spec.Gallery) Check {
	gal, c, ok := crossTenantRead(ctx, v, p, pub, c, "gallery "+g.Name, func(ctx context.Context, res azure.Resources) (*azure.Gallery, error) {
		return res.GetGallery(ctx, g.ID)
	})
	if !ok {
		return c
	}
	c.Result, c.Via = ResultOK, "app"
	c.Detail = "readable with the auxiliary token"
	if gal.UniqueName != "" {
		c.Detail += "; unique name " + gal.UniqueName
	}
	return c
}

// crossTenantRead is the cross-tenant read both checks make: as the app in
// p's tenant, with the publisher's token as x-ms-authorization-auxiliary,
// retried as what. ok is false when the read could not run or failed; c then
// already says why.
func crossTenantRead[T any](ctx context.Context, v *verifier, p, pub *party, c Check, what string, read func(context.Context, azure.Resources) (T, error)) (T, Check, bool) {
	var got T
	if why := v.crossTenantBlocked(p, pub); why != "" {
		c.Detail = why
		return got, c, false
	}
	res, err := v.app.ResourcesWithAuxiliary(ctx, p.tenant, pub.tenant)
	if err != nil {
		return got, v.failed(c, p, err), false
	}
	err = v.retry(ctx, what, func(ctx context.Context) error {
		var err error
		got, err = read(ctx, res)
		return err
	})
	if err != nil {
		return got, v.failed(c, p, err), false
	}
	return got, c, true
}

// crossTenantBlocked says why a cross-tenant read cannot run ("" when it can).
func (v *verifier) crossTenantBlocked(p, pub *party) string {
	switch {
	case !p.signedIn && !pub.signedIn:
		return "needs tokens in this tenant and the publisher tenant (see sign-in)"
	case !p.signedIn:
		return "needs a token in this tenant (see sign-in)"
	case !pub.signedIn:
		return "needs a token in the publisher tenant for the auxiliary header (see the publisher's sign-in)"
	}
	return ""
}

// verifyReplication is "Succeeded, replication Completed (eastus Completed, …)".
func verifyReplication(iv *azure.ImageVersion) string {
	var regions []string
	for _, r := range iv.Regions {
		s := r.Region + " " + r.State
		if !strings.EqualFold(r.State, "Completed") && r.Progress > 0 {
			s += fmt.Sprintf(" %d%%", r.Progress)
		}
		regions = append(regions, s)
	}
	out := verifyOr(iv.ProvisioningState) + ", replication " + verifyOr(iv.AggregatedReplication)
	if len(regions) > 0 {
		out += " (" + strings.Join(regions, ", ") + ")"
	}
	return out
}

func verifyOr(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
