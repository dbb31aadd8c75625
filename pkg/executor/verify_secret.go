package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// secretPath is the delivery file verify reads: --secret-file, else the
// manifest's file delivery target.
func (v *verifier) secretPath() (string, error) {
	if v.opts.SecretFile != "" {
		return v.opts.SecretFile, nil
	}
	s := v.m.Publisher.App.Secret
	if s == nil {
		return "", fmt.Errorf("%w: the manifest has no publisher.app.secret section", ErrVerifyNoSecret)
	}
	if s.DeliverTo.Kind != spec.DeliveryFile || s.DeliverTo.Path == "" {
		return "", fmt.Errorf("%w: secret delivery %q is not a file galshare can read back", ErrVerifyNoSecret, s.DeliverTo.Kind)
	}
	return s.DeliverTo.Path, nil
}

// checkSecret adds the secret row: the delivered document exists, is for the
// publisher tenant and has not expired. It returns the value for sign-in
// (ok false when there is none to use).
func (v *verifier) checkSecret(pub *party) (azure.Secret, bool) {
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
	path, err := v.secretPath()
	if err != nil {
		c.Object = "(no delivery file)"
		return fail("no secret to sign in with", "add publisher.app.secret.deliverTo: file:PATH to the manifest and run galshare apply, or pass --secret-file", err)
	}
	c.Object = path
	doc, err := azure.ReadDeliveredSecret(path)
	if err == nil && doc.Tenant == "" {
		err = fmt.Errorf("%s lacks tenant", path)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("the delivered secret file does not exist",
			"run galshare apply: it creates the client secret and writes it to "+path, err)
	case err != nil:
		return fail("the delivered secret file cannot be used", "run galshare apply to deliver a new secret (it replaces the file)", err)
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
