package executor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// fakeAzure is an in-memory stand-in for the slice of Graph and ARM the
// executor writes to, with per-call error injection and a call log. It is
// deliberately small: end-to-end behaviour is tested on the simulator.
type fakeAzure struct {
	mu      sync.Mutex
	n       int
	apps    map[string]*azure.Application      // by object id
	sps     map[string]*azure.ServicePrincipal // by tenant|appId
	ras     map[string]*azure.RoleAssignment   // by lower(id)
	vers    map[string][]*azure.ImageVersion   // by version key: successive poll answers
	secrets map[string]string                  // keyId -> value, to scan outputs for
	calls   []string
	// fail maps a call name ("AddPassword", "CreateServicePrincipal"…) to
	// errors returned by its next calls, in order.
	fail map[string][]error
	// failAfter is like fail but the call takes effect before failing
	// (a dropped response).
	failAfter map[string][]error
	// onAdd, when set, runs as an AddPassword call arrives, before its
	// write: a test's second Ctrl-C landing while the call is in flight.
	onAdd func()
	// lateAdd makes AddPassword behave like a server that has not answered
	// when the caller gives up: the call blocks until its context ends and
	// its write lands only when the test calls the function it appends to
	// landAdd (Graph finishes a write whose client went away).
	lateAdd bool
	landAdd []func()
	// blankRA is how many CreateRoleAssignment calls answer an empty
	// assignment (what the SDK decodes from a 200 with an error body) after
	// taking effect.
	blankRA int
	// spAppIDOverride, when set, is the appId GetServicePrincipal answers
	// with: a read returning another app's service principal.
	spAppIDOverride string
}

func newFakeAzure() *fakeAzure {
	return &fakeAzure{
		apps: map[string]*azure.Application{}, sps: map[string]*azure.ServicePrincipal{},
		ras: map[string]*azure.RoleAssignment{}, vers: map[string][]*azure.ImageVersion{},
		secrets: map[string]string{}, fail: map[string][]error{}, failAfter: map[string][]error{},
	}
}

func (f *fakeAzure) id(prefix string) string {
	f.n++
	return fmt.Sprintf("%s-%04d", prefix, f.n)
}

// enter logs a call and returns an injected error, if any. Callers hold f.mu.
func (f *fakeAzure) enter(name string) error {
	f.calls = append(f.calls, name)
	if errs := f.fail[name]; len(errs) > 0 {
		f.fail[name] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeAzure) after(name string) error {
	if errs := f.failAfter[name]; len(errs) > 0 {
		f.failAfter[name] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeAzure) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func notFound(what string) error {
	return &azure.Error{Op: "GET", Object: what, StatusCode: 404, Code: "Request_ResourceNotFound", Kind: azure.KindNotFound, Message: "not found"}
}

func lagErr(code string) error {
	return &azure.Error{Op: "POST", StatusCode: 400, Code: code, Kind: azure.KindConsistencyLag, Message: "not replicated yet"}
}

func throttled(after time.Duration) error {
	return &azure.Error{Op: "POST", StatusCode: 429, Code: "TooManyRequests", Kind: azure.KindThrottled, RetryAfter: after}
}

func denied() error {
	return &azure.Error{Op: "PUT", StatusCode: 403, Code: "AuthorizationFailed", Kind: azure.KindPermissionDenied,
		MissingAction: "Microsoft.Authorization/roleAssignments/write", Fix: "grant Owner or User Access Administrator"}
}

func dropped() error {
	return &azure.Error{Op: "POST", StatusCode: 0, Kind: azure.KindTransient, Message: "connection reset"}
}

// clients returns azure.Clients for the fake; every tenant shares the world
// but sees its own service principals.
func (f *fakeAzure) clients() azure.Clients { return fakeClients{f} }

type fakeClients struct{ f *fakeAzure }

func (c fakeClients) Directory(_ context.Context, tenant string) (azure.Directory, error) {
	return &fakeDir{f: c.f, tenant: tenant}, nil
}

func (c fakeClients) Resources(_ context.Context, tenant string) (azure.Resources, error) {
	return &fakeRes{f: c.f, tenant: tenant}, nil
}

type fakeDir struct {
	f      *fakeAzure
	tenant string
}

func (d *fakeDir) Tenant() string { return d.tenant }

func (d *fakeDir) GetApplicationByUniqueName(_ context.Context, u string) (*azure.Application, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("GetApplicationByUniqueName"); err != nil {
		return nil, err
	}
	for _, a := range d.f.apps {
		if a.UniqueName == u {
			c := *a
			c.Passwords = slices.Clone(a.Passwords)
			return &c, nil
		}
	}
	return nil, notFound("application " + u)
}

func (d *fakeDir) GetApplicationByAppID(_ context.Context, appID string) (*azure.Application, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("GetApplicationByAppID"); err != nil {
		return nil, err
	}
	for _, a := range d.f.apps {
		if a.AppID == appID {
			c := *a
			c.Passwords = slices.Clone(a.Passwords)
			return &c, nil
		}
	}
	return nil, notFound("application " + appID)
}

func (d *fakeDir) ListApplicationsByTag(context.Context, string) ([]azure.Application, error) {
	return nil, nil
}

func (d *fakeDir) ListApplicationsByDisplayName(context.Context, string) ([]azure.Application, error) {
	return nil, nil
}

func (d *fakeDir) UpsertApplication(_ context.Context, s azure.ApplicationSpec) (*azure.Application, bool, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("UpsertApplication"); err != nil {
		return nil, false, err
	}
	for _, a := range d.f.apps {
		if a.UniqueName == s.UniqueName {
			a.DisplayName, a.RedirectURIs, a.Tags = s.DisplayName, s.RedirectURIs, s.Tags
			c := *a
			return &c, false, d.f.after("UpsertApplication")
		}
	}
	a := &azure.Application{ObjectID: d.f.id("obj"), AppID: d.f.id("appid"), DisplayName: s.DisplayName, UniqueName: s.UniqueName,
		SignInAudience: s.SignInAudience, RedirectURIs: s.RedirectURIs, Tags: s.Tags}
	d.f.apps[a.ObjectID] = a
	c := *a
	return &c, true, d.f.after("UpsertApplication")
}

func (d *fakeDir) UpdateApplication(_ context.Context, objectID string, s azure.ApplicationSpec) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("UpdateApplication"); err != nil {
		return err
	}
	a, ok := d.f.apps[objectID]
	if !ok {
		return notFound("application " + objectID)
	}
	a.DisplayName, a.RedirectURIs, a.Tags, a.SignInAudience = s.DisplayName, s.RedirectURIs, s.Tags, s.SignInAudience
	return nil
}

func (d *fakeDir) DeleteApplication(_ context.Context, objectID string) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("DeleteApplication"); err != nil {
		return err
	}
	delete(d.f.apps, objectID)
	return nil
}

