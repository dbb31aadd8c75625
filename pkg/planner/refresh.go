package planner

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// Connector is what refresh needs from pkg/azure: per-tenant clients and
// whether galshare may sign in to a tenant at all (answered without a call).
// *azure.Connector implements it; tests use fakes.
type Connector interface {
	azure.Clients
	HasCredentials(tenant string) bool
}

// DefaultParallelism bounds the reads in flight, like --parallelism.
const DefaultParallelism = 10

// RefreshOptions steer Refresh.
type RefreshOptions struct {
	// Parallelism bounds concurrent calls (0: DefaultParallelism).
	Parallelism int
	// Now stamps the snapshot (zero: time.Now()).
	Now time.Time
}

// Refresh reads every live object the manifest and the state imply, with at
// most Parallelism calls in flight and each object read once: the app (by
// uniqueName; else by the appId state recorded; else by galshare's tag; else
// by display name, to adopt a hand-made app) with its passwords; each
// gallery and image version to wait for; the app's service principal in the
// publisher tenant, each consumer tenant galshare can sign in to and each
// tenant state remembers; the principal's role assignments at each scope
// (only where the principal exists — otherwise the scope's existence); and
// assignments known only from state, by id.
//
// A 403 is recorded (Build turns it into a blocked action naming the missing
// right); a manual or credential-less tenant is not read. Any other failure
// (unknown tenant, bad secret, throttling past retries, …) is returned as
// one *azure.Error line per distinct problem.
func Refresh(ctx context.Context, m *spec.Manifest, st *state.State, conn Connector, opts RefreshOptions) (*Snapshot, error) {
	if st == nil {
		st = &state.State{}
	}
	par := opts.Parallelism
	if par <= 0 {
		par = DefaultParallelism
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	r := &refresher{m: m, st: st, conn: conn, snap: NewSnapshot(), sem: make(chan struct{}, par),
		manual: map[string]bool{}, ctx: ctx}
	r.snap.ReadAt = now.UTC()
	r.tenants()

	// Phase 1: things that need no id: the app, galleries, image versions,
	// and assignments known from state by id.
	r.goRead(func(ctx context.Context) { r.readApp(ctx) })
	for _, g := range m.Publisher.Galleries {
		r.goRead(func(ctx context.Context) { r.readGallery(ctx, g.ID) })
		for _, w := range g.WaitFor {
			r.goRead(func(ctx context.Context) { r.readVersion(ctx, g.ID, w) })
		}
	}
	for _, res := range r.orphanAssignments() {
		r.goRead(func(ctx context.Context) { r.readAssignmentByID(ctx, res.Tenant, res.ID) })
	}
	r.wg.Wait()

	// Phase 2: service principals, by the appId phase 1 found.
	for _, t := range r.spTenants() {
		r.goRead(func(ctx context.Context) { r.readSP(ctx, t.tenant, t.appID) })
	}
	r.wg.Wait()

	// Phase 3: role assignments of each existing principal, or the scope's
	// existence where the principal does not exist yet.
	r.readScopes()
	r.wg.Wait()

	r.snap.Calls = r.calls
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.snap, r.err()
}

type refresher struct {
	m    *spec.Manifest
	st   *state.State
	conn Connector
	sem  chan struct{}
	wg   sync.WaitGroup
	ctx  context.Context

	mu     sync.Mutex
	snap   *Snapshot
	errs   []error
	calls  int
	manual map[string]bool
}

// goRead runs f with a slot of the semaphore.
func (r *refresher) goRead(f func(ctx context.Context)) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			return
		}
		defer func() { <-r.sem }()
		f(r.ctx)
	}()
}

// call counts one API call.
func (r *refresher) call() {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
}

// tenants records which tenants refresh may read.
func (r *refresher) tenants() {
	set := func(t string, manual bool) {
		k := TenantKey(t)
		if _, done := r.snap.Tenants[k]; done {
			return
		}
		o := TenantObs{Readable: r.conn.HasCredentials(t)}
		if !o.Readable {
			o.Note = "no credentials configured for tenant " + t
			if manual {
				o.Note = "manual consumer; galshare has no credentials there"
			}
		}
		r.manual[k] = manual
		r.snap.Tenants[k] = o
	}
	set(r.m.Publisher.Tenant, false)
	for _, c := range r.m.Consumers {
		set(c.Tenant, c.Access == spec.AccessManual)
	}
	for _, res := range r.st.Resources {
		if res.Tenant != "" {
			set(res.Tenant, false)
		}
	}
}

// readable reports whether refresh may read tenant t, and why not.
func (r *refresher) readable(t string) (bool, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.snap.tenant(t)
	return o.Readable, o.Note
}

