package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable prints one row per phase: calls made (sign-in / reads / writes) against the computed minimum (pf/rb:
// how much of it the write preflight and the read-backs after Entra creates account for; calls/strict: the ratio
// to the minimum without them), wall time against the lower bound, and galshare's own CPU time and peak RSS.
func printTable(w io.Writer, rs []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tcalls\tsignin\treads\twrites\tmin\tmin(s/r/w)\tpf/rb\tcalls/min\tcalls/strict\tdepth\twall\tlb\tbrent\twall/lb\tcpu\trss MB\tsim cpu\tout KB\t429s\tnote\t")
	for _, r := range rs {
		if r.Kind == "render" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t-\t-\t-\t%s\t%.1f\t-\t%.0f\t-\t%s\t\n", r.Name, dur(r.Use.Wall),
				dur(r.Use.CPU), float64(r.Use.MaxRSSKB)/1024, float64(r.Use.Stdout)/1024, r.Note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d/%d/%d\t%d/%d\t%.3f\t%.3f\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%.0f\t%d\t%s\t\n",
			r.Name, r.Stats.Total, r.Stats.identity(), r.reads(), r.Stats.Writes,
			r.Min.Calls(), r.Min.Identity, r.Min.Reads, r.Min.Writes, r.Min.Preflight, r.Min.ReadBack, r.callsRatio(),
			float64(r.Stats.Total)/float64(max(r.Min.Strict(), 1)), r.Min.Depth,
			dur(r.Use.Wall), dur(r.Min.LowerBound(r.Par, r.Lat)), dur(r.Min.Brent(r.Par, r.Lat)), ratio(r.wallRatio()),
			dur(r.Use.CPU), float64(r.Use.MaxRSSKB)/1024, dur(r.SimCPU), float64(r.Use.Stdout)/1024, r.Stats.Faults["429"], r.Note)
	}
	_ = tw.Flush()
	printRoutes(w, rs)
}

// printRoutes lists, per phase, the calls by route, largest first: where the calls go.
func printRoutes(w io.Writer, rs []result) {
	for _, r := range rs {
		if r.Kind == "render" || len(r.Stats.Routes) == 0 {
			continue
		}
		type kv struct {
			k string
			v int64
		}
		var xs []kv
		for k, v := range r.Stats.Routes {
			xs = append(xs, kv{k, v})
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i].v > xs[j].v || xs[i].v == xs[j].v && xs[i].k < xs[j].k })
		var parts []string
		for _, x := range xs {
			parts = append(parts, fmt.Sprintf("%s=%d", x.k, x.v))
		}
		fmt.Fprintf(w, "  %s routes: %s\n", r.Name, strings.Join(parts, ", "))
	}
}

// printSummary prints the last line: the worst calls ratio over all phases, the worst wall ratio over plan and
// over apply phases, and the writes of the no-op plans (which must be 0).
func printSummary(w io.Writer, rs []result) {
	var calls, plan, apply float64
	var noopWrites int64
	for _, r := range rs {
		calls = max(calls, r.callsRatio())
		switch r.Kind {
		case "plan":
			plan = max(plan, r.wallRatio())
		case "apply":
			apply = max(apply, r.wallRatio())
		}
		if strings.HasPrefix(r.Name, "noop") {
			noopWrites += r.Stats.Writes
		}
	}
	fmt.Fprintf(w, "calls_ratio=%.3f plan_ratio=%s apply_ratio=%s noop_writes=%d\n", calls, ratio(plan), ratio(apply), noopWrites)
}

func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

func ratio(f float64) string {
	if f == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", f)
}
