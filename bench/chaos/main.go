package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
	}
	os.Exit(code)
}

// run parses flags, runs the harness and returns the exit code: 0 when every run converged with zero counters.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return 2, err
	}
	cfg.out = stdout
	start := time.Now()
	tot, err := runHarness(ctx, cfg)
	if err != nil {
		return 1, err
	}
	fmt.Fprintf(stdout, "elapsed=%s kills=%d resumes=%d locks_broken=%d human_acts=%d failed_attempts=%d rotations=%d\n",
		time.Since(start).Round(time.Second), tot.Kills, tot.Resumes, tot.LocksBroken, tot.HumanActs, tot.FailedAttempts,
		tot.Rotations)
	fmt.Fprintln(stdout, tot.finalLine())
	if !tot.ok() {
		return 1, nil
	}
	return 0, nil
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	var profilesFlag, examplesFlag string
	fs.IntVar(&cfg.runs, "runs", 100, "number of full lifecycles")
	fs.Int64Var(&cfg.seed, "seed", 1, "seed for faults, kill points and example order")
	fs.StringVar(&profilesFlag, "profile", "default", "fault profiles, comma-separated: "+strings.Join(profileNames(), ", "))
	fs.StringVar(&examplesFlag, "examples", "quickstart,partner-msp,acquisition", "example manifests to cycle through")
	fs.Float64Var(&cfg.killRate, "kill-rate", 0.3, "fraction of runs SIGKILLed at a random point (and resumed)")
	fs.IntVar(&cfg.jobs, "jobs", 3, "runs in parallel")
	fs.IntVar(&cfg.maxAttempts, "attempts", 8, "galshare invocations allowed per phase before the run counts as not converged")
	fs.StringVar(&cfg.bin, "bin", "", "galshare binary to drive (default: build ./cmd/galshare)")
	fs.StringVar(&cfg.workDir, "dir", "", "directory for run artefacts (default: a temporary directory, removed unless --keep)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the run directories")
	fs.BoolVar(&cfg.verbose, "v", false, "print one line per run")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if cfg.runs < 1 || cfg.jobs < 1 || cfg.maxAttempts < 1 {
		return nil, fmt.Errorf("--runs, --jobs and --attempts must be at least 1")
	}
	if cfg.killRate < 0 || cfg.killRate > 1 {
		return nil, fmt.Errorf("--kill-rate must be in [0,1]")
	}
	for _, p := range strings.Split(profilesFlag, ",") {
		p = strings.TrimSpace(p)
		if _, ok := profileFaults(p); !ok {
			return nil, fmt.Errorf("unknown profile %q (known: %s)", p, strings.Join(profileNames(), ", "))
		}
		cfg.profiles = append(cfg.profiles, p)
	}
	for _, e := range strings.Split(examplesFlag, ",") {
		if e = strings.TrimSpace(e); e != "" {
			cfg.examples = append(cfg.examples, e)
		}
	}
	if len(cfg.examples) == 0 {
		return nil, fmt.Errorf("--examples is empty")
	}
	return cfg, nil
}