// AddPassword takes effect whatever the caller's context does once the
// call has arrived, as on Graph; a caller whose context ended by the time
// the answer is ready gets the context's error instead of the answer (and
// so never sees the secret), as from an HTTP client.
func (d *fakeDir) AddPassword(ctx context.Context, appObjectID, displayName string, end time.Time) (*azure.NewPassword, error) {
	d.f.mu.Lock()
	onAdd, late := d.f.onAdd, d.f.lateAdd
	d.f.mu.Unlock()
	if onAdd != nil {
		onAdd()
	}
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("AddPassword"); err != nil {
		return nil, err
	}
	a, ok := d.f.apps[appObjectID]
	if !ok {
		return nil, notFound("application " + appObjectID)
	}
	key := d.f.id("key")
	value := "SeCrEt~" + key + "~Zq8"
	d.f.secrets[key] = value
	pc := azure.PasswordCredential{KeyID: key, DisplayName: displayName, Hint: value[:3], Start: end.Add(-time.Hour), End: end}
	if late {
		d.f.landAdd = append(d.f.landAdd, func() {
			d.f.mu.Lock()
			defer d.f.mu.Unlock()
			a.Passwords = append(a.Passwords, pc)
		})
		d.f.mu.Unlock()
		<-ctx.Done()
		d.f.mu.Lock()
		return nil, fmt.Errorf("POST addPassword: %w", ctx.Err())
	}
	a.Passwords = append(a.Passwords, pc)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("POST addPassword: %w", ctx.Err())
	}
	return &azure.NewPassword{PasswordCredential: pc, Secret: azure.NewSecret(value)}, d.f.after("AddPassword")
}

func (d *fakeDir) RemovePassword(_ context.Context, appObjectID, keyID string) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("RemovePassword"); err != nil {
		return err
	}
	a, ok := d.f.apps[appObjectID]
	if !ok {
		return notFound("application " + appObjectID)
	}
	a.Passwords = slices.DeleteFunc(a.Passwords, func(p azure.PasswordCredential) bool { return p.KeyID == keyID })
	return nil
}

