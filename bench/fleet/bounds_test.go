package main

import (
	"testing"
	"time"
)

// TestPhaseMinimum checks the minimum-call model phase by phase on a small fleet, against numbers worked out by
// hand from the rules in bounds.go.
func TestPhaseMinimum(t *testing.T) {
	// 2 consumers × 2 grants, 3 galleries. Consumer 0 changes: with 2 consumers TenPercent adds a grant to 0.
	f := Fleet{Consumers: 2, Grants: 2, Galleries: 3}
	w := newWorld(f)
	initial := f.desiredFor(nil)
	change := Change{Added: []int{0}, Removed: []int{1}}
	changed := f.desiredFor(&change)

	type step struct {
		name string
		got  func() phaseMin
		want phaseMin
	}
	steps := []step{
		// Sign-in: publisher 3 + 2 consumers × (discovery + ARM + Graph for the preflight of their service
		// principals' creation) = 9. Reads: app 1 + 3 galleries + 3 versions + 4 scopes (the permissions read
		// there is the existence read) + the preflight's 3 gallery permission reads = 14. Preflight: 2 Graph
		// tokens + 3 reads = 5. Depth: sign-in 2 + 1.
		{"first plan", func() phaseMin { return w.planMin(initial) }, phaseMin{Identity: 9, Reads: 14, Depth: 3, Preflight: 5}},
		// Apply's refresh: the same, but the consumers' Graph tokens are for creating (preflight 3). Writes: app,
		// password, publisher SP, 3 gallery roles, 2 consumer SPs, 4 grants = 12, and 5 read-backs (app, password,
		// 3 SPs): reads 19. Depth 3 + app → read-back → SP → read-back → role 5.
		{"first apply", func() phaseMin { return w.applyMin(initial) }, phaseMin{Identity: 9, Reads: 19, Writes: 12, Depth: 8, Preflight: 3, ReadBack: 5}},
		// Everything exists: reads app 1 + 3 galleries + 3 versions + publisher SP 1 + 3 gallery lists + 2 SPs +
		// 4 grant lists = 17; no write, so no preflight. Depth 2 + 3.
		{"no-op plan", func() phaseMin { return w.planMin(initial) }, phaseMin{Identity: 9, Reads: 17, Depth: 5}},
		// Consumer 1 removed (still read through state: 3 sign-in, SP 1, its 2 assignments by id), consumer 0
		// gains a grant. Reads: 1+3+3+1+3 + consumer 0 (SP 1 + 3 lists) + consumer 1 (SP 1 + 2) = 18, + the
		// preflight at the new grant's scope and the 2 deleted ones' = 21, + the ownership re-read before each of
		// the 3 deletes = 24. Writes: 1 PUT + 2 DELETE assignments + 1 DELETE SP = 4. Depth 5 + preflight 1 +
		// max(role 1, delete chain: re-read, delete, re-read, delete = 4).
		{"change apply", func() phaseMin { return w.applyMin(changed) }, phaseMin{Identity: 9, Reads: 24, Writes: 4, Depth: 10, Preflight: 3, ReadBack: 3}},
		// Consumer 1 is gone from state too.
		{"final plan", func() phaseMin { return w.planMin(changed) }, phaseMin{Identity: 6, Reads: 15, Depth: 5}},
	}
	for _, s := range steps {
		if got := s.got(); got != s.want {
			t.Errorf("%s: got %+v, want %+v", s.name, got, s.want)
		}
	}
}

func TestLowerBound(t *testing.T) {
	tests := []struct {
		name      string
		m         phaseMin
		par       int
		lat       time.Duration
		lb, brent time.Duration
	}{
		// Wide: 100 calls at 10 in flight need 10 waves.
		{"wide", phaseMin{Identity: 40, Reads: 60, Depth: 5}, 10, 50 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond},
		// Deep: the chain dominates.
		{"deep", phaseMin{Reads: 12, Depth: 6}, 10, 50 * time.Millisecond, 300 * time.Millisecond, 360 * time.Millisecond},
		// Partial last wave rounds up.
		{"round up", phaseMin{Reads: 101, Depth: 1}, 10, 10 * time.Millisecond, 110 * time.Millisecond, 111 * time.Millisecond},
		{"zero latency", phaseMin{Reads: 10, Depth: 1}, 10, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.LowerBound(tt.par, tt.lat); got != tt.lb {
				t.Errorf("LowerBound = %s, want %s", got, tt.lb)
			}
			if got := tt.m.Brent(tt.par, tt.lat); got != tt.brent {
				t.Errorf("Brent = %s, want %s", got, tt.brent)
			}
		})
	}
}
