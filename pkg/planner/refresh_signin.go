package planner

import (
	"context"
	"sync"
)

// Signing in before reading. A tenant's first read of an API would otherwise
// fetch the token while holding a --parallelism slot, and every other read of
// that tenant and API already holding a slot would sit idle waiting for it
// (about 19 of 64 slot-seconds at 200 consumers). Instead the first read of
// each (tenant, API) signs in, and the others wait for that token without a
// slot; once it is cached they take slots and find it there.

// api is the audience a read needs a token for.
type api int

const (
	apiARM api = iota
	apiGraph
)

// signer signs in to a tenant's ARM or Graph, filling the token cache the
// clients use. *azure.Connector implements it; a Connector without it (test
// fakes) is simply not signed in ahead.
type signer interface {
	SignIn(ctx context.Context, tenant string) error
	SignInGraph(ctx context.Context, tenant string) error
}

// signInGate is one (tenant, API) sign-in: done closes once it finished
// (successfully or not: a failure is left for the reads to report, as each
// would have met it anyway).
type signInGate struct{ done chan struct{} }

type signInKey struct {
	tenant string
	api    api
}

// signIns holds the gates, under refresher.mu.
type signIns map[signInKey]*signInGate

// goReadAs is goRead for a read of tenant's API: the first such read signs
// in within its slot before running f; later ones wait for that sign-in
// before taking a slot.
func (r *refresher) goReadAs(tenant string, a api, f func(ctx context.Context)) {
	s, ok := r.conn.(signer)
	if !ok || !r.signsIn(tenant) {
		r.goRead(f)
		return
	}
	r.spawn(func() {
		gate, leader := r.signInGate(tenant, a)
		if !leader {
			select {
			case <-gate.done:
			case <-r.ctx.Done():
				return
			}
		}
		var closeOnce sync.Once
		if leader {
			defer closeOnce.Do(func() { close(gate.done) })
		}
		if !r.slot() {
			return
		}
		defer func() { <-r.sem }()
		if leader {
			if a == apiGraph {
				_ = s.SignInGraph(r.ctx, tenant)
			} else {
				_ = s.SignIn(r.ctx, tenant)
			}
			r.progress.signedIn()
			closeOnce.Do(func() { close(gate.done) })
		}
		f(r.ctx)
	})
}

// signsIn reports whether reads of tenant go through the operator's own
// credentials (readable, not read as the app).
func (r *refresher) signsIn(tenant string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := TenantKey(tenant)
	return r.snap.tenant(tenant).Readable && !r.probed[k]
}

// signInGate returns the gate of (tenant, a) and whether the caller created
// it, and so must sign in.
func (r *refresher) signInGate(tenant string, a api) (*signInGate, bool) {
	k := signInKey{TenantKey(tenant), a}
	r.mu.Lock()
	defer r.mu.Unlock()
	if g, ok := r.gates[k]; ok {
		return g, false
	}
	if r.gates == nil {
		r.gates = signIns{}
	}
	g := &signInGate{done: make(chan struct{})}
	r.gates[k] = g
	return g, true
}
