package planner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// Options steer Build.
type Options struct {
	// Destroy plans the removal of everything galshare created (and forgets
	// what it adopted), in reverse dependency order.
	Destroy bool
	// Targets limit the plan to these addresses and what they depend on.
	Targets []Address
	// Now is the clock for secret expiry decisions (zero: time.Now()).
	Now time.Time
	// AuthorityHost is the sign-in host for consent URLs, e.g.
	// "https://login.microsoftonline.com/" (empty: the public cloud).
	AuthorityHost string
	// GalshareVersion is recorded in the plan.
	GalshareVersion string
	// NoPreflight is recorded in the plan: the snapshot was refreshed with
	// RefreshOptions.NoPreflight, so apply of a saved plan refreshes the
	// same way before re-deriving it.
	NoPreflight bool
}

// DefaultAuthorityHost is the public cloud's sign-in host.
const DefaultAuthorityHost = "https://login.microsoftonline.com/"

// ErrUnknownTarget is returned (wrapped) by Build when a --target address
// names no object of the plan.
var ErrUnknownTarget = errors.New("unknown target")

// builder holds the inputs and the changes being assembled. Changes are
// appended in procedure order (app, secret, publisher SP, gallery roles,
// waits, then each consumer) and that order breaks ties in the final sort.
type builder struct {
	m    *spec.Manifest
	snap *Snapshot
	st   *state.State
	opts Options
	now  time.Time

	changes []*Change
	byAddr  map[Address]*Change
	// desiredCount is the number of changes the manifest asked for; the
	// orphans (state only) follow them.
	desiredCount int
	// err is the first inconsistency found in the inputs.
	err error
	// removals marks changes that delete an object, including blocked ones.
	removals map[Address]bool
	// consumed marks state addresses that a desired change took over
	// (its own address or a PreviousAddress), so they are not orphans.
	consumed map[string]bool
}

