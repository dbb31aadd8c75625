package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// Azure-side truth, read from the simulator directly (never through galshare or the API under test).

// noteDelivery records the secret currently in the delivery file, so the leak scan knows every value galshare
// delivered and the checks know which keyId was delivered last.
func (l *lifecycle) noteDelivery() {
	if l.deliverPath == "" {
		return
	}
	b, err := os.ReadFile(l.deliverPath)
	if err != nil {
		return
	}
	var d struct {
		Secret string `json:"secret"`
		KeyID  string `json:"keyId"`
	}
	if json.Unmarshal(b, &d) == nil && d.Secret != "" {
		l.delivered[d.Secret] = true
		l.lastKey = d.KeyID
	}
}

// ourApps are the applications galshare made for this manifest in the publisher tenant: found by uniqueName or by
// the galshare:<manifest> tag (as a lost-state re-discovery would).
func (l *lifecycle) ourApps() []azsim.AppView {
	var out []azsim.AppView
	tag := "galshare:" + l.m.Name
	for _, a := range l.sim.Applications(l.m.Publisher.Tenant) {
		if strings.EqualFold(a.UniqueName, l.m.Publisher.App.UniqueName) || hasFold(a.Tags, tag) {
			out = append(out, a)
		}
	}
	return out
}

func hasFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// tenants are the publisher and every consumer tenant of the manifest.
func (l *lifecycle) tenants() []string {
	out := []string{l.m.Publisher.Tenant}
	for _, c := range l.m.Consumers {
		out = append(out, c.Tenant)
	}
	return out
}

// spsOf returns appID's service principals in a tenant.
func (l *lifecycle) spsOf(tenant, appID string) []azsim.SPView {
	var out []azsim.SPView
	for _, sp := range l.sim.ServicePrincipals(tenant) {
		if strings.EqualFold(sp.AppID, appID) {
			out = append(out, sp)
		}
	}
	return out
}

// assignments returns the role assignments of principal at exactly scope with role.
func assignments(all []azsim.RoleAssignmentView, scope, principal string, role spec.Role) []azsim.RoleAssignmentView {
	var out []azsim.RoleAssignmentView
	for _, ra := range all {
		if strings.EqualFold(strings.TrimRight(ra.Scope, "/"), strings.TrimRight(scope, "/")) &&
			strings.EqualFold(ra.PrincipalID, principal) &&
			(strings.EqualFold(ra.RoleID, role.DefinitionGUID) || (role.DefinitionGUID == "" && strings.EqualFold(ra.RoleName, role.Name))) {
			out = append(out, ra)
		}
	}
	return out
}

