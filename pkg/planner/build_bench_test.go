package planner

import "testing"

// BenchmarkBuild500 plans 500 consumers (1,000 objects to create): Build is
// pure, so this is the whole CPU cost of a plan besides refresh.
func BenchmarkBuild500(b *testing.B) {
	p := bigPlan(b, 500)
	if len(p.Changes) != 5+2*500 {
		b.Fatalf("%d changes", len(p.Changes))
	}
	for b.Loop() {
		bigPlan(b, 500)
	}
}
