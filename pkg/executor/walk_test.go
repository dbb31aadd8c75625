package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// spec is a compact node description for table tests: deps and the error the
// node returns ("" = success, "blocked" = ErrBlocked, "panic" = panics).
type nodeSpec struct {
	id   string
	deps []string
	err  string
}

// recorder builds nodes from specs and records the order in which they ran.
type recorder struct {
	mu    sync.Mutex
	order []string
}

func (rec *recorder) nodes(specs []nodeSpec) []Node {
	var out []Node
	for _, s := range specs {
		out = append(out, Node{ID: s.id, Deps: s.deps, Run: func(context.Context) error {
			rec.mu.Lock()
			rec.order = append(rec.order, s.id)
			rec.mu.Unlock()
			switch s.err {
			case "":
				return nil
			case "blocked":
				return fmt.Errorf("consent needed: %w", ErrBlocked)
			case "panic":
				panic("boom")
			default:
				return errors.New(s.err)
			}
		}})
	}
	return out
}

type outcome struct {
	Status Status
	Cause  string
}

func outcomes(res WalkResult) map[string]outcome {
	m := map[string]outcome{}
	for _, r := range res.Results {
		m[r.ID] = outcome{r.Status, r.Cause}
	}
	return m
}

func TestWalkOutcomes(t *testing.T) {
	tests := []struct {
		name  string
		specs []nodeSpec
		want  map[string]outcome
	}{
		{
			name:  "chain succeeds",
			specs: []nodeSpec{{id: "app"}, {id: "secret", deps: []string{"app"}}, {id: "sp", deps: []string{"app"}}, {id: "role", deps: []string{"sp"}}},
			want: map[string]outcome{
				"app": {StatusSucceeded, ""}, "secret": {StatusSucceeded, ""},
				"sp": {StatusSucceeded, ""}, "role": {StatusSucceeded, ""},
			},
		},
		{
			name: "failure skips dependents transitively, independent branches finish",
			specs: []nodeSpec{
				{id: "app"}, {id: "sp[a]", deps: []string{"app"}, err: "403"},
				{id: "role[a]", deps: []string{"sp[a]"}}, {id: "role[a2]", deps: []string{"role[a]"}},
				{id: "sp[b]", deps: []string{"app"}}, {id: "role[b]", deps: []string{"sp[b]"}},
				{id: "wait"},
			},
			want: map[string]outcome{
				"app": {StatusSucceeded, ""}, "sp[a]": {StatusFailed, ""},
				"role[a]": {StatusSkipped, "sp[a]"}, "role[a2]": {StatusSkipped, "sp[a]"},
				"sp[b]": {StatusSucceeded, ""}, "role[b]": {StatusSucceeded, ""}, "wait": {StatusSucceeded, ""},
			},
		},
		{
			name:  "blocked is not a failure and skips dependents",
			specs: []nodeSpec{{id: "sp[m]", err: "blocked"}, {id: "role[m]", deps: []string{"sp[m]"}}, {id: "other"}},
			want: map[string]outcome{
				"sp[m]": {StatusBlocked, ""}, "role[m]": {StatusSkipped, "sp[m]"}, "other": {StatusSucceeded, ""},
			},
		},
		{
			name:  "diamond with one failing side names the root cause",
			specs: []nodeSpec{{id: "a"}, {id: "b", deps: []string{"a"}, err: "x"}, {id: "c", deps: []string{"a"}}, {id: "d", deps: []string{"b", "c"}}},
			want: map[string]outcome{
				"a": {StatusSucceeded, ""}, "b": {StatusFailed, ""}, "c": {StatusSucceeded, ""}, "d": {StatusSkipped, "b"},
			},
		},
		{
			name:  "panic fails only that node",
			specs: []nodeSpec{{id: "a", err: "panic"}, {id: "b", deps: []string{"a"}}, {id: "c"}},
			want: map[string]outcome{
				"a": {StatusFailed, ""}, "b": {StatusSkipped, "a"}, "c": {StatusSucceeded, ""},
			},
		},
		{
			name:  "duplicate deps are counted once",
			specs: []nodeSpec{{id: "a"}, {id: "b", deps: []string{"a", "a"}}},
			want:  map[string]outcome{"a": {StatusSucceeded, ""}, "b": {StatusSucceeded, ""}},
		},
	}
	for _, tt := range tests {
		for _, par := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/par=%d", tt.name, par), func(t *testing.T) {
				rec := &recorder{}
				var doneCalls int
				res, err := Walk(context.Background(), rec.nodes(tt.specs), WalkOptions{
					Parallelism: par,
					OnDone:      func(NodeResult) { doneCalls++ },
				})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, outcomes(res)); diff != "" {
					t.Errorf("outcomes (-want +got):\n%s", diff)
				}
				if doneCalls != len(tt.specs) {
					t.Errorf("OnDone called %d times, want %d", doneCalls, len(tt.specs))
				}
				// Every node ran after all its dependencies.
				pos := map[string]int{}
				for i, id := range rec.order {
					pos[id] = i
				}
				for _, s := range tt.specs {
					if _, ran := pos[s.id]; !ran {
						continue
					}
					for _, d := range s.deps {
						if dp, ok := pos[d]; !ok || dp > pos[s.id] {
							t.Errorf("%s ran before its dependency %s (order %v)", s.id, d, rec.order)
						}
					}
				}
				if res.Stopped {
					t.Error("Stopped = true for a walk nobody stopped")
				}
			})
		}
	}
}

