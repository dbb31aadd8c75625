package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrBlocked marks a node that cannot proceed until a human acts (consent in a
// tenant galshare has no credentials for, a role grant someone else must make).
// A node whose Run returns an error wrapping ErrBlocked ends as StatusBlocked
// instead of StatusFailed, so the command can exit 3 rather than 1.
var ErrBlocked = errors.New("blocked on a human action")

// Status is the outcome of one node of a walk.
type Status int

// The outcomes of a node. Pending only appears while a walk is running.
const (
	StatusPending    Status = iota
	StatusSucceeded         // Run returned nil
	StatusFailed            // Run returned an error
	StatusBlocked           // Run returned an error wrapping ErrBlocked
	StatusSkipped           // a dependency did not succeed
	StatusNotStarted        // the walk was stopped before the node could start
	StatusCancelled         // a hard stop cancelled the node while it ran
)

var statusNames = [...]string{"pending", "succeeded", "failed", "blocked", "skipped", "not started", "cancelled"}

// String returns the lower-case name used in progress lines and JSON events.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Node is one unit of work in a walk: an ID unique within the walk, the IDs it
// depends on, and the work itself. Run receives the walk's context, which is
// cancelled on a hard stop.
type Node struct {
	ID   string
	Deps []string
	Run  func(ctx context.Context) error
}

// NodeResult is what happened to one node. For a skipped node, Cause names the
// root node (failed or blocked) whose failure made it impossible; it is never
// another skipped node, so a summary lists only root causes.
type NodeResult struct {
	ID     string
	Status Status
	Err    error
	Cause  string
	Start  time.Time
	End    time.Time
}

// Duration is how long the node ran; zero for nodes that never started.
func (r NodeResult) Duration() time.Duration {
	if r.Start.IsZero() || r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// WalkOptions tunes a walk. The zero value runs one node at a time with no
// callbacks and no graceful stop.
type WalkOptions struct {
	// Parallelism is the maximum number of nodes running at once (<=0 means 1).
	Parallelism int
	// Stop, when closed, makes the walk start nothing new; nodes in flight
	// finish and the walk returns. This is the first Ctrl-C.
	Stop <-chan struct{}
	// OnStart is called just before a node's Run, OnDone when a node reaches
	// its final status (including skipped and not-started nodes). Both are
	// called from the walk's scheduling goroutine, one at a time, so they
	// need no locking of their own; they must not block for long.
	OnStart func(id string)
	OnDone  func(NodeResult)
	// Now is the clock used for Start/End stamps (nil = time.Now).
	Now func() time.Time
}

// WalkResult holds the final status of every node, in the order the nodes
// were given.
type WalkResult struct {
	Results []NodeResult
	// Stopped reports that the walk ended early because Stop was closed or
	// the context was cancelled.
	Stopped bool
}

// Count returns how many nodes ended with status s.
func (w WalkResult) Count(s Status) int {
	n := 0
	for _, r := range w.Results {
		if r.Status == s {
			n++
		}
	}
	return n
}

// Get returns the result of node id.
func (w WalkResult) Get(id string) (NodeResult, bool) {
	for _, r := range w.Results {
		if r.ID == id {
			return r, true
		}
	}
	return NodeResult{}, false
}

// OK reports whether every node succeeded.
func (w WalkResult) OK() bool { return w.Count(StatusSucceeded) == len(w.Results) }

// ErrCycle is returned (wrapped) by Walk when the graph has a cycle.
var ErrCycle = errors.New("dependency cycle")

// walkState is the scheduler's bookkeeping; it is only touched by the
// goroutine running Walk.
type walkState struct {
	nodes      []Node
	index      map[string]int
	dependents [][]int
	waiting    []int // unfinished dependencies per node
	results    []NodeResult
	opts       WalkOptions
}

// Walk runs the graph. It returns an error only when the graph itself is
// invalid (duplicate or unknown IDs, cycles); failures of nodes are reported
// in the result. It always waits for every started node to return, even when
// ctx is cancelled, so the caller can save state afterwards.
func Walk(ctx context.Context, nodes []Node, opts WalkOptions) (WalkResult, error) {
	ws, err := newWalkState(nodes, opts)
	if err != nil {
		return WalkResult{}, err
	}
	par := opts.Parallelism
	if par <= 0 {
		par = 1
	}

	type done struct {
		i   int
		err error
		end time.Time
	}
	finished := make(chan done)
	var ready []int
	for i := range nodes {
		if ws.waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	stop := opts.Stop
	stopped := false
	inflight := 0
	for {
		for !stopped && inflight < par && len(ready) > 0 {
			if ctx.Err() != nil || isClosed(stop) {
				stopped = true
				break
			}
			i := ready[0]
			ready = ready[1:]
			inflight++
			ws.results[i].Start = ws.now()
			if opts.OnStart != nil {
				opts.OnStart(nodes[i].ID)
			}
			go func(i int) {
				err := runNode(ctx, nodes[i])
				finished <- done{i: i, err: err, end: ws.now()}
			}(i)
		}
		if inflight == 0 {
			break
		}
		select {
		case d := <-finished:
			inflight--
			ready = append(ready, ws.finish(d.i, d.err, d.end, ctx.Err())...)
		case <-stop:
			stopped, stop = true, nil
		case <-ctx.Done():
			// In-flight nodes see the same context; wait for them.
			stopped = true
			for inflight > 0 {
				d := <-finished
				inflight--
				ws.finish(d.i, d.err, d.end, ctx.Err())
			}
		}
	}
	// Anything still pending was never started because of the stop.
	for i := range ws.results {
		if ws.results[i].Status == StatusPending {
			ws.results[i].Status = StatusNotStarted
			ws.done(i)
		}
	}
	return WalkResult{Results: ws.results, Stopped: stopped}, nil
}

// isClosed reports, without blocking, whether the stop channel is closed.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// runNode calls the node's Run, turning a panic into an error so one broken
// action cannot take the whole walk (and the state save after it) down.
func runNode(ctx context.Context, n Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: internal error: %v", n.ID, p)
		}
	}()
	if n.Run == nil {
		return nil
	}
	return n.Run(ctx)
}

func newWalkState(nodes []Node, opts WalkOptions) (*walkState, error) {
	ws := &walkState{
		nodes:      nodes,
		index:      make(map[string]int, len(nodes)),
		dependents: make([][]int, len(nodes)),
		waiting:    make([]int, len(nodes)),
		results:    make([]NodeResult, len(nodes)),
		opts:       opts,
	}
	for i, n := range nodes {
		if _, dup := ws.index[n.ID]; dup {
			return nil, fmt.Errorf("walk: duplicate node %q", n.ID)
		}
		ws.index[n.ID] = i
		ws.results[i] = NodeResult{ID: n.ID, Status: StatusPending}
	}
	for i, n := range nodes {
		seen := map[string]bool{}
		for _, d := range n.Deps {
			j, ok := ws.index[d]
			if !ok {
				return nil, fmt.Errorf("walk: node %q depends on unknown node %q", n.ID, d)
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			ws.dependents[j] = append(ws.dependents[j], i)
			ws.waiting[i]++
		}
	}
	if cyc := findCycle(nodes, ws.index); len(cyc) > 0 {
		return nil, fmt.Errorf("walk: %w: %s", ErrCycle, strings.Join(cyc, " -> "))
	}
	return ws, nil
}

func (ws *walkState) now() time.Time {
	if ws.opts.Now != nil {
		return ws.opts.Now()
	}
	return time.Now()
}

func (ws *walkState) done(i int) {
	if ws.opts.OnDone != nil {
		ws.opts.OnDone(ws.results[i])
	}
}

// finish records the outcome of node i and returns the dependents that became
// ready. A node that failed or is blocked skips every transitive dependent,
// naming itself as the cause. A node that ended because the walk's context
// was cancelled (cancelled is the context's error) is cancelled, not failed:
// its dependents are simply never started.
func (ws *walkState) finish(i int, err error, end time.Time, cancelled error) []int {
	r := &ws.results[i]
	r.End = end
	r.Err = err
	switch {
	case err == nil:
		r.Status = StatusSucceeded
	case errors.Is(err, ErrBlocked):
		r.Status = StatusBlocked
	case cancelled != nil && errors.Is(err, cancelled):
		r.Status = StatusCancelled
	default:
		r.Status = StatusFailed
	}
	ws.done(i)
	if r.Status == StatusCancelled {
		return nil
	}
	if r.Status != StatusSucceeded {
		ws.skipDependents(i, r.ID)
		return nil
	}
	var ready []int
	for _, j := range ws.dependents[i] {
		ws.waiting[j]--
		if ws.waiting[j] == 0 && ws.results[j].Status == StatusPending {
			ready = append(ready, j)
		}
	}
	return ready
}

func (ws *walkState) skipDependents(i int, cause string) {
	for _, j := range ws.dependents[i] {
		if ws.results[j].Status != StatusPending {
			continue
		}
		ws.results[j].Status = StatusSkipped
		ws.results[j].Cause = cause
		ws.done(j)
		ws.skipDependents(j, cause)
	}
}

// findCycle returns the IDs along one cycle, or nil. Iterative DFS with
// colours; nodes are visited in sorted order so the reported cycle is stable.
func findCycle(nodes []Node, index map[string]int) []string {
	const (
		white = iota
		grey
		black
	)
	colour := make([]int, len(nodes))
	parent := make([]int, len(nodes))
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return nodes[order[a]].ID < nodes[order[b]].ID })
	type frame struct{ i, next int }
	for _, root := range order {
		if colour[root] != white {
			continue
		}
		stack := []frame{{i: root}}
		colour[root] = grey
		parent[root] = -1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			deps := nodes[top.i].Deps
			if top.next >= len(deps) {
				colour[top.i] = black
				stack = stack[:len(stack)-1]
				continue
			}
			j := index[deps[top.next]]
			top.next++
			switch colour[j] {
			case white:
				colour[j] = grey
				parent[j] = top.i
				stack = append(stack, frame{i: j})
			case grey:
				cyc := []string{nodes[j].ID}
				for k := top.i; k != j && k >= 0; k = parent[k] {
					cyc = append(cyc, nodes[k].ID)
				}
				cyc = append(cyc, nodes[j].ID)
				// Reverse into dependency order: a -> b means a depends on b.
				for l, r := 0, len(cyc)-1; l < r; l, r = l+1, r-1 {
					cyc[l], cyc[r] = cyc[r], cyc[l]
				}
				return cyc
			}
		}
	}
	return nil
}
