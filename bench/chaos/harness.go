package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// config is the harness configuration, built from flags (or by the short-mode test).
type config struct {
	runs        int
	seed        int64
	profiles    []string
	examples    []string
	killRate    float64
	jobs        int
	maxAttempts int
	bin         string
	workDir     string
	keep        bool
	verbose     bool
	out         io.Writer
}

// profileFaults returns the simulator fault spec (pkg/azsim ParseFaults syntax) of a named profile. "default" is
// the profile issue 7 names: latency jitter, 10% 5xx, 10% 429 with Retry-After, 1% dropped connections and a
// replication lag of seconds.
func profileFaults(name string) (string, bool) {
	switch name {
	case "calm":
		return "", true
	case "default":
		return "latency=2ms,jitter=40ms,429=0.1,5xx=0.1,reset=0.01,lag=2s,retry-after=1s", true
	case "harsh":
		return "latency=5ms,jitter=80ms,429=0.2,5xx=0.2,reset=0.03,lag=4s,retry-after=1s", true
	}
	return "", false
}

func profileNames() []string { return []string{"calm", "default", "harsh"} }

// counters are the figures of one run or a sum of runs. The last four of the line must stay zero.
type counters struct {
	Runs, Converged                                        int
	Duplicates, Orphans, LeakedSecrets, StateMismatches    int
	Undelivered, BadModes                                  int
	Kills, Resumes, LocksBroken, HumanActs, FailedAttempts int
	Rotations                                              int
	Wall                                                   time.Duration
}

func (c *counters) add(o counters) {
	c.Runs += o.Runs
	c.Converged += o.Converged
	c.Duplicates += o.Duplicates
	c.Orphans += o.Orphans
	c.LeakedSecrets += o.LeakedSecrets
	c.StateMismatches += o.StateMismatches
	c.Undelivered += o.Undelivered
	c.BadModes += o.BadModes
	c.Kills += o.Kills
	c.Resumes += o.Resumes
	c.LocksBroken += o.LocksBroken
	c.HumanActs += o.HumanActs
	c.FailedAttempts += o.FailedAttempts
	c.Rotations += o.Rotations
	c.Wall += o.Wall
}

// ok reports whether every run converged and no invariant was broken.
func (c counters) ok() bool {
	return c.Runs > 0 && c.Converged == c.Runs && c.Duplicates == 0 && c.Orphans == 0 && c.LeakedSecrets == 0 &&
		c.StateMismatches == 0 && c.Undelivered == 0 && c.BadModes == 0
}

// finalLine is the line issue 7 asks the harness to end with.
func (c counters) finalLine() string {
	return fmt.Sprintf("runs=%d converged=%d duplicates=%d orphans=%d leaked_secrets=%d state_mismatches=%d",
		c.Runs, c.Converged, c.Duplicates, c.Orphans, c.LeakedSecrets, c.StateMismatches)
}

// runResult is one lifecycle's outcome.
type runResult struct {
	idx      int
	profile  string
	example  string
	killed   string // where the planned kill struck, "" when none was planned
	c        counters
	problems []string
}

// runHarness builds (or takes) the galshare binary and runs cfg.runs lifecycles with cfg.jobs in parallel.
func runHarness(ctx context.Context, cfg *config) (counters, error) {
	root, err := moduleRoot()
	if err != nil {
		return counters{}, err
	}
	base := cfg.workDir
	if base == "" {
		if base, err = os.MkdirTemp("", "galshare-chaos-"); err != nil {
			return counters{}, err
		}
		if !cfg.keep {
			defer os.RemoveAll(base)
		}
	} else if err := os.MkdirAll(base, 0o700); err != nil {
		return counters{}, err
	}
	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(base, "galshare")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/galshare")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return counters{}, fmt.Errorf("build galshare: %v\n%s", err, out)
		}
	}
	h := &harness{cfg: cfg, root: root, base: base, bin: bin}

	results := make([]runResult, cfg.runs)
	idx := make(chan int)
	var wg sync.WaitGroup
	var printMu sync.Mutex
	for w := 0; w < cfg.jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				r := h.runOne(ctx, i)
				results[i] = r
				if cfg.verbose || len(r.problems) > 0 {
					printMu.Lock()
					fmt.Fprintln(cfg.out, r.line())
					for _, p := range r.problems {
						fmt.Fprintf(cfg.out, "    %s\n", p)
					}
					printMu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < cfg.runs && ctx.Err() == nil; i++ {
		idx <- i
	}
	close(idx)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return counters{}, err
	}

	per := map[string]*counters{}
	var tot counters
	for _, r := range results {
		if per[r.profile] == nil {
			per[r.profile] = &counters{}
		}
		per[r.profile].add(r.c)
		tot.add(r.c)
	}
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := per[n]
		spec, _ := profileFaults(n)
		fmt.Fprintf(cfg.out, "profile=%s faults=%q %s undelivered=%d bad_modes=%d kills=%d mean_run=%s\n", n, spec,
			c.finalLine(), c.Undelivered, c.BadModes, c.Kills, (c.Wall / time.Duration(max(c.Runs, 1))).Round(100*time.Millisecond))
	}
	return tot, nil
}

func (r runResult) line() string {
	status := "converged"
	if r.c.Converged == 0 {
		status = "NOT converged"
	}
	kill := "no kill"
	if r.killed != "" {
		kill = "kill " + r.killed
	}
	return fmt.Sprintf("run %3d %-8s %-12s %-36s %s attempts_failed=%d wall=%s", r.idx, r.profile, r.example, kill, status,
		r.c.FailedAttempts, r.c.Wall.Round(100*time.Millisecond))
}

// moduleRoot finds the directory holding go.mod, from the working directory upwards (go run and go test both
// start somewhere inside the module).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/galshare/galshare") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find galshare's go.mod above the working directory")
		}
		dir = parent
	}
}