func TestWalkInvalidGraph(t *testing.T) {
	tests := []struct {
		name  string
		specs []nodeSpec
		want  string
	}{
		{"duplicate", []nodeSpec{{id: "a"}, {id: "a"}}, `walk: duplicate node "a"`},
		{"unknown dep", []nodeSpec{{id: "a", deps: []string{"zz"}}}, `walk: node "a" depends on unknown node "zz"`},
		{"cycle", []nodeSpec{{id: "a", deps: []string{"c"}}, {id: "b", deps: []string{"a"}}, {id: "c", deps: []string{"b"}}},
			"walk: dependency cycle: a -> c -> b -> a"},
		{"self loop", []nodeSpec{{id: "a", deps: []string{"a"}}}, "walk: dependency cycle: a -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			_, err := Walk(context.Background(), rec.nodes(tt.specs), WalkOptions{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if len(rec.order) != 0 {
				t.Errorf("nodes ran on an invalid graph: %v", rec.order)
			}
		})
	}
}

func TestWalkParallelismBound(t *testing.T) {
	for _, par := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(par), func(t *testing.T) {
			var cur, peak atomic.Int32
			var nodes []Node
			for i := range 12 {
				nodes = append(nodes, Node{ID: fmt.Sprint(i), Run: func(context.Context) error {
					n := cur.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					time.Sleep(5 * time.Millisecond)
					cur.Add(-1)
					return nil
				}})
			}
			res, err := Walk(context.Background(), nodes, WalkOptions{Parallelism: par})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Fatalf("not all succeeded: %+v", res.Results)
			}
			if got := int(peak.Load()); got != par {
				t.Errorf("peak concurrency = %d, want exactly %d", got, par)
			}
		})
	}
}

func TestWalkGracefulStop(t *testing.T) {
	// a and b start; the stop arrives while they run; they finish, nothing
	// else starts, c (dependent) and d (independent, waiting for a slot) are
	// reported as not started.
	stop := make(chan struct{})
	started := make(chan string, 4)
	release := make(chan struct{})
	var ctxErrSeen atomic.Bool
	run := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			started <- id
			<-release
			if ctx.Err() != nil {
				ctxErrSeen.Store(true)
			}
			return nil
		}
	}
	nodes := []Node{
		{ID: "a", Run: run("a")}, {ID: "b", Run: run("b")},
		{ID: "c", Deps: []string{"a"}, Run: run("c")}, {ID: "d", Run: run("d")},
	}
	resCh := make(chan WalkResult)
	go func() {
		res, err := Walk(context.Background(), nodes, WalkOptions{Parallelism: 2, Stop: stop})
		if err != nil {
			t.Error(err)
		}
		resCh <- res
	}()
	<-started
	<-started
	close(stop)
	time.Sleep(20 * time.Millisecond) // let the walker see the stop first
	close(release)
	res := <-resCh
	want := map[string]outcome{
		"a": {StatusSucceeded, ""}, "b": {StatusSucceeded, ""},
		"c": {StatusNotStarted, ""}, "d": {StatusNotStarted, ""},
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !res.Stopped {
		t.Error("Stopped = false")
	}
	if ctxErrSeen.Load() {
		t.Error("a graceful stop cancelled the context of in-flight nodes")
	}
}

func TestWalkStopBeforeStart(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	rec := &recorder{}
	res, err := Walk(context.Background(), rec.nodes([]nodeSpec{{id: "a"}, {id: "b"}}), WalkOptions{Stop: stop})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.order) != 0 || res.Count(StatusNotStarted) != 2 || !res.Stopped {
		t.Errorf("ran %v, results %+v", rec.order, res.Results)
	}
}

func TestWalkCancelAbortsInFlight(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	nodes := []Node{
		{ID: "slow", Run: func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return fmt.Errorf("create app: %w", ctx.Err())
		}},
		{ID: "after", Deps: []string{"slow"}},
		{ID: "queued"},
	}
	go func() { <-started; cancel() }()
	res, err := Walk(ctx, nodes, WalkOptions{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]outcome{
		"slow": {StatusCancelled, ""}, "after": {StatusNotStarted, ""}, "queued": {StatusNotStarted, ""},
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if r, _ := res.Get("slow"); !errors.Is(r.Err, context.Canceled) {
		t.Errorf("slow err = %v, want context.Canceled", r.Err)
	}
	if !res.Stopped {
		t.Error("Stopped = false")
	}
}

func TestWalkStampsAndCallbacks(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	var events []string
	rec := &recorder{}
	res, err := Walk(context.Background(), rec.nodes([]nodeSpec{{id: "a"}, {id: "b", deps: []string{"a"}, err: "no"}, {id: "c", deps: []string{"b"}}}), WalkOptions{
		Now:     now,
		OnStart: func(id string) { events = append(events, "start "+id) },
		OnDone:  func(r NodeResult) { events = append(events, r.Status.String()+" "+r.ID) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents := []string{"start a", "succeeded a", "start b", "failed b", "skipped c"}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	a, _ := res.Get("a")
	if a.Duration() != time.Second {
		t.Errorf("a duration = %v, want 1s", a.Duration())
	}
	if c, _ := res.Get("c"); c.Duration() != 0 {
		t.Errorf("skipped node has duration %v", c.Duration())
	}
}

func TestActionsInFlight(t *testing.T) {
	tests := []struct {
		par, actions, want int
	}{
		{10, 0, 10},  // the CLI's callers without a bounding connector: one action per call slot
		{10, 30, 30}, // the CLI: the connector bounds calls to 10, 30 actions may wait on state meanwhile
		{10, 5, 10},  // never below Parallelism
	}
	for _, tt := range tests {
		if got := (Options{Parallelism: tt.par, ActionsInFlight: tt.actions}).actionsInFlight(); got != tt.want {
			t.Errorf("Parallelism %d, ActionsInFlight %d: %d actions, want %d", tt.par, tt.actions, got, tt.want)
		}
	}
}
