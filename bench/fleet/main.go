package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"
)

// config holds the command-line flags.
type config struct {
	consumers   int
	grants      int
	galleries   int
	latency     time.Duration
	parallelism int
	short       bool
	scale       int
	scaleSteps  int
	faults      string
	keep        string
	bin         string
	simBin      string
	// stateBackend is file (galshare.state.json) or azurite (a blob on
	// an Azurite started for the run).
	stateBackend string
}

func main() {
	if p := os.Getenv(spawnEnv); p != "" {
		os.Exit(spawnMain(p, os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole benchmark minus os.Exit, so the short-mode test drives it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.consumers, "consumers", 200, "consumer tenants")
	fs.IntVar(&c.grants, "grants", 2, "role grants per consumer (one resource group each)")
	fs.IntVar(&c.galleries, "galleries", 3, "galleries, each with one image version to wait for")
	fs.DurationVar(&c.latency, "latency", 50*time.Millisecond, "latency the simulator adds to every call")
	fs.IntVar(&c.parallelism, "parallelism", 10, "galshare --parallelism")
	fs.BoolVar(&c.short, "short", false, "a few consumers and 5ms latency (CI)")
	fs.IntVar(&c.scale, "scale", 0, "scale run: plan only for N consumers at zero latency, printing galshare's CPU and peak RSS")
	fs.IntVar(&c.scaleSteps, "scale-steps", 1, "with --scale: also plan at N/steps, 2N/steps, … to show how memory and CPU grow")
	fs.StringVar(&c.faults, "faults", "", "extra simulator faults, e.g. '429=0.05' (added to the latency)")
	fs.StringVar(&c.keep, "keep", "", "work in this directory and keep it (default: a temporary directory, removed)")
	fs.StringVar(&c.bin, "galshare", "", "galshare binary to drive (default: go build ./cmd/galshare)")
	fs.StringVar(&c.stateBackend, "state-backend", "file", "where galshare keeps its state: file, or azurite (a blob on a local Azurite, installed on first use)")
	fs.StringVar(&c.simBin, "sim-galshare", "", "galshare binary to run `sim serve` from (default: the one driven), to compare builds against the same simulator")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/fleet [flags]\n\nMeasures galshare plan/apply on a generated fleet against `galshare sim serve`.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if c.short {
		c.consumers, c.latency = 4, 5*time.Millisecond
	}
	if c.scale > 0 {
		c.consumers, c.latency = c.scale, 0
	}
	if c.stateBackend != "file" && c.stateBackend != "azurite" {
		fmt.Fprintln(stderr, "fleet: --state-backend is file or azurite")
		return 2
	}
	if c.consumers < 0 || c.grants < 0 || c.galleries < 1 || c.parallelism < 1 {
		fmt.Fprintln(stderr, "fleet: --consumers and --grants must be ≥ 0, --galleries and --parallelism ≥ 1")
		return 2
	}
	if c.scale > 0 {
		if err := scaleSeries(ctx, c, stdout); err != nil {
			fmt.Fprintln(stderr, "fleet:", err)
			return 1
		}
		return 0
	}
	b, err := newBench(ctx, c, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 1
	}
	defer b.close()
	if err := b.fleetRun(ctx); err != nil {
		fmt.Fprintln(stderr, "fleet:", err)
		return 1
	}
	return 0
}

// scaleSeries runs the scale plan at N/steps, 2N/steps, … N consumers (one fresh world each) and ends with a table
// of how galshare's peak RSS and CPU time grow with the fleet.
func scaleSeries(ctx context.Context, c config, out io.Writer) error {
	steps := max(c.scaleSteps, 1)
	var rows []string
	var firstErr error
	for i := 1; i <= steps; i++ {
		cc := c
		cc.consumers = c.scale * i / steps
		b, err := newBench(ctx, cc, out)
		if err != nil {
			return err
		}
		r, err := b.scaleRun(ctx)
		b.close()
		if r.Use.Wall > 0 {
			rows = append(rows, fmt.Sprintf("%d\t%.1f\t%.1f\t%s\t%s\t", cc.consumers, float64(r.Use.MaxRSSKB)/1024,
				float64(r.Use.MaxRSSKB)/1024/float64(max(cc.consumers, 1))*1024, dur(r.Use.CPU), dur(r.Use.Wall)))
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if steps > 1 {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "consumers\tplan rss MB\tKB/consumer\tplan cpu\tplan wall\t")
		for _, r := range rows {
			fmt.Fprintln(tw, r)
		}
		_ = tw.Flush()
	}
	return firstErr
}
