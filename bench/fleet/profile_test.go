package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// TestProfileHarness is where the pprof figures of the benchmark's note come from: galshare has no --cpuprofile
// flag, so this harness drives the same packages the CLI wires (spec.Load → planner.Refresh → planner.Build →
// executor.Apply with a locked state) in-process, against the same generated fleet and a `galshare sim serve`
// process, and writes one CPU profile per phase plus a heap profile taken while the first plan is still live.
// It only runs when asked:
//
//	FLEET_PROFILE_DIR=/tmp/prof FLEET_PROFILE_CONSUMERS=200 FLEET_PROFILE_LATENCY=50ms \
//	  go test ./bench/fleet -run TestProfileHarness -v
//	go tool pprof -top /tmp/prof/apply-1.cpu
//
// FLEET_PROFILE_PLAN_ONLY=1 stops after the first plan (for large fleets).
func TestProfileHarness(t *testing.T) {
	dir := os.Getenv("FLEET_PROFILE_DIR")
	if dir == "" {
		t.Skip("set FLEET_PROFILE_DIR (and FLEET_PROFILE_CONSUMERS, FLEET_PROFILE_LATENCY) to profile")
	}
	n, _ := strconv.Atoi(os.Getenv("FLEET_PROFILE_CONSUMERS"))
	if n <= 0 {
		n = 200
	}
	lat, _ := time.ParseDuration(os.Getenv("FLEET_PROFILE_LATENCY"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := config{consumers: n, grants: 2, galleries: 3, latency: lat, parallelism: planner.DefaultParallelism}
	b, err := newBench(ctx, c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	work := filepath.Join(b.dir, "work")
	env, err := azure.LoadCloudFile(b.sim.cloudFile)
	if err != nil {
		t.Fatal(err)
	}
	// Wired as the CLI wires them: --parallelism bounds the requests on the wire, apply runs 3 actions per slot.
	conn, err := azure.NewConnector(azure.Options{Env: env, MaxInFlight: c.parallelism})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Chdir(work) // deliverTo is relative to the manifest
	manifest := filepath.Join(work, "manifest.yaml")
	statePath := filepath.Join(work, "galshare.state.json")

	plan := func(name string, heap bool) *planner.Plan {
		var p *planner.Plan
		profile(t, dir, name, func() {
			m, diags, err := spec.Load(ctx, manifest)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, diags)
			}
			st, err := state.Read(statePath)
			if err != nil {
				t.Fatal(err)
			}
			snap, err := planner.Refresh(ctx, m, st, conn, planner.RefreshOptions{Parallelism: c.parallelism})
			if err != nil {
				t.Fatal(err)
			}
			if p, err = planner.Build(m, snap, st, planner.Options{AuthorityHost: env.AuthorityHost}); err != nil {
				t.Fatal(err)
			}
			if err := planner.RenderText(io.Discard, p, planner.TextOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		if heap {
			writeHeap(t, filepath.Join(dir, name+".heap"))
		}
		return p
	}
	apply := func(name string) {
		profile(t, dir, name, func() {
			hd, err := state.Open(ctx, statePath, state.LockOptions{Operation: "apply"})
			if err != nil {
				t.Fatal(err)
			}
			defer hd.Close()
			m, diags, err := spec.Load(ctx, manifest)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, diags)
			}
			st := hd.State()
			snap, err := planner.Refresh(ctx, m, st, conn, planner.RefreshOptions{Parallelism: c.parallelism})
			if err != nil {
				t.Fatal(err)
			}
			p, err := planner.Build(m, snap, st, planner.Options{AuthorityHost: env.AuthorityHost})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := executor.Apply(ctx, p, executor.Options{Clients: conn, State: hd, Parallelism: c.parallelism,
				ActionsInFlight: 3 * c.parallelism})
			if err != nil {
				t.Fatal(err)
			}
			if code := rep.ExitCode(); code != 0 {
				t.Fatalf("%s: apply exit code %d", name, code)
			}
		})
	}
	p := plan("plan-1", true)
	t.Logf("plan-1: %d changes", len(p.Changes))
	if os.Getenv("FLEET_PROFILE_PLAN_ONLY") != "" {
		return
	}
	apply("apply-1")
	if p := plan("noop-plan", false); p.HasChanges() {
		t.Errorf("no-op plan has changes")
	}
}

// profile runs f under the CPU profiler, writing dir/name.cpu, and logs its wall time.
func profile(t *testing.T, dir, name string, f func()) {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, name+".cpu"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := pprof.StartCPUProfile(out); err != nil {
		t.Fatal(err)
	}
	// Where goroutines wait (state lock, fsync behind a mutex, the parallelism semaphore) shows in the mutex and
	// block profiles, which the CPU profile cannot see.
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(int(time.Millisecond))
	start := time.Now()
	f()
	pprof.StopCPUProfile()
	runtime.SetMutexProfileFraction(0)
	runtime.SetBlockProfileRate(0)
	for _, kind := range []string{"mutex", "block"} {
		wf, err := os.Create(filepath.Join(dir, name+"."+kind))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup(kind).WriteTo(wf, 0); err != nil {
			t.Fatal(err)
		}
		wf.Close()
	}
	t.Logf("%s: %s", name, time.Since(start).Round(time.Millisecond))
}

func writeHeap(t *testing.T, path string) {
	t.Helper()
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}
