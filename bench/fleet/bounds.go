package main

import (
	"math"
	"time"
)

// The minimum number of API calls a phase needs, and the lower bound on its wall time, are computed from the
// generated world and the manifest alone — never from what galshare did — so they measure galshare instead of
// echoing it. The rules (also in README.md):
//
// Sign-in, per tenant the phase touches: 1 OIDC discovery (the official SDK resolves the tenant's authority once
// per credential) + 1 token per audience used (Graph, ARM). The publisher always uses both; a consumer uses ARM
// (its grant scopes) and Graph when its service principal must be read (the app exists), created (apply) or
// checked for creation (the write preflight of a plan that will create it: the token's roles claim is the
// evidence).
//
// Reads (refresh): the app 1 (one lookup by its unique key; the app's passwords come with it); per gallery 1 GET;
// per waitFor 1 image-version GET (with replication status); once the app exists, per tenant (publisher, every
// consumer in the manifest, every tenant state remembers) 1 service-principal read by appId; per gallery 1
// role-assignment list for the publisher principal once it exists; per consumer grant scope 1 read (the
// principal's role-assignment list at the scope once the principal exists, else the scope's existence); per role
// assignment state holds but the manifest no longer wants, 1 read by id.
//
// Write preflight (galshare's default; `plan --no-preflight` skips it): per (tenant, scope) with a planned
// role-assignment write or delete, 1 read of the operator's effective permissions there — except at a consumer
// resource group whose principal does not exist yet, where that read is also the scope's existence read above
// and is counted once. Graph rights cost no read (the token above).
//
// Writes (apply): app 1 create; password 1 addPassword; per missing service principal 1 create; per missing role
// assignment 1 PUT; per role assignment or service principal no longer wanted 1 DELETE. Replicated image versions
// need no further read (the refresh read already shows them ready). Entra is eventually consistent, so each Entra
// create (app, password, service principal) is followed by 1 read that proves it visible (a plan made before
// would plan the object again: a duplicate password, or a replaced role assignment; see
// pkg/executor/visible.go), and each delete by 1 read before it that proves the live object is still galshare's
// (its principal, its marker: galshare never deletes what is not its own, pkg/executor/trust.go). The Preflight and
// ReadBack counts (read-backs and those ownership re-reads) are kept apart so the table can show the minimum
// without them as well.
//
// Dependency depth D (calls that must happen one after another): sign-in 2 (discovery, then token) + refresh 3
// when the app exists (app → its service principals → their role assignments) or 1 when it does not (every read
// is independent), + 1 when the preflight reads rights at scopes only the assignment lists show to need writes, +
// for apply the longest write chain: app → read-back → service principal → read-back → role assignment (5 on a
// first apply), or re-read → delete role assignment → re-read → delete service principal (4).
//
// Lower bound on wall time, with W minimum calls, P calls in flight and latency L per call:
//
//	LB = max(D, ceil(W / P)) × L
//
// No schedule can beat either term. The brief's formula (D + W/P) × L — what a greedy scheduler is guaranteed to
// reach (Brent) — is printed too, as "brent".

// phaseMin is the computed minimum work of one phase.
type phaseMin struct {
	Identity int // discovery + token calls
	Reads    int // reads, the preflight's and the read-backs included
	Writes   int
	Depth    int
	// Preflight and ReadBack are the parts of Identity+Reads that the write preflight and the read-backs after
	// Entra creates account for (so Calls()-Preflight-ReadBack is the minimum without them).
	Preflight int
	ReadBack  int
}

// Calls is the minimum number of calls in total.
func (m phaseMin) Calls() int { return m.Identity + m.Reads + m.Writes }

// Strict is the minimum without the write preflight and the read-backs.
func (m phaseMin) Strict() int { return m.Calls() - m.Preflight - m.ReadBack }

// LowerBound is max(D, ceil(W/P)) × L.
func (m phaseMin) LowerBound(par int, latency time.Duration) time.Duration {
	waves := int(math.Ceil(float64(m.Calls()) / float64(par)))
	return time.Duration(max(m.Depth, waves)) * latency
}

// Brent is (D + W/P) × L, the formula the brief states.
func (m phaseMin) Brent(par int, latency time.Duration) time.Duration {
	return time.Duration((float64(m.Depth) + float64(m.Calls())/float64(par)) * float64(latency))
}

// world is the benchmark's model of what exists in the simulator and in galshare's state, updated after each
// apply as the apply should have left it (the no-op plan afterwards checks that it did).
type world struct {
	f           Fleet
	app         bool           // the app and its password exist
	publisherSP bool           // the app's service principal in the publisher tenant
	galleryRole map[int]bool   // Reader on gallery g
	consumerSP  map[int]bool   // the app's service principal in consumer i's tenant
	grants      map[grant]bool // role assignments galshare made in consumer tenants (also what state holds)
}

type grant struct{ consumer, rg int }

func newWorld(f Fleet) *world {
	return &world{f: f, galleryRole: map[int]bool{}, consumerSP: map[int]bool{}, grants: map[grant]bool{}}
}

