package executor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// simWorld is one example manifest against the in-process simulator seeded
// for it, with its own state file and delivery directory in a temp dir.
type simWorld struct {
	t         *testing.T
	sim       *azsim.Sim
	conn      *azure.Connector
	dir       string
	manifest  string
	statePath string
	// logs collects trace-level logs of the Azure layer and the executor.
	logs *lockedBuffer
	// events, when set, receives every apply event as a JSON line.
	events io.Writer
}

// lockedBuffer is a bytes.Buffer safe for the concurrent loggers writing it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func readState(t *testing.T, path string) *state.State {
	t.Helper()
	st, err := state.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// newSimWorld copies examples/NAME.yaml into a temp dir (so secrets are
// delivered there, not into the repository) and starts the simulator from
// examples/sim/NAME.yaml.
func newSimWorld(t *testing.T, name string) *simWorld {
	t.Helper()
	return newSimWorldSeed(t, name, filepath.Join("..", "..", "examples", "sim", name+".yaml"))
}

// newSimWorldSeed is newSimWorld with another simulator seed file.
func newSimWorldSeed(t *testing.T, name, seed string) *simWorld {
	t.Helper()
	if _, err := os.Stat(seed); err != nil {
		t.Skipf("simulator seed %s not available yet: %v", seed, err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	manifest := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(manifest, src, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sim, err := azsim.Start(ctx, azsim.Options{SeedFile: seed})
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	cloud := filepath.Join(dir, "cloud.json")
	if err := sim.WriteCloudFile(cloud); err != nil {
		t.Fatal(err)
	}
	env, err := azure.LoadCloudFile(cloud)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	conn, err := azure.NewConnector(azure.Options{Env: env, Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: logs})})
	if err != nil {
		t.Fatal(err)
	}
	return &simWorld{t: t, sim: sim, conn: conn, dir: dir, manifest: manifest,
		statePath: filepath.Join(dir, "galshare.state.json"), logs: logs}
}

// replicateNow marks every image version the manifest waits for as
// replicated, for tests about other things than the wait.
func (w *simWorld) replicateNow() {
	w.t.Helper()
	for _, g := range w.load().Publisher.Galleries {
		for _, v := range g.WaitFor {
			id := g.ID + "/images/" + v.Image + "/versions/" + v.Version
			if err := w.sim.SetVersionReplication(id, "completed", 0); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}

func (w *simWorld) load() *spec.Manifest {
	w.t.Helper()
	m, diags, err := spec.Load(context.Background(), w.manifest)
	if err != nil {
		w.t.Fatalf("load manifest: %v\n%s", err, diags)
	}
	return m
}

// plan refreshes and builds a plan against the current state file.
func (w *simWorld) plan(destroy bool) *planner.Plan {
	w.t.Helper()
	return w.planAt(destroy, time.Time{})
}

// planAt plans as if the clock read now (zero: the real time), to make
// secrets look due for rotation.
func (w *simWorld) planAt(destroy bool, now time.Time) *planner.Plan {
	w.t.Helper()
	m := w.load()
	st, err := state.Read(w.statePath)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx := context.Background()
	// Like the CLI, check manual tenants as the app once its secret exists.
	ropts := planner.RefreshOptions{}
	if sec := m.Publisher.App.Secret; sec != nil {
		if doc, err := azure.ReadDeliveredSecret(sec.DeliverTo.Path); err == nil {
			ropts.AppProbe, ropts.AppProbeAppID = w.conn.AppClients(doc.ClientID, doc.Secret), doc.ClientID
			ropts.Delivered = &planner.DeliveredKey{AppID: doc.ClientID, KeyID: doc.KeyID}
		}
	}
	snap, err := planner.Refresh(ctx, m, st, w.conn, ropts)
	if err != nil {
		w.t.Fatalf("refresh: %v", err)
	}
	p, err := planner.Build(m, snap, st, planner.Options{Destroy: destroy, Now: now, AuthorityHost: w.conn.Environment().AuthorityHost})
	if err != nil {
		w.t.Fatalf("build: %v", err)
	}
	return p
}

// apply applies p with a fast retry policy (the simulator's lag is short).
func (w *simWorld) apply(p *planner.Plan) *executor.Report {
	w.t.Helper()
	return w.applyWithHooks(p, nil)
}

func (w *simWorld) applyWithHooks(p *planner.Plan, hooks *executor.Hooks) *executor.Report {
	w.t.Helper()
	ctx := context.Background()
	var events executor.Sink
	if w.events != nil {
		enc := json.NewEncoder(w.events)
		events = func(e executor.Event) { _ = enc.Encode(e) }
	}
	hd, err := state.Open(ctx, w.statePath, state.LockOptions{Operation: "apply"})
	if err != nil {
		w.t.Fatal(err)
	}
	defer hd.Close()
	rep, err := executor.Apply(ctx, p, executor.Options{
		Clients: w.conn, Vaults: w.conn, State: hd, Parallelism: 10,
		WaitInterval: 50 * time.Millisecond, WaitTimeout: 30 * time.Second,
		Retry:  executor.Retrier{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Deadline: 20 * time.Second},
		Events: events, Hooks: hooks,
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: w.logs}),
	})
	if err != nil {
		w.t.Fatalf("apply: %v", err)
	}
	return rep
}

// changes lists the plan's changes that would do something, for messages.
func changes(p *planner.Plan) string {
	var out []string
	for _, c := range p.Changes {
		if c.Action != planner.NoOp || c.Adopt || c.Forget {
			out = append(out, c.Action.String()+" "+c.Address.String()+" ("+c.Reason+")")
		}
	}
	return strings.Join(out, "\n")
}

func failures(rep *executor.Report) string {
	var out []string
	for _, f := range rep.Summary.Failures {
		out = append(out, f.Error)
	}
	return strings.Join(out, "\n")
}