// classify turns an error into an observation, or records it as fatal.
// A sign-in failure in a manual tenant only makes the tenant unreadable.
func (r *refresher) classify(tenant string, err error) Obs {
	var ae *azure.Error
	if !errors.As(err, &ae) {
		ae = azure.Classify(tenant, "", "", err)
	}
	switch ae.Kind {
	case azure.KindNotFound:
		return Obs{Status: Missing}
	case azure.KindPermissionDenied:
		return Obs{Status: Denied, Err: ae}
	case azure.KindAuthFailed:
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.manual[TenantKey(tenant)] {
			r.snap.Tenants[TenantKey(tenant)] = TenantObs{Readable: false, Note: "cannot sign in: " + ae.Error()}
			return Obs{Status: NotRead, Note: "cannot sign in"}
		}
		r.errs = append(r.errs, ae)
		return Obs{Status: NotRead, Note: ae.Error()}
	}
	r.mu.Lock()
	r.errs = append(r.errs, ae)
	r.mu.Unlock()
	return Obs{Status: NotRead, Note: ae.Error()}
}

// err joins the distinct fatal errors, in a stable order.
func (r *refresher) err() error {
	seen := map[string]bool{}
	var msgs []string
	byMsg := map[string]error{}
	for _, e := range r.errs {
		s := e.Error()
		if !seen[s] {
			seen[s] = true
			msgs = append(msgs, s)
			byMsg[s] = e
		}
	}
	sort.Strings(msgs)
	out := make([]error, len(msgs))
	for i, s := range msgs {
		out[i] = byMsg[s]
	}
	return errors.Join(out...)
}

func (r *refresher) dir(ctx context.Context, tenant string) (azure.Directory, Obs, bool) {
	if ok, note := r.readable(tenant); !ok {
		return nil, Obs{Note: note}, false
	}
	d, err := r.conn.Directory(ctx, tenant)
	if err != nil {
		return nil, r.classify(tenant, err), false
	}
	return d, Obs{}, true
}

func (r *refresher) res(ctx context.Context, tenant string) (azure.Resources, Obs, bool) {
	if ok, note := r.readable(tenant); !ok {
		return nil, Obs{Note: note}, false
	}
	x, err := r.conn.Resources(ctx, tenant)
	if err != nil {
		return nil, r.classify(tenant, err), false
	}
	return x, Obs{}, true
}

// stateAppID is the appId state recorded for the app, if any.
func (r *refresher) stateAppID() string {
	for _, res := range r.st.Resources {
		if res.Type == string(TypeApplication) && res.Attributes[AttrAppID] != "" {
			return res.Attributes[AttrAppID]
		}
	}
	return ""
}

func (r *refresher) readApp(ctx context.Context) {
	tenant := r.m.Publisher.Tenant
	set := func(o AppObs) {
		r.mu.Lock()
		r.snap.App = o
		r.mu.Unlock()
	}
	d, o, ok := r.dir(ctx, tenant)
	if !ok {
		set(AppObs{Obs: o})
		return
	}
	app := r.m.Publisher.App
	found := func(a *azure.Application, by string) { set(AppObs{Obs: Obs{Status: Found}, App: a, FoundBy: by}) }
	fail := func(err error) bool {
		if azure.IsNotFound(err) {
			return false
		}
		set(AppObs{Obs: r.classify(tenant, err)})
		return true
	}

	if app.UniqueName != "" {
		r.call()
		a, err := d.GetApplicationByUniqueName(ctx, app.UniqueName)
		if err == nil {
			found(a, "uniqueName")
			return
		}
		if fail(err) {
			return
		}
	}
	if id := r.stateAppID(); id != "" {
		r.call()
		a, err := d.GetApplicationByAppID(ctx, id)
		if err == nil {
			found(a, "appId")
			return
		}
		if fail(err) {
			return
		}
	}
	r.call()
	tagged, err := d.ListApplicationsByTag(ctx, MarkerTag(r.m.Name))
	if err != nil {
		if fail(err) {
			return
		}
	}
	if len(tagged) == 1 {
		found(&tagged[0], "tag")
		return
	}
	r.call()
	named, err := d.ListApplicationsByDisplayName(ctx, app.DisplayName)
	if err != nil {
		if fail(err) {
			return
		}
	}
	switch len(named) {
	case 0:
		set(AppObs{Obs: Obs{Status: Missing}})
	case 1:
		found(&named[0], "displayName")
	default:
		set(AppObs{Obs: Obs{Status: Missing}, Ambiguous: named})
	}
}

func (r *refresher) readGallery(ctx context.Context, id string) {
	x, o, ok := r.res(ctx, r.m.Publisher.Tenant)
	if ok {
		r.call()
		g, err := x.GetGallery(ctx, id)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(r.m.Publisher.Tenant, err)
		}
		r.mu.Lock()
		r.snap.Galleries[IDKey(id)] = GalleryObs{Obs: o, Gallery: g}
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	r.snap.Galleries[IDKey(id)] = GalleryObs{Obs: o}
	r.mu.Unlock()
}

