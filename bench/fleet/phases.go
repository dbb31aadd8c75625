package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// result is one measured phase.
type result struct {
	Name  string
	Kind  string // plan | apply | render
	Stats simStats
	Min   phaseMin
	Use   usage
	Par   int
	Lat   time.Duration
	Note  string
	// SimCPU is the simulator's CPU time during the phase: on a 2-core machine it competes with galshare.
	SimCPU time.Duration
}

// reads is the calls that were neither sign-in nor writes.
func (r result) reads() int64 { return r.Stats.Total - r.Stats.Writes - r.Stats.identity() }

// callsRatio is calls made / minimum calls.
func (r result) callsRatio() float64 {
	if r.Min.Calls() == 0 {
		return 0
	}
	return float64(r.Stats.Total) / float64(r.Min.Calls())
}

// wallRatio is wall time / lower bound (0 when the bound is 0, i.e. zero latency).
func (r result) wallRatio() float64 {
	lb := r.Min.LowerBound(r.Par, r.Lat)
	if lb <= 0 {
		return 0
	}
	return float64(r.Use.Wall) / float64(lb)
}

// measure resets the simulator's counters, runs one galshare command and reads the counters back.
func (b *bench) measure(ctx context.Context, name, kind string, min phaseMin, okCodes []int, args ...string) (result, error) {
	r := result{Name: name, Kind: kind, Min: min, Par: b.c.parallelism, Lat: b.c.latency}
	if err := b.sim.resetStats(ctx); err != nil {
		return r, err
	}
	var err error
	simCPU := b.sim.cpu()
	r.Use, err = b.gs.run(ctx, name, okCodes, args...)
	r.SimCPU = b.sim.cpu() - simCPU
	if err != nil {
		if e := b.sim.alive(); e != nil {
			return r, fmt.Errorf("%w (see %s): %v", e, b.sim.logPath, err)
		}
		return r, err
	}
	r.Stats, err = b.sim.stats(ctx)
	return r, err
}

// common are the flags every galshare call of the benchmark gets.
func (b *bench) common() []string {
	return []string{"--state", b.stateArg, "--parallelism", strconv.Itoa(b.c.parallelism)}
}

// fleetRun measures first plan, first apply, no-op plan, apply after changing 10% of the consumers, and a final
// no-op plan (which proves the change converged), then prints the table and the summary line.
func (b *bench) fleetRun(ctx context.Context) error {
	var rs []result
	initial := b.f.desiredFor(nil)
	change := b.f.TenPercent()
	changed := b.f.desiredFor(&change)

	plan := func(name string, d desired) error {
		args := append([]string{"plan", "manifest.yaml", "--detailed-exitcode", "--out", name + ".plan"}, b.common()...)
		r, err := b.measure(ctx, name, "plan", b.w.planMin(d), []int{0, 2}, args...)
		if err != nil {
			return err
		}
		if r.Use.ExitCode == 2 {
			r.Note = "changes"
		} else {
			r.Note = "no changes"
		}
		rs = append(rs, r)
		return nil
	}
	apply := func(name string, d desired) error {
		args := append([]string{"apply", "manifest.yaml", "--auto-approve"}, b.common()...)
		r, err := b.measure(ctx, name, "apply", b.w.applyMin(d), []int{0}, args...)
		if err != nil {
			return err
		}
		rs = append(rs, r)
		return nil
	}

	steps := []struct {
		name string
		do   func() error
	}{
		{"plan-1", func() error { return plan("plan-1", initial) }},
		{"apply-1", func() error { return apply("apply-1", initial) }},
		{"noop-plan", func() error { return plan("noop-plan", initial) }},
		{"apply-10%", func() error {
			if err := b.writeManifest(&change); err != nil {
				return err
			}
			return apply("apply-10%", changed)
		}},
		{"noop-plan-2", func() error { return plan("noop-plan-2", changed) }},
	}
	for _, s := range steps {
		fmt.Fprintf(b.out, "fleet: %s …\n", s.name)
		if err := s.do(); err != nil {
			printTable(b.out, rs)
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	printTable(b.out, rs)
	printSummary(b.out, rs)
	return nil
}

// scaleRun plans a fleet at zero latency and prints galshare's CPU time and peak RSS, then times rendering the saved
// plan as text and markdown (`galshare show`). A failed render is reported in its row, after the plan's figures.
func (b *bench) scaleRun(ctx context.Context) (result, error) {
	var rs []result
	args := append([]string{"plan", "manifest.yaml", "--detailed-exitcode", "--out", "scale.plan"}, b.common()...)
	fmt.Fprintf(b.out, "fleet: plan of %d consumers …\n", b.f.Consumers)
	r, err := b.measure(ctx, "scale-plan", "plan", b.w.planMin(b.f.desiredFor(nil)), []int{0, 2}, args...)
	if err != nil {
		return r, err
	}
	rs = append(rs, r)
	var renderErr error
	for _, format := range []string{"text", "markdown"} {
		name := "show-" + format
		r, err := b.measure(ctx, name, "render", phaseMin{}, []int{0, 2}, "show", "--format", format, "scale.plan")
		if err != nil {
			r.Note = "failed: " + lastLine(err.Error())
			renderErr = errors.Join(renderErr, err)
		}
		rs = append(rs, r)
	}
	printTable(b.out, rs)
	p := rs[0]
	fmt.Fprintf(b.out, "scale: consumers=%d plan_wall=%s plan_cpu=%s plan_peak_rss_mb=%.1f calls=%d plan_text_bytes=%d show_text=%s show_markdown=%s markdown_bytes=%d\n",
		b.f.Consumers, dur(p.Use.Wall), dur(p.Use.CPU), float64(p.Use.MaxRSSKB)/1024, p.Stats.Total, p.Use.Stdout,
		dur(rs[1].Use.Wall), dur(rs[2].Use.Wall), rs[2].Use.Stdout)
	return p, renderErr
}

// lastLine is the last non-empty line of s (of a failed run's error: galshare's own message).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