func (d *fakeDir) GetServicePrincipal(_ context.Context, appID string) (*azure.ServicePrincipal, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("GetServicePrincipal"); err != nil {
		return nil, err
	}
	sp, ok := d.f.sps[d.tenant+"|"+appID]
	if !ok {
		return nil, notFound("servicePrincipal " + appID)
	}
	c := *sp
	if d.f.spAppIDOverride != "" {
		c.AppID = d.f.spAppIDOverride
	}
	return &c, nil
}

func (d *fakeDir) CreateServicePrincipal(_ context.Context, appID string, tags []string) (*azure.ServicePrincipal, bool, error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("CreateServicePrincipal"); err != nil {
		return nil, false, err
	}
	if sp, ok := d.f.sps[d.tenant+"|"+appID]; ok {
		c := *sp
		return &c, true, nil
	}
	sp := &azure.ServicePrincipal{Tenant: d.tenant, ObjectID: d.f.id("sp"), AppID: appID, Tags: tags}
	d.f.sps[d.tenant+"|"+appID] = sp
	c := *sp
	return &c, false, d.f.after("CreateServicePrincipal")
}

func (d *fakeDir) DeleteServicePrincipal(_ context.Context, objectID string) error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	if err := d.f.enter("DeleteServicePrincipal"); err != nil {
		return err
	}
	for k, sp := range d.f.sps {
		if sp.ObjectID == objectID {
			delete(d.f.sps, k)
		}
	}
	return nil
}

type fakeRes struct {
	f      *fakeAzure
	tenant string
}

func (r *fakeRes) Tenant() string { return r.tenant }

func (r *fakeRes) ListRoleAssignments(context.Context, string, string) ([]azure.RoleAssignment, error) {
	return nil, nil
}

func (r *fakeRes) GetRoleAssignment(_ context.Context, id string) (*azure.RoleAssignment, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if err := r.f.enter("GetRoleAssignment"); err != nil {
		return nil, err
	}
	ra, ok := r.f.ras[strings.ToLower(id)]
	if !ok {
		return nil, notFound("roleAssignment " + id)
	}
	c := *ra
	return &c, nil
}

func (r *fakeRes) CreateRoleAssignment(_ context.Context, s azure.RoleAssignmentSpec) (*azure.RoleAssignment, bool, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if err := r.f.enter("CreateRoleAssignment"); err != nil {
		return nil, false, err
	}
	for _, ra := range r.f.ras {
		if strings.EqualFold(ra.Scope, s.Scope) && ra.PrincipalID == s.PrincipalID && ra.RoleDefinitionGUID == s.RoleDefinitionGUID {
			c := *ra
			return &c, !strings.EqualFold(ra.Name, azure.RoleAssignmentName(s.Scope, s.PrincipalID, s.RoleDefinitionGUID)), nil
		}
	}
	name := azure.RoleAssignmentName(s.Scope, s.PrincipalID, s.RoleDefinitionGUID)
	ra := &azure.RoleAssignment{
		ID: s.Scope + "/providers/Microsoft.Authorization/roleAssignments/" + name, Name: name, Scope: s.Scope,
		RoleDefinitionGUID: s.RoleDefinitionGUID, PrincipalID: s.PrincipalID, PrincipalType: "ServicePrincipal", Description: s.Description,
	}
	r.f.ras[strings.ToLower(ra.ID)] = ra
	if r.f.blankRA > 0 {
		r.f.blankRA--
		return &azure.RoleAssignment{}, false, nil
	}
	c := *ra
	return &c, false, nil
}

func (r *fakeRes) DeleteRoleAssignment(_ context.Context, id string) error {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if err := r.f.enter("DeleteRoleAssignment"); err != nil {
		return err
	}
	delete(r.f.ras, strings.ToLower(id))
	return nil
}

func (r *fakeRes) GetGallery(context.Context, string) (*azure.Gallery, error) { return nil, nil }

func (r *fakeRes) GetImageVersion(_ context.Context, galleryID, image, version string) (*azure.ImageVersion, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if err := r.f.enter("GetImageVersion"); err != nil {
		return nil, err
	}
	k := planner.VersionKey(galleryID, image, version)
	seq := r.f.vers[k]
	if len(seq) == 0 {
		return nil, notFound("imageVersion " + k)
	}
	v := seq[0]
	if len(seq) > 1 {
		r.f.vers[k] = seq[1:]
	}
	c := *v
	return &c, nil
}

func (r *fakeRes) CheckScope(context.Context, string) error { return nil }

func (r *fakeRes) ResolveRoleDefinition(_ context.Context, _, nameOrGUID string) (string, error) {
	return nameOrGUID, nil
}
