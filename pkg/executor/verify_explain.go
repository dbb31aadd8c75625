package executor

import (
	"errors"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// failed turns an error of a check into its failed row: a short reason for
// the table (DETAIL), the full one-line error (tenant, object, call, Azure's
// answer) and a fix that fits who the tenant belongs to.
func (v *verifier) failed(c Check, p *party, err error) Check {
	c.Result = ResultFail
	c.Error = err.Error()
	var ae *azure.Error
	if !errors.As(err, &ae) {
		c.Detail = verifyClause(err.Error())
		return c
	}
	c.Code = ae.Code
	c.Fix = ae.Fix
	switch {
	case ae.Code == "AADSTS700016" && p.consumer != nil:
		c.Detail = "consent missing: the app has no service principal in this tenant (AADSTS700016)"
		c.Fix = v.consentFix(p)
	case ae.Code == "AADSTS700016":
		c.Detail = "the app does not exist in the publisher tenant (AADSTS700016): deleted, or not replicated yet"
		c.Fix = "run galshare apply to create it; if apply just ran, verify again with --retry-for 2m"
	case ae.Code == "AADSTS7000215":
		c.Detail = "the delivered secret is not valid for the app (AADSTS7000215): removed, rotated or not replicated yet"
		c.Fix = "run galshare apply to create and deliver a new secret; if apply just ran, verify again with --retry-for 2m"
	case ae.Code == "AADSTS7000222":
		c.Detail = "the delivered secret has expired (AADSTS7000222)"
		c.Fix = "run galshare apply: it rotates the secret and delivers the new one"
	case ae.Code == "AADSTS90002":
		c.Detail = "the tenant does not exist (AADSTS90002)"
		c.Fix = "check the tenant id in the manifest"
	case ae.Kind == azure.KindPermissionDenied && c.Kind == CheckImage || ae.Kind == azure.KindPermissionDenied && c.Kind == CheckRead:
		c.Detail = "the app may not read the publisher's gallery from this tenant: " + verifyReason(ae)
		c.Fix = "grant the app its role on the gallery in the publisher tenant (galshare apply does: gallery[…].role)"
	case ae.Kind == azure.KindPermissionDenied:
		c.Detail = "the app may not read role assignments here and galshare has no credentials to check: " + verifyReason(ae)
		c.Fix = v.grantFixFromCheck(p, c)
	case ae.Kind == azure.KindNotFound && (c.Kind == CheckImage || c.Kind == CheckRead):
		c.Detail = "not found in the publisher's gallery: " + verifyReason(ae)
		c.Fix = "check the gallery id and waitFor entries in the manifest, or publish the image version"
	default:
		c.Detail = verifyReason(ae)
	}
	if c.Fix == "" {
		c.Fix = "see the error; run galshare plan to compare the manifest with Azure"
	}
	// The error line names tenant, object and call; sign-in errors name no
	// object, so the row adds the app. When the row has its own fix, the
	// generic one in the error would only compete with it.
	named := *ae
	if named.Object == "" && c.Kind == CheckSignIn {
		named.Object = "app " + v.appID
	}
	if c.Fix != ae.Fix {
		named.Fix = ""
	}
	c.Error = named.Error()
	return c
}

// verifyReason is the short part of an *azure.Error: kind, code and message.
func verifyReason(e *azure.Error) string {
	s := e.Kind.String()
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + verifyClause(e.Message)
	}
	return s
}

// verifyClause keeps the first sentence of a message, for the table.
func verifyClause(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 && i < 200 {
		return s[:i]
	}
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// consentFix says how the app gets a service principal in a consumer tenant.
func (v *verifier) consentFix(p *party) string {
	if p.consumer != nil && p.consumer.Access == spec.AccessManual {
		redirect := ""
		if uris := v.m.Publisher.App.RedirectURIs; len(uris) > 0 {
			redirect = uris[0]
		}
		return "an administrator of tenant " + p.tenant + " opens " +
			planner.ConsentURL(v.opts.AuthorityHost, p.tenant, v.appID, redirect) + " and accepts"
	}
	return "run galshare apply: it creates the app's service principal in tenant " + p.tenant
}

// grantFix says how the app gets role at scope.
func (v *verifier) grantFix(p *party, scope string, role spec.Role) string {
	if p.consumer != nil && p.consumer.Access == spec.AccessManual {
		return "an administrator of tenant " + p.tenant + " runs: " + planner.RoleGrantCommand(v.appID, role.String(), scope)
	}
	return "run galshare apply: it creates the role assignment"
}

// grantFixFromCheck finds the scope and role of a role row to build its fix.
func (v *verifier) grantFixFromCheck(p *party, c Check) string {
	if p.consumer != nil {
		for _, gr := range p.consumer.Grants {
			if c.Scope == gr.Scope && strings.HasPrefix(c.Object, gr.Role.String()+" on ") {
				return v.grantFix(p, gr.Scope, gr.Role)
			}
		}
	}
	return "run galshare apply: it creates the role assignment"
}
