package planner

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"

	"github.com/galshare/galshare/pkg/spec"
)

// topoSort orders changes so that each comes after everything it depends
// on. Among changes that are ready at the same time the original (procedure)
// order wins, so the output is deterministic and reads like the documented
// steps. A cycle is a bug in Build and is reported as an error.
func topoSort(in []*Change) ([]Change, error) {
	index := make(map[Address]int, len(in))
	for i, c := range in {
		index[c.Address] = i
	}
	indeg := make([]int, len(in))
	users := make([][]int, len(in))
	for i, c := range in {
		for _, d := range c.DependsOn {
			j, ok := index[d]
			if !ok {
				return nil, fmt.Errorf("internal error: %s depends on %s, which is not in the plan", c.Address, d)
			}
			indeg[i]++
			users[j] = append(users[j], i)
		}
	}
	// The ready changes in a min-heap of their input index: re-sorting the
	// whole ready list per emitted change was quadratic (0.4 s of Build at
	// 10,000 consumers).
	ready := &indexHeap{}
	for i := range in {
		if indeg[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	out := make([]Change, 0, len(in))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		c := *in[i]
		c.DependsOn = sortedDeps(c.DependsOn, index)
		out = append(out, c)
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(out) != len(in) {
		var stuck []string
		for i, c := range in {
			if indeg[i] > 0 {
				stuck = append(stuck, c.Address.String())
			}
		}
		return nil, fmt.Errorf("internal error: dependency cycle among %s", strings.Join(stuck, ", "))
	}
	return out, nil
}

// indexHeap is a min-heap of change indexes (container/heap).
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface.
func (h *indexHeap) Push(x any) { *h = append(*h, x.(int)) }

// Pop implements heap.Interface.
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func sortedDeps(deps []Address, index map[Address]int) []Address {
	if len(deps) == 0 {
		return nil
	}
	out := slices.Clone(deps)
	slices.SortFunc(out, func(a, b Address) int { return index[a] - index[b] })
	return out
}

// filterTargets keeps the targeted changes and, transitively, everything
// they depend on, preserving order. An address that names no change is an
// error listing what could be targeted.
func filterTargets(changes []Change, targets []Address) ([]Change, error) {
	index := make(map[Address]int, len(changes))
	for i, c := range changes {
		index[c.Address] = i
	}
	keep := make([]bool, len(changes))
	var stack []int
	for _, t := range targets {
		i, ok := index[t]
		if !ok {
			return nil, unknownTarget(t, changes)
		}
		stack = append(stack, i)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if keep[i] {
			continue
		}
		keep[i] = true
		for _, d := range changes[i].DependsOn {
			stack = append(stack, index[d])
		}
	}
	out := make([]Change, 0, len(changes))
	for i, c := range changes {
		if keep[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// Dependents returns, for each address, the changes that depend on it
// directly: the reverse edges the executor uses to skip what follows a
// failure.
func (p *Plan) Dependents() map[Address][]Address {
	out := make(map[Address][]Address, len(p.Changes))
	for _, c := range p.Changes {
		for _, d := range c.DependsOn {
			out[d] = append(out[d], c.Address)
		}
	}
	return out
}

// maxListedTargets bounds the addresses an unknown --target error lists
// (a fleet plan has tens of thousands).
const maxListedTargets = 20

// unknownTarget says that t names nothing in the plan, with the nearest
// address when t looks like a typo of one, and some that exist.
func unknownTarget(t Address, changes []Change) error {
	all := make([]string, len(changes))
	for k, c := range changes {
		all[k] = c.Address.String()
	}
	hint := ""
	if near := spec.DidYouMean(t.String(), all); near != "" {
		hint = "; did you mean " + near + "?"
	}
	listed := all
	more := ""
	if len(listed) > maxListedTargets {
		listed, more = listed[:maxListedTargets], fmt.Sprintf(", … and %d more (galshare plan --show-unchanged lists them all)", len(all)-maxListedTargets)
	}
	return fmt.Errorf("%w %s: no such object in this plan%s (addresses: %s%s)", ErrUnknownTarget, t, hint,
		strings.Join(listed, ", "), more)
}
