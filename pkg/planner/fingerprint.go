package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
)

// Fingerprints are stable hashes of the fields of a live object that a
// change was decided on. The plan records them; apply re-reads the object,
// recomputes the fingerprint with the same function and refuses a change
// whose object moved since the plan ("changed since plan"). Fields that do not
// affect a decision (e.g. an app's passwords for the app itself) are left out
// so unrelated activity does not stale a plan.

func fingerprint(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
}

func sortedLower(xs []string) string {
	c := make([]string, len(xs))
	for i, x := range xs {
		c[i] = strings.ToLower(x)
	}
	slices.Sort(c)
	return strings.Join(c, "\x00")
}

// FingerprintApplication hashes an app's identity and the fields galshare
// manages. Passwords are not included: they have their own changes.
func FingerprintApplication(a *azure.Application) string {
	if a == nil {
		return ""
	}
	return fingerprint("application", strings.ToLower(a.ObjectID), strings.ToLower(a.AppID), a.DisplayName,
		a.UniqueName, a.SignInAudience, sortedLower(a.RedirectURIs), sortedLower(a.Tags),
		strconv.Itoa(a.RequestedAccessTokenVersion))
}

// FingerprintPassword hashes a password's keyId and validity window.
func FingerprintPassword(p *azure.PasswordCredential) string {
	if p == nil {
		return ""
	}
	return fingerprint("password", strings.ToLower(p.KeyID), p.End.UTC().Format(time.RFC3339))
}

// FingerprintServicePrincipal hashes a service principal's identity.
func FingerprintServicePrincipal(sp *azure.ServicePrincipal) string {
	if sp == nil {
		return ""
	}
	return fingerprint("service_principal", strings.ToLower(sp.Tenant), strings.ToLower(sp.ObjectID),
		strings.ToLower(sp.AppID))
}

// FingerprintRoleAssignment hashes an assignment's id, scope, role and
// principal.
func FingerprintRoleAssignment(ra *azure.RoleAssignment) string {
	if ra == nil {
		return ""
	}
	return fingerprint("role_assignment", IDKey(ra.ID), IDKey(ra.Scope), strings.ToLower(ra.RoleDefinitionGUID),
		strings.ToLower(ra.PrincipalID))
}