// checkPresent checks that every desired object exists exactly once, that every password has a delivered copy,
// and that the state file matches reality. It returns false when something desired is missing (not converged);
// duplicates, undelivered passwords and state mismatches are counted.
func (l *lifecycle) checkPresent(when string) bool {
	c := &l.res.c
	apps := l.ourApps()
	if len(apps) == 0 {
		l.problem("%s: the app is missing", when)
		return false
	}
	if len(apps) > 1 {
		c.Duplicates += len(apps) - 1
		l.problem("%s: %d apps for one manifest", when, len(apps))
	}
	app := apps[0]
	l.appID = app.AppID
	ok := true

	// Passwords: exactly one, and it is the delivered one.
	if l.deliverPath != "" {
		if len(app.Passwords) != 1 {
			if len(app.Passwords) > 1 {
				c.Duplicates += len(app.Passwords) - 1
			}
			l.problem("%s: the app has %d passwords, want 1", when, len(app.Passwords))
			ok = ok && len(app.Passwords) > 0
		}
		deliveredKey := ""
		if b, err := os.ReadFile(l.deliverPath); err == nil {
			var d struct{ Secret string }
			if json.Unmarshal(b, &d) == nil {
				if appID, keyID, found := l.sim.SecretKeyID(d.Secret); found && strings.EqualFold(appID, app.AppID) {
					deliveredKey = keyID
				}
			}
		}
		for _, p := range app.Passwords {
			if !strings.EqualFold(p.KeyID, deliveredKey) {
				c.Undelivered++
				l.problem("%s: password %s (hint %s) has no delivered copy", when, p.KeyID, p.Hint)
			}
		}
	}

	// Service principals: one per tenant.
	spIDs := map[string]string{} // tenant → SP object id
	for _, t := range l.tenants() {
		sps := l.spsOf(t, app.AppID)
		switch {
		case len(sps) == 0:
			l.problem("%s: no service principal in tenant %s", when, t)
			ok = false
			continue
		case len(sps) > 1:
			c.Duplicates += len(sps) - 1
			l.problem("%s: %d service principals in tenant %s", when, len(sps), t)
		}
		spIDs[strings.ToLower(t)] = sps[0].ID
		for _, sp := range sps {
			if !l.humanSPs[sp.ID] {
				l.ourSPs[sp.ID] = true
			}
		}
	}

	// Role assignments: one per gallery and per grant.
	all := l.sim.RoleAssignments()
	want := func(scope, principal string, role spec.Role, what string) {
		n := len(assignments(all, scope, principal, role))
		switch {
		case n == 0:
			l.problem("%s: %s missing", when, what)
			ok = false
		case n > 1:
			c.Duplicates += n - 1
			l.problem("%s: %s exists %d times", when, what, n)
		}
	}
	for _, g := range l.m.Publisher.Galleries {
		if p := spIDs[strings.ToLower(l.m.Publisher.Tenant)]; p != "" {
			want(g.ID, p, g.Role, g.Role.String()+" on gallery "+g.Name)
		}
	}
	for _, cons := range l.m.Consumers {
		p := spIDs[strings.ToLower(cons.Tenant)]
		if p == "" {
			continue
		}
		for _, gr := range cons.Grants {
			want(gr.Scope, p, gr.Role, gr.Role.String()+" for "+cons.Name+" on "+gr.Scope)
		}
	}
	l.checkState(when, false)
	return ok
}

// checkGone checks that nothing galshare created survives destroy and that the state is empty.
func (l *lifecycle) checkGone() bool {
	c := &l.res.c
	for _, a := range l.ourApps() {
		c.Orphans++
		l.problem("after destroy: app %s (%s) still exists", a.DisplayName, a.AppID)
	}
	for _, t := range l.tenants() {
		for _, sp := range l.sim.ServicePrincipals(t) {
			if l.ourSPs[sp.ID] || (strings.EqualFold(sp.AppID, l.appID) && !l.humanSPs[sp.ID]) {
				c.Orphans++
				l.problem("after destroy: service principal %s still exists in %s", sp.ID, t)
			}
		}
	}
	for _, ra := range l.sim.RoleAssignments() {
		if l.ourSPs[strings.ToLower(ra.PrincipalID)] || l.ourSPs[ra.PrincipalID] {
			if !l.humanRAs[ra.Name] {
				c.Orphans++
				l.problem("after destroy: role assignment %s (%s at %s) still exists", ra.Name, ra.RoleName, ra.Scope)
			}
		}
	}
	l.checkState("after destroy", true)
	return true
}