func (r *refresher) readVersion(ctx context.Context, galleryID string, w spec.ImageVersionRef) {
	key := VersionKey(galleryID, w.Image, w.Version)
	x, o, ok := r.res(ctx, r.m.Publisher.Tenant)
	var v *azure.ImageVersion
	if ok {
		r.call()
		var err error
		v, err = x.GetImageVersion(ctx, galleryID, w.Image, w.Version)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(r.m.Publisher.Tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.Versions[key] = VersionObs{Obs: o, Version: v}
	r.mu.Unlock()
}

// orphanAssignments are role assignments state records at addresses the
// manifest no longer asks for: read by id so Build can delete or forget them.
func (r *refresher) orphanAssignments() []state.Resource {
	want := map[string]bool{}
	for _, g := range r.m.Publisher.Galleries {
		want[GalleryRoleAddress(g.Name, g.Role.String()).String()] = true
	}
	for _, c := range r.m.Consumers {
		for _, gr := range c.Grants {
			want[ConsumerRoleAddress(c.Name, gr.Scope, gr.Role.String()).String()] = true
		}
	}
	var out []state.Resource
	seen := map[string]bool{}
	for _, res := range r.st.Resources {
		if res.Type != string(TypeRoleAssignment) || want[res.Address] || res.ID == "" || seen[IDKey(res.ID)] {
			continue
		}
		seen[IDKey(res.ID)] = true
		out = append(out, res)
	}
	return out
}

func (r *refresher) readAssignmentByID(ctx context.Context, tenant, id string) {
	x, o, ok := r.res(ctx, tenant)
	var ra *azure.RoleAssignment
	if ok {
		r.call()
		var err error
		ra, err = x.GetRoleAssignment(ctx, id)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.AssignmentsByID[IDKey(id)] = AssignmentObs{Obs: o, Assignment: ra}
	r.mu.Unlock()
}

type spRead struct{ tenant, appID string }

// spTenants lists the tenants whose service principal to read: the
// publisher, every consumer and every tenant state remembers an SP in, once
// each, with the appId to look for.
func (r *refresher) spTenants() []spRead {
	appID := ""
	if r.snap.App.Status == Found {
		appID = r.snap.App.App.AppID
	}
	var out []spRead
	seen := map[string]bool{}
	add := func(t, id string) {
		if id == "" || seen[TenantKey(t)] {
			return
		}
		seen[TenantKey(t)] = true
		out = append(out, spRead{t, id})
	}
	add(r.m.Publisher.Tenant, appID)
	for _, c := range r.m.Consumers {
		add(c.Tenant, appID)
	}
	for _, res := range r.st.Resources {
		if res.Type == string(TypeServicePrincipal) {
			id := appID
			if id == "" {
				id = res.Attributes[AttrAppID]
			}
			add(res.Tenant, id)
		}
	}
	return out
}

func (r *refresher) readSP(ctx context.Context, tenant, appID string) {
	d, o, ok := r.dir(ctx, tenant)
	var sp *azure.ServicePrincipal
	if ok {
		r.call()
		var err error
		sp, err = d.GetServicePrincipal(ctx, appID)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.SPs[TenantKey(tenant)] = SPObs{Obs: o, SP: sp}
	r.mu.Unlock()
}

// readScopes starts phase 3: one assignment list per (scope, principal) for
// principals that exist, one existence check per consumer scope otherwise.
func (r *refresher) readScopes() {
	type scopeRead struct{ tenant, scope string }
	var lists, checks []scopeRead
	seenList, seenCheck := map[string]bool{}, map[string]bool{}
	principal := func(tenant string) string {
		if o := r.snap.SPs[TenantKey(tenant)]; o.Status == Found {
			return o.SP.ObjectID
		}
		return ""
	}
	add := func(tenant, scope string, check bool) {
		if p := principal(tenant); p != "" {
			if k := AssignmentsKey(scope, p); !seenList[k] {
				seenList[k] = true
				lists = append(lists, scopeRead{tenant, scope})
			}
			return
		}
		if k := IDKey(scope); check && !seenCheck[k] {
			seenCheck[k] = true
			checks = append(checks, scopeRead{tenant, scope})
		}
	}
	for _, g := range r.m.Publisher.Galleries {
		add(r.m.Publisher.Tenant, g.ID, false) // the gallery read already checks it
	}
	for _, c := range r.m.Consumers {
		for _, gr := range c.Grants {
			add(c.Tenant, gr.Scope, true)
		}
	}
	for _, l := range lists {
		p := principal(l.tenant)
		r.goRead(func(ctx context.Context) { r.readAssignments(ctx, l.tenant, l.scope, p) })
	}
	for _, c := range checks {
		r.goRead(func(ctx context.Context) { r.readScope(ctx, c.tenant, c.scope) })
	}
}

func (r *refresher) readAssignments(ctx context.Context, tenant, scope, principalID string) {
	x, o, ok := r.res(ctx, tenant)
	var list []azure.RoleAssignment
	if ok {
		r.call()
		var err error
		list, err = x.ListRoleAssignments(ctx, scope, principalID)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.Assignments[AssignmentsKey(scope, principalID)] = AssignmentsObs{Obs: o, Assignments: list}
	r.mu.Unlock()
}

func (r *refresher) readScope(ctx context.Context, tenant, scope string) {
	x, o, ok := r.res(ctx, tenant)
	if ok {
		r.call()
		if err := x.CheckScope(ctx, scope); err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.Scopes[IDKey(scope)] = ScopeObs{Obs: o}
	r.mu.Unlock()
}