// desired is the manifest's view: which consumers, with which resource-group indexes as grants.
type desired map[int][]int

// desiredFor lists the consumers and grants of the manifest for change (nil: the initial manifest).
func (f Fleet) desiredFor(change *Change) desired {
	d := desired{}
	removed := map[int]bool{}
	if change != nil {
		for _, i := range change.Removed {
			removed[i] = true
		}
	}
	for i := range f.Consumers {
		if removed[i] {
			continue
		}
		for j := range f.Grants {
			d[i] = append(d[i], j)
		}
		if d[i] == nil {
			d[i] = []int{}
		}
	}
	if change != nil {
		for _, i := range change.Added {
			d[i] = append(d[i], f.Grants)
		}
	}
	return d
}

// refreshMin is the minimum of a refresh of manifest d against the world, and whether each consumer tenant
// needs Graph (for the sign-in count).
func (w *world) refreshMin(d desired, apply bool) phaseMin {
	var m phaseMin
	m.Identity = 3 // publisher: discovery + Graph + ARM
	m.Reads = 1 + 2*w.f.Galleries
	if w.publisherSP {
		m.Reads += w.f.Galleries
	}
	if w.app {
		m.Reads++ // publisher service principal
	}
	for i, rgs := range d {
		m.Identity += 2 // discovery + ARM
		if w.app || !w.consumerSP[i] {
			m.Identity++ // Graph: read, create, or the preflight of its creation
			if !w.app && !apply {
				m.Preflight++
			}
		}
		if w.app {
			m.Reads++ // service principal
		}
		m.Reads += len(rgs)
	}
	// Tenants state remembers but the manifest dropped: their principal and assignments are read to delete them.
	for i := range w.consumerSP {
		if _, ok := d[i]; ok || !w.consumerSP[i] {
			continue
		}
		m.Identity += 3
		m.Reads++
	}
	for g := range w.grants {
		if !wanted(d, g) {
			m.Reads++
		}
	}
	m.Depth = 2 + 1
	if w.app {
		m.Depth = 2 + 3
	}
	if pf := w.preflightReads(d); pf > 0 {
		m.Reads += pf
		m.Preflight += pf
		if w.app {
			m.Depth++
		}
	}
	return m
}

// preflightReads counts the write preflight's permission reads of a refresh of d: one per scope with a planned
// role-assignment write or delete, except consumer resource groups whose principal does not exist yet (there the
// existence read is the permissions read).
func (w *world) preflightReads(d desired) int {
	n := 0
	for g := range w.f.Galleries {
		if !w.galleryRole[g] {
			n++
		}
	}
	for i, rgs := range d {
		if !w.consumerSP[i] {
			continue
		}
		for _, j := range rgs {
			if !w.grants[grant{i, j}] {
				n++
			}
		}
	}
	for g := range w.grants {
		if !wanted(d, g) {
			n++
		}
	}
	return n
}

func wanted(d desired, g grant) bool {
	for _, j := range d[g.consumer] {
		if j == g.rg {
			return true
		}
	}
	return false
}

// planMin is the minimum of `galshare plan`.
func (w *world) planMin(d desired) phaseMin { return w.refreshMin(d, false) }

// applyMin is the minimum of `galshare apply MANIFEST` (a refresh, then the writes), and moves the world to the
// state the apply should leave.
func (w *world) applyMin(d desired) phaseMin {
	m := w.refreshMin(d, true)
	create := 0
	if !w.app {
		m.Writes += 2   // app + password
		m.Reads += 2    // their read-backs
		m.ReadBack += 2 //
		create = 1
		w.app = true
	}
	spLevel, roleLevel := false, false
	if !w.publisherSP {
		m.Writes++
		m.Reads++
		m.ReadBack++
		spLevel = true
		w.publisherSP = true
	}
	for g := range w.f.Galleries {
		if !w.galleryRole[g] {
			m.Writes++
			roleLevel = true
			w.galleryRole[g] = true
		}
	}
	delRole, delSP := false, false
	// Every delete re-reads its object first, to prove it is still
	// galshare's (its principal, its marker) before removing it.
	for g := range w.grants {
		if !wanted(d, g) {
			m.Writes++
			m.Reads++
			m.ReadBack++
			delRole = true
			delete(w.grants, g)
		}
	}
	for i, ok := range w.consumerSP {
		if _, in := d[i]; ok && !in {
			m.Writes++
			m.Reads++
			m.ReadBack++
			delSP = true
			delete(w.consumerSP, i)
		}
	}
	for i, rgs := range d {
		if !w.consumerSP[i] {
			m.Writes++
			m.Reads++
			m.ReadBack++
			spLevel = true
			w.consumerSP[i] = true
		}
		for _, j := range rgs {
			if g := (grant{i, j}); !w.grants[g] {
				m.Writes++
				roleLevel = true
				w.grants[g] = true
			}
		}
	}
	// Each create is followed by its read-back before its dependents start.
	chain := 2*create + 2*b2i(spLevel) + b2i(roleLevel)
	m.Depth += max(chain, 2*b2i(delRole)+2*b2i(delSP))
	return m
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