// checkState compares the state file with the simulator: every recorded object exists with the recorded id, every
// object galshare made is recorded, and no journal entry is left open. empty says the state must hold nothing.
func (l *lifecycle) checkState(when string, empty bool) {
	c := &l.res.c
	st, err := state.Read(l.statePath)
	if err != nil {
		c.StateMismatches++
		l.problem("%s: state unreadable: %v", when, err)
		return
	}
	if len(st.Journal) > 0 {
		c.StateMismatches++
		l.problem("%s: %d journal entries left open", when, len(st.Journal))
	}
	if empty {
		for _, r := range st.Resources {
			if r.Type == state.TypeWait {
				continue
			}
			c.StateMismatches++
			l.problem("%s: state still records %s", when, r.Address)
		}
		return
	}
	apps := l.ourApps()
	all := l.sim.RoleAssignments()
	recorded := map[string]bool{}
	for _, r := range st.Resources {
		recorded[strings.ToLower(r.ID)] = true
		found := false
		switch r.Type {
		case state.TypeApplication:
			for _, a := range apps {
				found = found || strings.EqualFold(a.ID, r.ID)
			}
		case state.TypePassword:
			for _, a := range apps {
				for _, p := range a.Passwords {
					found = found || strings.EqualFold(p.KeyID, r.ID)
				}
			}
		case state.TypeServicePrincipal:
			for _, sp := range l.sim.ServicePrincipals(r.Tenant) {
				found = found || strings.EqualFold(sp.ID, r.ID)
			}
		case state.TypeRoleAssignment:
			for _, ra := range all {
				found = found || strings.EqualFold(ra.ID, r.ID)
			}
		default:
			found = true
		}
		if !found {
			c.StateMismatches++
			l.problem("%s: state records %s (%s) but it does not exist", when, r.Address, r.ID)
		}
	}
	// Reverse: what galshare made must be recorded.
	for _, a := range apps {
		if !recorded[strings.ToLower(a.ID)] {
			c.StateMismatches++
			l.problem("%s: app %s exists but is not in state", when, a.ID)
		}
		for _, p := range a.Passwords {
			if !recorded[strings.ToLower(p.KeyID)] {
				c.StateMismatches++
				l.problem("%s: password %s exists but is not in state", when, p.KeyID)
			}
		}
	}
	for id := range l.ourSPs {
		exists := false
		for _, t := range l.tenants() {
			for _, sp := range l.sim.ServicePrincipals(t) {
				exists = exists || sp.ID == id
			}
		}
		if exists && !recorded[strings.ToLower(id)] {
			c.StateMismatches++
			l.problem("%s: service principal %s exists but is not in state", when, id)
		}
	}
	for _, ra := range all {
		if l.ourSPs[ra.PrincipalID] && !l.humanRAs[ra.Name] && !recorded[strings.ToLower(ra.ID)] {
			c.StateMismatches++
			l.problem("%s: role assignment %s exists but is not in state", when, ra.ID)
		}
	}
}

// checkModes checks that state, backup and delivered secret are private files (0600).
func (l *lifecycle) checkModes() {
	for _, p := range []string{l.statePath, l.statePath + ".backup", l.deliverPath} {
		if p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			l.res.c.BadModes++
			l.problem("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
}

// actAsAdmin does what a blocked apply asks an administrator of a manual consumer tenant to do: consent (which
// creates the app's service principal there) and grant the roles. It reports whether anything was left to do.
func (l *lifecycle) actAsAdmin() (bool, error) {
	apps := l.ourApps()
	if len(apps) == 0 {
		return false, errors.New("apply exited 3 but the app does not exist yet")
	}
	appID := apps[0].AppID
	acted := false
	for _, cons := range l.m.Consumers {
		if cons.Access != spec.AccessManual {
			continue
		}
		sps := l.spsOf(cons.Tenant, appID)
		spID := ""
		if len(sps) > 0 {
			spID = sps[0].ID
		} else {
			var err error
			for try := 0; ; try++ { // the app becomes visible in other tenants only after the replication lag
				if spID, err = l.sim.ConsentAsAdmin(cons.Tenant, appID); err == nil || try == 40 {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if err != nil {
				return false, err
			}
			l.humanSPs[spID] = true
			acted = true
		}
		all := l.sim.RoleAssignments()
		for _, gr := range cons.Grants {
			if len(assignments(all, gr.Scope, spID, gr.Role)) > 0 {
				continue
			}
			name, err := l.sim.GrantRole(gr.Scope, gr.Role.String(), spID)
			if err != nil {
				return false, err
			}
			l.humanRAs[name] = true
			acted = true
		}
	}
	return acted, nil
}

// scanLeaks searches every byte galshare wrote — its work directory (state, backup, lock, plan file, temp files
// left by kills) and the captured stdout/stderr (trace logs, JSON events, crash output) — for every secret value
// seen in the run and for anything shaped like an issued secret. The delivery target is the one place a secret
// belongs.
func (l *lifecycle) scanLeaks() {
	secrets := l.sim.OperatorSecrets()
	for s := range l.delivered {
		secrets = append(secrets, s)
	}
	skip := func(rel string) bool {
		return l.deliverPath != "" && filepath.Join(l.work, rel) == l.deliverPath
	}
	for _, dir := range []string{l.work, l.outDir} {
		leaks, err := azsim.ScanDir(secrets, dir, skip)
		if err != nil {
			l.problem("leak scan: %v", err)
		}
		for _, lk := range leaks {
			l.res.c.LeakedSecrets++
			l.problem("leak: %s", lk)
		}
	}
}
