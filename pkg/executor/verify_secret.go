package executor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// secretSource is where verify reads the secret: --secret-file, else
// --secret-from, else the manifest's delivery target (a file or a vault).
func (v *verifier) secretSource() (planner.Delivery, error) {
	if v.opts.SecretFile != "" {
		return planner.Delivery{Kind: spec.DeliveryFile, Path: v.opts.SecretFile}, nil
	}
	if v.opts.SecretFrom != nil {
		return *v.opts.SecretFrom, nil
	}
	s := v.m.Publisher.App.Secret
	if s == nil {
		return planner.Delivery{}, fmt.Errorf("%w: the manifest has no publisher.app.secret section", ErrVerifyNoSecret)
	}
	d := s.DeliverTo
	switch {
	case d.Kind == spec.DeliveryFile && d.Path != "":
		return planner.Delivery{Kind: d.Kind, Path: d.Path}, nil
	case d.Kind == spec.DeliveryKeyVault && d.VaultURL != "" && d.SecretName != "":
		return planner.Delivery{Kind: d.Kind, VaultURL: d.VaultURL, SecretName: d.SecretName}, nil
	}
	return planner.Delivery{}, fmt.Errorf("%w: secret delivery %q is not one galshare can read back", ErrVerifyNoSecret, d.Kind)
}

// readSecret reads the delivered document from src; notFound says it is
// simply not there yet (no file, no such secret in the vault).
func (v *verifier) readSecret(ctx context.Context, src planner.Delivery) (doc azure.DeliveredSecret, notFound bool, err error) {
	if src.Kind == spec.DeliveryKeyVault {
		if v.opts.Vaults == nil {
			return doc, false, fmt.Errorf("%w: this run has no Key Vault access", ErrVerifyNoSecret)
		}
		kv, err := v.opts.Vaults.KeyVault(ctx, v.m.Publisher.Tenant, src.VaultURL)
		if err != nil {
			return doc, false, err
		}
		doc, err = kv.GetClientSecret(ctx, src.SecretName)
		if err == nil && doc.Tenant == "" {
			err = fmt.Errorf("%s lacks the tenant tag", src)
		}
		return doc, azure.IsNotFound(err), err
	}
	doc, err = azure.ReadDeliveredSecret(src.Path)
	if err == nil && doc.Tenant == "" {
		err = fmt.Errorf("%s lacks tenant", src.Path)
	}
	return doc, errors.Is(err, fs.ErrNotExist), err
}

// checkSecret adds the secret row: the delivered document exists, is for the
// publisher tenant and has not expired. It returns the value for sign-in
// (ok false when there is none to use).
func (v *verifier) checkSecret(ctx context.Context, pub *party) (azure.Secret, bool) {
	c := Check{Party: pub.name, Tenant: pub.tenant, Kind: CheckSecret,
		Address: planner.PasswordAddress(v.m.Publisher.App.DisplayName).String()}
	row := v.add(c)
	fail := func(detail, fix string, err error) (azure.Secret, bool) {
		c.Result, c.Detail, c.Fix = ResultFail, detail, fix
		if err != nil {
			c.Error = err.Error()
		}
		v.set(row, c)
		return azure.Secret{}, false
	}
	src, err := v.secretSource()
	if err != nil {
		c.Object = "(no delivery target)"
		return fail("no secret to sign in with", "add publisher.app.secret.deliverTo (file:PATH or keyvault:URL) to the manifest and run galshare apply, or pass --secret-file", err)
	}
	c.Object = src.String()
	if src.Kind == spec.DeliveryFile {
		c.Object = src.Path
	}
	doc, notFound, err := v.readSecret(ctx, src)
	what := "the delivered secret file"
	if src.Kind == spec.DeliveryKeyVault {
		what = "the delivered Key Vault secret"
	}
	switch {
	case notFound:
		return fail(what+" does not exist",
			"run galshare apply: it creates the client secret and delivers it to "+c.Object, err)
	case err != nil:
		return fail(what+" cannot be used", "run galshare apply to deliver a new secret (it replaces the file or adds a vault version)", err)
	}
	if !strings.EqualFold(doc.Tenant, v.m.Publisher.Tenant) {
		return fail(fmt.Sprintf("the secret is for tenant %s, not the publisher tenant %s", doc.Tenant, v.m.Publisher.Tenant),
			"point --secret-file at this manifest's secret, or run galshare apply", nil)
	}
	v.appID = doc.ClientID
	now := v.now()
	left := doc.EndDateTime.Sub(now)
	base := fmt.Sprintf("client id %s, keyId %s", doc.ClientID, verifyShortID(doc.KeyID))
	switch {
	case !doc.EndDateTime.IsZero() && left <= 0:
		return fail(fmt.Sprintf("%s expired on %s", base, doc.EndDateTime.UTC().Format(time.DateOnly)),
			"run galshare apply: it rotates an expired secret and delivers the new one", nil)
	case doc.EndDateTime.IsZero():
		c.Detail = base + ", no expiry recorded"
	default:
		c.Detail = fmt.Sprintf("%s, expires %s (in %s)", base, doc.EndDateTime.UTC().Format(time.DateOnly), verifyDays(left))
		if s := v.m.Publisher.App.Secret; s != nil && s.RenewBefore > 0 && left < s.RenewBefore {
			c.Detail += "; rotation due: run galshare apply"
		}
	}
	c.Result = ResultOK
	v.set(row, c)
	return doc.Secret, true
}

// verifyDays renders a duration as days (or hours under two days).
func verifyDays(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
