package azsim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned by the inspection and mutation helpers when the named tenant, app or object is missing.
var ErrNotFound = errors.New("azsim: not found")

// AppView is a read-only snapshot of an application (no secret material).
type AppView struct {
	ID, AppID, TenantID, DisplayName, UniqueName, SignInAudience string
	Tags, RedirectURIs, Owners                                   []string
	Notes                                                        string
	Passwords                                                    []PasswordView
	FederatedCredentials                                         []FederatedCredentialView
	CreatedAt                                                    time.Time
	Visible                                                      bool // replicated (past the lag)
}

// PasswordView is a client secret's metadata: what Graph shows on reads.
type PasswordView struct {
	KeyID, DisplayName, Hint string
	Start, End               time.Time
}

// FederatedCredentialView is a federated identity credential.
type FederatedCredentialView struct {
	ID, Name, Issuer, Subject string
	Audiences                 []string
}

// SPView is a read-only snapshot of a service principal.
type SPView struct {
	ID, AppID, TenantID, DisplayName, AppOwnerOrganizationID string
	AppRoles, Tags                                           []string
	CreatedAt                                                time.Time
	Visible                                                  bool
}

// Applications returns the applications homed in a tenant, oldest first.
func (sim *Sim) Applications(tenantID string) []AppView {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []AppView
	for _, a := range s.w.Directory.Apps {
		if strings.EqualFold(a.TenantID, tenantID) {
			out = append(out, appView(a, now))
		}
	}
	sortByCreation(out, func(a AppView) (time.Time, string) { return a.CreatedAt, a.ID })
	return out
}

// Application returns the application with the given client id (appId), wherever it is homed.
func (sim *Sim) Application(appID string) (AppView, bool) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.Directory.appByAppID(appID)
	if a == nil {
		return AppView{}, false
	}
	return appView(a, s.now()), true
}

func appView(a *application, now time.Time) AppView {
	v := AppView{
		ID: a.ID, AppID: a.AppID, TenantID: a.TenantID, DisplayName: a.DisplayName, UniqueName: a.UniqueName,
		SignInAudience: a.SignInAudience, Tags: slices.Clone(a.Tags), RedirectURIs: slices.Clone(a.RedirectURIs),
		Owners: slices.Clone(a.Owners), Notes: a.Notes, CreatedAt: a.CreatedAt, Visible: visible(a.VisibleAt, now),
	}
	for _, p := range a.Passwords {
		v.Passwords = append(v.Passwords, PasswordView{KeyID: p.KeyID, DisplayName: p.DisplayName, Hint: p.Hint,
			Start: p.Start, End: p.End})
	}
	for _, f := range a.FICs {
		v.FederatedCredentials = append(v.FederatedCredentials, FederatedCredentialView{ID: f.ID, Name: f.Name,
			Issuer: f.Issuer, Subject: f.Subject, Audiences: slices.Clone(f.Audiences)})
	}
	return v
}

// ServicePrincipals returns a tenant's service principals, oldest first.
func (sim *Sim) ServicePrincipals(tenantID string) []SPView {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return nil
	}
	now := s.now()
	out := make([]SPView, 0, len(t.SPs))
	for _, sp := range t.SPs {
		out = append(out, spView(sp, now))
	}
	sortByCreation(out, func(sp SPView) (time.Time, string) { return sp.CreatedAt, sp.ID })
	return out
}

// ServicePrincipal returns the service principal of appID in a tenant.
func (sim *Sim) ServicePrincipal(tenantID, appID string) (SPView, bool) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return SPView{}, false
	}
	sp := t.spByAppID(appID)
	if sp == nil {
		return SPView{}, false
	}
	return spView(sp, s.now()), true
}

func spView(sp *servicePrincipal, now time.Time) SPView {
	return SPView{ID: sp.ID, AppID: sp.AppID, TenantID: sp.TenantID, DisplayName: sp.DisplayName,
		AppOwnerOrganizationID: sp.AppOwnerOrganizationID, AppRoles: slices.Clone(sp.AppRoles),
		Tags: slices.Clone(sp.Tags), CreatedAt: sp.CreatedAt, Visible: visible(sp.VisibleAt, now)}
}

// ConsentAsAdmin does what an admin accepting the consent page does: it creates the app's service principal in
// the tenant (subject to the replication lag) unless it exists, and returns its object id.
func (sim *Sim) ConsentAsAdmin(tenantID, appID string) (string, error) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return "", fmt.Errorf("consent: tenant %s: %w", tenantID, ErrNotFound)
	}
	app := s.w.Directory.appByAppID(appID)
	if app == nil || !s.appVisibleIn(app, t.ID, s.now()) {
		return "", fmt.Errorf("consent: app %s is not visible in tenant %s: %w", appID, tenantID, ErrNotFound)
	}
	if sp := t.spByAppID(appID); sp != nil {
		return sp.ID, nil
	}
	return s.addServicePrincipal(t, app, s.now()).ID, nil
}

// GrantGraphPermissions adds Graph application permissions (app roles such as Application.ReadWrite.All) to the
// service principal of appID in a tenant, as an admin granting them in the portal would.
func (sim *Sim) GrantGraphPermissions(tenantID, appID string, perms ...string) error {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return fmt.Errorf("grant: tenant %s: %w", tenantID, ErrNotFound)
	}
	sp := t.spByAppID(appID)
	if sp == nil {
		return fmt.Errorf("grant: no service principal for %s in %s: %w", appID, tenantID, ErrNotFound)
	}
	for _, p := range perms {
		if !knownGraphPermissions[strings.ToLower(p)] {
			return fmt.Errorf("grant: unknown Graph permission %q", p)
		}
		if !slices.ContainsFunc(sp.AppRoles, func(r string) bool { return strings.EqualFold(r, p) }) {
			sp.AppRoles = append(sp.AppRoles, p)
		}
	}
	s.changed()
	return nil
}

// WorldJSON returns a read-only JSON snapshot of the world with secrets removed (as GET /_sim/world).
func (sim *Sim) WorldJSON() ([]byte, error) { return sim.srv.redactedWorld() }

// Lag returns the current Entra replication lag.
func (sim *Sim) Lag() time.Duration {
	sim.srv.mu.Lock()
	defer sim.srv.mu.Unlock()
	return sim.srv.lag
}
