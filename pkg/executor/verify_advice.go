package executor

import (
	"strings"

	"github.com/galshare/galshare/pkg/planner"
)

// followPlan makes each failed row's fix follow what apply would do: a fix
// that sends the reader to "run galshare apply" stays only when the plan has
// a write for the row's object (or, for a row without one, any write). Where
// the plan has nothing to do, or is blocked on a human, the fix says what
// does help instead, so verify never ends in advice that changes nothing.
// Without VerifyOptions.Plan the fixes are left as they are.
func (v *verifier) followPlan() {
	p := v.opts.Plan
	if p == nil {
		return
	}
	for i := range v.checks {
		c := &v.checks[i]
		if c.Result != ResultFail || !strings.Contains(c.Fix, "galshare apply") {
			continue
		}
		addr := c.Address
		secretRow := c.Kind == CheckSecret || c.Code == "AADSTS7000215" || c.Code == "AADSTS7000222"
		if secretRow {
			// A sign-in that fails on the secret is about the secret.
			addr = planner.PasswordAddress(v.m.Publisher.App.DisplayName).String()
		}
		var ch *planner.Change
		if addr != "" {
			if a, err := planner.ParseAddress(addr); err == nil {
				ch = p.Change(a)
			}
		}
		switch {
		case ch != nil && ch.Action == planner.Blocked && ch.Blocked != nil:
			c.Fix = "galshare apply cannot do this yet: the plan reports " + ch.Address.String() + " blocked: " + ch.Blocked.Why
			if len(ch.Blocked.Instructions) > 0 {
				c.Fix += ". " + ch.Blocked.Instructions[0]
			}
		case ch != nil && writes(ch):
			// apply acts on this very object: the fix stands.
		case ch == nil && addr == "" && p.HasChanges():
			// Not tied to one object, and apply has work to do.
		case secretRow:
			c.Fix = v.secretFixWithoutApply(ch)
		default:
			c.Fix = "galshare apply has nothing to do here: the plan sees " + orAddress(addr, "every object") +
				" as in place. If it changed moments ago, verify again with --retry-for 2m; otherwise run " +
				"galshare plan --show-unchanged and compare it with Azure"
		}
	}
}

// writes reports whether apply changes anything in Azure for c.
func writes(c *planner.Change) bool {
	switch c.Action {
	case planner.Create, planner.Update, planner.Replace, planner.Delete:
		return true
	}
	return false
}

// secretFixWithoutApply is the fix for a secret row when the plan keeps the
// password state records: its value is simply not at the delivery target.
func (v *verifier) secretFixWithoutApply(ch *planner.Change) string {
	key := "the password state records"
	if ch != nil && ch.Password != nil && ch.Password.KeyID != "" {
		key = "password " + ch.Password.KeyID
	}
	return "galshare apply has nothing to do here: " + key + " is the app's secret and still valid in Azure, but " +
		"verify found no usable copy of its value. Restore the delivered file, or pass --secret-file with a copy of it; if the value " +
		"is lost, remove that password from the app (Entra admin center > App registrations > the app > " +
		"Certificates & secrets), then galshare apply creates and delivers a new one"
}

func orAddress(a, def string) string {
	if a == "" {
		return def
	}
	return a
}
