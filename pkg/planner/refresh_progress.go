package planner

import "sync/atomic"

// RefreshProgress is how far a Refresh has got, for a view to show while
// Azure is read (a plan at high latency can take tens of seconds before it
// prints anything). Refresh only updates counters; the view reads them at its
// own pace, so progress costs the reads nothing at fleet scale. The zero
// value is ready to use; a nil *RefreshProgress is ignored.
type RefreshProgress struct {
	phase   atomic.Pointer[string]
	queued  atomic.Int64
	read    atomic.Int64
	signIns atomic.Int64
}

// RefreshStatus is one reading of a RefreshProgress.
type RefreshStatus struct {
	// Phase names what is being read, e.g. "service principals".
	Phase string
	// Read of Queued reads have finished; more may be queued as the phase
	// goes on.
	Read, Queued int64
	// SignIns counts the tenant sign-ins done (one per tenant and API).
	SignIns int64
}

// Status reads the counters.
func (p *RefreshProgress) Status() RefreshStatus {
	if p == nil {
		return RefreshStatus{}
	}
	s := RefreshStatus{Read: p.read.Load(), Queued: p.queued.Load(), SignIns: p.signIns.Load()}
	if ph := p.phase.Load(); ph != nil {
		s.Phase = *ph
	}
	return s
}

func (p *RefreshProgress) setPhase(s string) {
	if p != nil {
		p.phase.Store(&s)
	}
}

func (p *RefreshProgress) queue() {
	if p != nil {
		p.queued.Add(1)
	}
}

func (p *RefreshProgress) done() {
	if p != nil {
		p.read.Add(1)
	}
}

func (p *RefreshProgress) signedIn() {
	if p != nil {
		p.signIns.Add(1)
	}
}
