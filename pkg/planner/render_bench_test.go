package planner

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// BenchmarkRenderText10k renders a 10,000-consumer plan (20,000+ changes in
// 10,000+ tenants) as text: it must stay linear (grouping by tenant once)
// and well under a second.
func BenchmarkRenderText10k(b *testing.B) {
	p := bigPlan(b, 10_000) // setup: b.Loop times only the loop
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderText(io.Discard, p, TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderMarkdown10k is the same for the PR-comment rendering,
// which renders everything before cutting to MarkdownLimit.
func BenchmarkRenderMarkdown10k(b *testing.B) {
	p := bigPlan(b, 10_000) // setup: b.Loop times only the loop
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderMarkdown(io.Discard, p, MarkdownOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderTextSummaryFirst: a plan with changes shows its summary line
// near the top as well as last; a no-op plan shows it once.
func TestRenderTextSummaryFirst(t *testing.T) {
	for name, p := range goldenPlans(t) {
		var b bytes.Buffer
		if err := RenderText(&b, p, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		want := SummaryLine(p)
		n := strings.Count(b.String(), want+"\n")
		switch {
		case !p.HasChanges() && !p.IsBlocked():
			if n != 1 {
				t.Errorf("%s: summary %q printed %d times, want once", name, want, n)
			}
		case n != 2 || len(lines) < 3 || lines[2] != want:
			t.Errorf("%s: summary %q printed %d times and line 3 is %q; want it on line 3 and last", name, want, n, lines[min(2, len(lines)-1)])
		}
	}
}

// TestRenderTextGroupsEveryChange: each listed change appears exactly once
// under its own tenant, in plan order, however many tenants there are.
func TestRenderTextGroupsEveryChange(t *testing.T) {
	p := bigPlan(t, 50)
	var b bytes.Buffer
	if err := RenderText(&b, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for i := range p.Changes {
		c := &p.Changes[i]
		if !visible(c, false) {
			continue
		}
		head := " " + c.Address.String() + " "
		if n := strings.Count(out, head); n != 1 {
			t.Fatalf("%s listed %d times", c.Address, n)
		}
		var tenant *TenantInfo
		for j := range p.Tenants {
			if strings.EqualFold(p.Tenants[j].ID, c.Tenant) {
				tenant = &p.Tenants[j]
			}
		}
		if tenant == nil {
			t.Fatalf("%s: tenant %s not in the plan", c.Address, c.Tenant)
		}
		section := strings.LastIndex(out[:strings.Index(out, head)], "\n"+tenant.Label()+":\n")
		for j := range p.Tenants {
			other := "\n" + p.Tenants[j].Label() + ":\n"
			if k := strings.LastIndex(out[:strings.Index(out, head)], other); k > section {
				t.Fatalf("%s is listed under %q, not its tenant %q", c.Address, p.Tenants[j].Label(), tenant.Label())
			}
		}
	}
}