// Build computes the plan from a manifest, a refresh snapshot and the state.
// It makes no call and is deterministic for given inputs (Options.Now fixes
// the clock), so it is table-tested with hand-written snapshots.
func Build(m *spec.Manifest, snap *Snapshot, st *state.State, opts Options) (*Plan, error) {
	if m == nil {
		return nil, errors.New("build plan: no manifest")
	}
	if snap == nil {
		snap = NewSnapshot()
	}
	if st == nil {
		st = &state.State{}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !opts.Destroy {
		if err := worldErrors(m, snap); err != nil {
			return nil, err
		}
	}
	b := &builder{m: m, snap: snap, st: st, opts: opts, now: now.UTC(),
		byAddr: map[Address]*Change{}, consumed: map[string]bool{}, removals: map[Address]bool{}}
	if err := b.checkIdentity(); err != nil {
		return nil, err
	}

	b.buildApp()
	b.buildPassword()
	b.buildServicePrincipal(PublisherKey, m.Publisher.Tenant, spec.AccessManaged)
	for _, g := range m.Publisher.Galleries {
		b.buildGalleryRole(g)
	}
	for _, g := range m.Publisher.Galleries {
		for _, w := range g.WaitFor {
			b.buildWait(g, w)
		}
	}
	for _, c := range m.Consumers {
		b.buildServicePrincipal(c.Name, c.Tenant, c.Access)
		for _, gr := range c.Grants {
			b.buildConsumerRole(c, gr)
		}
	}
	b.buildOrphans()
	if opts.Destroy {
		b.toDestroy()
	}
	b.linkDeletes()
	b.checkRights()
	b.propagateBlocked()
	for _, c := range b.changes {
		if c.Action == Blocked && c.Reason == "" && c.Blocked != nil {
			c.Reason = c.Blocked.Why
		}
	}
	if b.err != nil {
		return nil, b.err
	}

	ordered, err := topoSort(b.changes)
	if err != nil {
		return nil, err
	}
	if len(opts.Targets) > 0 {
		ordered, err = filterTargets(ordered, opts.Targets)
		if err != nil {
			return nil, err
		}
	}
	p := &Plan{
		FormatVersion:   FormatVersion,
		GalshareVersion: opts.GalshareVersion,
		CreatedAt:       b.now,
		Manifest:        ManifestRef{Name: m.Name, Path: m.Path, SHA256: m.SHA256},
		State:           StateRef{Exists: st.Exists(), Lineage: st.Lineage, Serial: st.Serial},
		Destroy:         opts.Destroy,
		Targets:         opts.Targets,
		NoPreflight:     opts.NoPreflight,
		Tenants:         b.tenants(),
		Changes:         ordered,
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("internal error: built an invalid plan: %w", err)
	}
	return p, nil
}

// add appends a change; a second change at the same address is a bug.
func (b *builder) add(c *Change) *Change {
	if c.Type == "" {
		c.Type = c.Address.ResourceType()
	}
	if _, dup := b.byAddr[c.Address]; dup {
		if b.err == nil {
			b.err = fmt.Errorf("build plan: the manifest asks twice for %s; remove the repeat", c.Address)
		}
		return b.byAddr[c.Address]
	}
	b.changes = append(b.changes, c)
	b.byAddr[c.Address] = c
	b.consumed[c.Address.String()] = true
	if !c.PreviousAddress.IsZero() {
		b.consumed[c.PreviousAddress.String()] = true
	}
	return c
}

// stateRes returns the state record at addr.
func (b *builder) stateRes(addr Address) (state.Resource, bool) {
	return b.st.Get(addr.String())
}

// stateOfType returns the first state record of a type when exactly one
// exists (the app and its password are singletons per manifest, so a record
// under another address is the same object after a display-name change).
func (b *builder) stateOfType(typ ResourceType) (state.Resource, bool) {
	var found []state.Resource
	for _, r := range b.st.Resources {
		if r.Type == string(typ) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		return state.Resource{}, false
	}
	return found[0], true
}

// journaled reports whether an interrupted apply left a journal entry for
// the operation on addr: the object, if found, was made by galshare.
func (b *builder) journaled(addr Address, op string) bool {
	for _, e := range b.st.Journal {
		if e.Address == addr.String() && e.Operation == op {
			return true
		}
	}
	return false
}

// originOf decides the origin of a live object: what state says, else
// "created" when galshare's marker or an open create journal entry proves
// galshare made it, else "adopted".
func (b *builder) originOf(rec *state.Resource, addr Address, marked bool) string {
	if rec != nil {
		return string(rec.Origin)
	}
	if marked || b.journaled(addr, state.OpCreate) {
		return OriginCreated
	}
	return OriginAdopted
}

// adoptReason explains an adoption.
func (b *builder) adoptReason(addr Address, origin, what string) string {
	switch {
	case b.journaled(addr, state.OpCreate):
		return "exists: created by an interrupted apply; recording it"
	case origin == OriginCreated:
		return "exists with galshare's marker but not in state; recording it"
	default:
		return "exists (" + what + "); adopting it, galshare will never delete it"
	}
}

// missingReason explains a create.
func (b *builder) missingReason(addr Address, inState bool) string {
	switch {
	case inState:
		return "deleted outside galshare"
	case b.journaled(addr, state.OpCreate):
		return "missing (an interrupted apply did not create it)"
	}
	return "missing"
}

func (b *builder) tenants() []TenantInfo {
	info := func(t TenantInfo) TenantInfo {
		o := b.snap.tenant(t.ID)
		t.Readable, t.Note = o.Readable, o.Note
		return t
	}
	out := []TenantInfo{info(TenantInfo{ID: b.m.Publisher.Tenant, Role: "publisher"})}
	seen := map[string]bool{TenantKey(b.m.Publisher.Tenant): true}
	for _, c := range b.m.Consumers {
		seen[TenantKey(c.Tenant)] = true
		out = append(out, info(TenantInfo{ID: c.Tenant, Role: "consumer", Consumer: c.Name, Access: string(c.Access)}))
	}
	// Tenants known only from state (removed consumers).
	for _, c := range b.changes {
		if c.Tenant != "" && !seen[TenantKey(c.Tenant)] {
			seen[TenantKey(c.Tenant)] = true
			name := ""
			if c.Address.Kind == AddrServicePrincipal || c.Address.Kind == AddrConsumerRole {
				name = c.Address.Consumer
			}
			out = append(out, info(TenantInfo{ID: c.Tenant, Role: "consumer", Consumer: name, Access: "removed"}))
		}
	}
	return out
}

// humanDuration renders a positive duration for reasons: "12 days",
// "5 hours", "1 day".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 24*time.Hour:
		return "1 day"
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= time.Hour:
		return "1 hour"
	default:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
}

// joinFields renders drifted field names for a reason.
func joinFields(fs []string) string { return strings.Join(fs, ", ") }
