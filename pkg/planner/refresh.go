package planner

import (
	"context"
	"errors"
	"fmt"
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

// AppProbe signs in as the shared app itself (a connector from
// azure.Connector.AppClients with the delivered secret). Refresh uses it in
// manual consumer tenants where galshare has no credentials of its own: a
// token there proves an administrator consented (its oid is the service
// principal), and listing that principal's assignments as the app proves the
// role grant. *azure.Connector implements it.
type AppProbe interface {
	SignInIdentity(ctx context.Context, tenant string) (azure.TokenIdentity, error)
	Resources(ctx context.Context, tenant string) (azure.Resources, error)
}

// RefreshOptions steer Refresh.
type RefreshOptions struct {
	// AppProbe, with AppProbeAppID the app's client id it signs in as, lets
	// refresh check a manual tenant's consent and grants as the app (nil: such
	// tenants are not read). It is ignored when the app found differs.
	AppProbe      AppProbe
	AppProbeAppID string
	// Parallelism bounds concurrent calls (0: DefaultParallelism).
	Parallelism int
	// Now stamps the snapshot (zero: time.Now()).
	Now time.Time
	// Destroy tells the write preflight that the plan will be a --destroy
	// plan, so it checks the rights its deletions need.
	Destroy bool
	// NoPreflight skips the write preflight (its reads of the operator's
	// rights); Build then checks no write rights.
	NoPreflight bool
	// Progress, when set, is kept up to date as reads are queued and done.
	Progress *RefreshProgress
	// DeliveryCheck, with the preflight on, says whether a new secret could
	// be delivered to the manifest's deliverTo now (nil: not checked). The
	// command supplies it (azure.CheckDeliveryWritable for files); its
	// answer becomes Snapshot.DeliveryProblem.
	DeliveryCheck func(Delivery) error
	// Delivered names the password whose value is at the manifest's
	// delivery target (nil: none or unknown). The command reads it from the
	// delivered document; only the keyId and client id reach the planner.
	// Build adopts a password not in state only when it is this one.
	Delivered *DeliveredKey
	// StatePath names the state file in errors.
	StatePath string
	// ForceState uses a state written for a manifest of another name
	// (--force-state); otherwise Refresh refuses it before any read.
	ForceState bool
}

// Refresh reads every live object the manifest and the state imply, with at
// most Parallelism calls in flight and each object read once: the app (by
// uniqueName; else by the appId state recorded; else by galshare's tag; else
// by the appId publisher.app.adopt names; else, only to report a conflict,
// by display name) with its passwords; each
// gallery and image version to wait for; the app's service principal in the
// publisher tenant, each consumer tenant galshare can sign in to and each
// tenant state remembers; the principal's role assignments at each scope
// (only where the principal exists — otherwise the scope's existence); and
// assignments known only from state, by id. Last, for the writes a plan
// from these reads would make, it reads the operator's rights (see
// refresher.preflight).
//
// A 403 is recorded (Build turns it into a blocked action naming the missing
// right); a manual or credential-less tenant is not read. Any other failure
// (unknown tenant, bad secret, throttling past retries, …) is returned as
// one *azure.Error line per distinct problem.
func Refresh(ctx context.Context, m *spec.Manifest, st *state.State, conn Connector, opts RefreshOptions) (*Snapshot, error) {
	if st == nil {
		st = &state.State{}
	}
	if !opts.ForceState {
		if err := st.CheckManifest(opts.StatePath, m.Name); err != nil {
			return nil, err
		}
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
		alive:  make(chan struct{}, readsAlivePerSlot*par),
		manual: map[string]bool{}, ctx: ctx, probed: map[string]bool{}, probe: opts.AppProbe, probeAppID: opts.AppProbeAppID,
		preflightOn: !opts.NoPreflight, progress: opts.Progress}
	r.snap.ReadAt = now.UTC()
	if d := opts.Delivered; d != nil && d.KeyID != "" {
		r.snap.Delivered = &DeliveredKey{AppID: d.AppID, KeyID: d.KeyID}
	}
	r.tenants()
	if err := missingCredentials(m, conn); err != nil {
		return nil, err
	}
	if !conn.HasCredentials(m.Publisher.Tenant) {
		return nil, &azure.Error{Tenant: m.Publisher.Tenant, Op: "sign in", Kind: azure.KindAuthFailed,
			Message: "no credentials configured for the publisher tenant",
			Fix:     "configure credentials for it (--credentials, GALSHARE_TENANT_<id>_CLIENT_ID/_CLIENT_SECRET, or a cloud file)"}
	}

	// Phase 1: things that need no id: the app, galleries, image versions,
	// and assignments known from state by id.
	r.progress.setPhase("the app, galleries and image versions")
	r.goReadAs(m.Publisher.Tenant, apiGraph, func(ctx context.Context) { r.readApp(ctx) })
	for _, g := range m.Publisher.Galleries {
		r.goReadAs(m.Publisher.Tenant, apiARM, func(ctx context.Context) { r.readGallery(ctx, g.ID) })
		for _, w := range g.WaitFor {
			r.goReadAs(m.Publisher.Tenant, apiARM, func(ctx context.Context) { r.readVersion(ctx, g.ID, w) })
		}
	}
	for _, res := range r.orphanAssignments() {
		r.goReadAs(res.Tenant, apiARM, func(ctx context.Context) { r.readAssignmentByID(ctx, res.Tenant, res.ID) })
	}
	r.wg.Wait()

	// Phase 2: service principals, by the appId phase 1 found.
	r.progress.setPhase("service principals")
	for _, t := range r.spTenants() {
		if r.canProbe(t.tenant, t.appID) {
			r.goRead(func(ctx context.Context) { r.readSP(ctx, t.tenant, t.appID) })
			continue
		}
		r.goReadAs(t.tenant, apiGraph, func(ctx context.Context) { r.readSP(ctx, t.tenant, t.appID) })
	}
	r.wg.Wait()

	// Phase 3: role assignments of each existing principal, or the scope's
	// existence where the principal does not exist yet (with the write
	// preflight, the operator's rights there: one read answers both).
	r.progress.setPhase("role assignments")
	r.readScopes()
	r.wg.Wait()

	// Phase 4: the write preflight, only for the writes the plan will hold.
	if !opts.NoPreflight && len(r.errs) == 0 && ctx.Err() == nil {
		r.progress.setPhase("the operator's rights (preflight)")
		r.preflight(opts.Destroy, now)
		if sec := m.Publisher.App.Secret; sec != nil && opts.DeliveryCheck != nil {
			if err := opts.DeliveryCheck(deliveryOf(sec)); err != nil {
				r.snap.DeliveryProblem = err.Error()
			}
		}
	}

	r.snap.Calls = r.calls
	if err := ctx.Err(); err != nil {
		// The reads cut short say which tenant, call and endpoint they
		// were waiting for (a --timeout hit names what hung); the context's
		// error stays reachable with errors.Is.
		return nil, errors.Join(append(r.distinctErrs(), fmt.Errorf("refresh stopped before every object was read: %w", err))...)
	}
	return r.snap, r.err()
}

type refresher struct {
	m    *spec.Manifest
	st   *state.State
	conn Connector
	sem  chan struct{}
	// alive bounds the read goroutines in existence, those waiting for a
	// slot or a sign-in included (see admit).
	alive chan struct{}
	wg    sync.WaitGroup
	ctx   context.Context

	mu     sync.Mutex
	snap   *Snapshot
	errs   []error
	calls  int
	manual map[string]bool

	probe      AppProbe
	probeAppID string
	// probed marks manual tenants read as the app (their SP exists).
	probed map[string]bool
	// gates are the sign-ins started per tenant and API (refresh_signin.go).
	gates signIns
	// preflightOn is !RefreshOptions.NoPreflight: phase 3 then reads the
	// operator's rights at a resource group instead of only its existence
	// (refresh_preflight.go, readScopeRights).
	preflightOn bool
	// progress is RefreshOptions.Progress (nil: not reported).
	progress *RefreshProgress
}

// readsAlivePerSlot is how many read goroutines may exist per slot of
// --parallelism. Starting one per read up front cost 20–30 thousand
// goroutines (40–100 MB of stacks) at 10,000 tenants; a few per slot keep
// every slot fed.
const readsAlivePerSlot = 4

// admit blocks until fewer than cap(alive) read goroutines exist and takes a
// place (false: the context ended). Only Refresh's own goroutine starts
// reads, so a read never waits for a place another read holds: the leader of
// a sign-in gate was admitted before the reads that wait on it.
func (r *refresher) admit() bool {
	select {
	case r.alive <- struct{}{}:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// spawn runs f in a read goroutine once admitted (see admit); Refresh's
// phases wait for it through wg.
func (r *refresher) spawn(f func()) {
	r.progress.queue()
	if !r.admit() {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() { <-r.alive }()
		defer r.progress.done()
		f()
	}()
}

// slot takes a slot of the semaphore (false: the context ended); the caller
// gives it back with <-r.sem.
func (r *refresher) slot() bool {
	select {
	case r.sem <- struct{}{}:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// goRead runs f with a slot of the semaphore.
func (r *refresher) goRead(f func(ctx context.Context)) {
	r.spawn(func() {
		if !r.slot() {
			return
		}
		defer func() { <-r.sem }()
		f(r.ctx)
	})
}

// credentialExplainer is implemented by *azure.Connector: why galshare has
// no credentials for a tenant (nil: it has, or the tenant is marked
// method: none on purpose).
type credentialExplainer interface {
	MissingCredentials(tenant string) error
}

// missingCredentials fails refresh for the publisher and every managed
// consumer galshare cannot sign in to, naming what to configure. Such a
// tenant used to be planned as blocked on a consent (exit 3) with a
// real-looking consent URL, although no human consent can fix a missing
// variable or a mistyped tenant id. A Connector without the method (test
// fakes) keeps the HasCredentials behaviour.
func missingCredentials(m *spec.Manifest, conn Connector) error {
	ex, ok := conn.(credentialExplainer)
	if !ok {
		return nil
	}
	var errs []error
	check := func(tenant, what string) {
		if err := ex.MissingCredentials(tenant); err != nil {
			errs = append(errs, azure.Classify(tenant, what, "", err))
		}
	}
	check(m.Publisher.Tenant, "publisher")
	for _, c := range m.Consumers {
		if c.Access != spec.AccessManual {
			check(c.Tenant, "consumer "+c.Name+" (access: managed)")
		}
	}
	return errors.Join(errs...)
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
func (r *refresher) err() error { return errors.Join(r.distinctErrs()...) }

// distinctErrs are the distinct fatal errors, in a stable order.
func (r *refresher) distinctErrs() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
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
	return out
}
