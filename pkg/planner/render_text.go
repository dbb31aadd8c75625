package planner

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/termtext"
)

// TextOptions steer the human rendering.
type TextOptions struct {
	// Color adds ANSI colours; the CLI sets it only for a terminal without
	// --no-color / NO_COLOR.
	Color bool
	// ShowNoOps lists unchanged objects too (hidden by default, like
	// Terraform).
	ShowNoOps bool
}

const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiBlue    = "\x1b[34m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
)

// display is how one change is shown: symbol, colour and verb phrase.
type display struct {
	symbol, color, verb string
}

func displayOf(c *Change) display {
	switch {
	case c.Forget:
		return display{"/", ansiBlue, "will be forgotten (removed from state, left in Azure)"}
	case c.Adopt && c.Action == Update:
		return display{"~", ansiYellow, "will be adopted and updated in place"}
	case c.Adopt:
		return display{"=", ansiBlue, "will be adopted (recorded in state)"}
	}
	switch c.Action {
	case Create:
		return display{"+", ansiGreen, "will be created"}
	case Update:
		return display{"~", ansiYellow, "will be updated in place"}
	case Delete:
		return display{"-", ansiRed, "will be destroyed"}
	case Replace:
		return display{"-/+", ansiMagenta, "will be replaced (new one first, then the old one removed)"}
	case Read:
		return display{"<=", ansiCyan, "will be read during apply"}
	case Wait:
		return display{"...", ansiCyan, "will be waited for"}
	case Blocked:
		return display{"!", ansiRed + ansiBold, "is blocked on a human action"}
	}
	return display{" ", "", "has no changes"}
}

// visible reports whether the text rendering lists c.
func visible(c *Change, showNoOps bool) bool {
	return showNoOps || c.Action != NoOp || c.Adopt || c.Forget
}

// RenderText writes the Terraform-like plan for people: changes grouped by
// tenant in dependency order, with reasons, the attributes that change, the
// exact URLs and commands of blocked actions, and the summary line.
//
// The summary line is printed first as well as last: with thousands of
// changes people need it before the list, while scripts and tests (like
// Terraform's users) read the last line.
func RenderText(w io.Writer, p *Plan, opts TextOptions) error {
	// One buffered writer: a plan of 10,000 consumers is ~100,000 lines,
	// which unbuffered would be as many write calls.
	bw := bufio.NewWriterSize(w, 64<<10)
	tw := &textWriter{w: bw, color: opts.Color}
	tw.header(p)
	byTenant := changesByTenant(p, opts.ShowNoOps)
	for _, t := range p.Tenants {
		cs := byTenant[tenantKey(t.ID)]
		if len(cs) == 0 {
			continue
		}
		tw.printf("%s\n", tw.paint(ansiBold, t.Label()+":"))
		if !t.Readable && t.Note != "" {
			tw.printf("    (not read: %s)\n", t.Note)
		}
		tw.printf("\n")
		for _, c := range cs {
			tw.change(c)
		}
	}
	tw.summary(p, true)
	if tw.err == nil {
		tw.err = bw.Flush()
	}
	return tw.err
}

// tenantKey is the case-insensitive grouping key of a tenant ID (tenant IDs
// and domains compare case-insensitively).
func tenantKey(id string) string { return strings.ToLower(id) }

// changesByTenant groups the changes to list by tenant in one pass, in plan
// (dependency) order within each tenant, so rendering is linear in the plan
// rather than tenants × changes.
func changesByTenant(p *Plan, showNoOps bool) map[string][]*Change {
	m := make(map[string][]*Change, len(p.Tenants))
	for i := range p.Changes {
		c := &p.Changes[i]
		if visible(c, showNoOps) {
			k := tenantKey(c.Tenant)
			m[k] = append(m[k], c)
		}
	}
	return m
}

type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

// printf writes format with every string, error and Stringer argument
// escaped for the terminal (termtext): addresses, reasons and values come
// from the manifest, the state and Azure, and a displayName holding ESC or
// bidi controls must not reach the screen raw. paint's output is already
// escaped and keeps its colours.
func (tw *textWriter) printf(format string, args ...any) {
	if tw.err == nil {
		_, tw.err = fmt.Fprintf(tw.w, format, termtext.EscapeArgs(args)...)
	}
}

// paint escapes s and wraps it in color (when colours are on).
func (tw *textWriter) paint(color, s string) termtext.Safe {
	s = termtext.Escape(s)
	if !tw.color || color == "" {
		return termtext.Safe(s)
	}
	return termtext.Safe(color + s + ansiReset)
}

func (tw *textWriter) header(p *Plan) {
	what := "galshare plan"
	if p.Destroy {
		what = "galshare destroy plan"
	}
	tw.printf("%s for %s", what, p.Manifest.Name)
	if p.Manifest.Path != "" {
		tw.printf(" (%s)", p.Manifest.Path)
	}
	tw.printf("\n")
	if len(p.Targets) > 0 {
		ts := make([]string, len(p.Targets))
		for i, t := range p.Targets {
			ts[i] = t.String()
		}
		tw.printf("Limited to --target %s and what it depends on.\n", strings.Join(ts, ", "))
	}
	if !p.HasChanges() && !p.IsBlocked() {
		return
	}
	// The summary first too (see RenderText); the closing one stays last.
	tw.printf("\n")
	tw.summary(p, false)
	used := map[string]string{}
	var order []string
	for i := range p.Changes {
		c := &p.Changes[i]
		if !visible(c, false) {
			continue
		}
		d := displayOf(c)
		var label string
		switch {
		case c.Forget:
			label = "forget"
		case c.Adopt && c.Action == Update:
			label = "adopt and update"
		case c.Adopt:
			label = "adopt"
		default:
			label = map[Action]string{Create: "create", Update: "update in place", Delete: "destroy",
				Replace: "replace", Read: "read", Wait: "wait", Blocked: "blocked (needs a human)"}[c.Action]
		}
		key := d.symbol + " " + label
		if _, ok := used[key]; !ok {
			used[key] = d.color
			order = append(order, key)
		}
	}
	tw.printf("\nSymbols:\n")
	for _, k := range order {
		sym, label, _ := strings.Cut(k, " ")
		tw.printf("  %s %s\n", tw.paint(used[k], fmt.Sprintf("%3s", sym)), label)
	}
	tw.printf("\n")
}

func (tw *textWriter) change(c *Change) {
	d := displayOf(c)
	line := fmt.Sprintf("%3s %s", d.symbol, c.Address)
	tw.printf("  %s %s", tw.paint(d.color, line), d.verb)
	if c.Reason != "" && c.Action != Blocked {
		tw.printf(": %s", c.Reason)
	}
	tw.printf("\n")
	const ind = "        "
	for _, kv := range attrLines(c) {
		tw.printf("%s%s\n", ind, kv)
	}
	if b := c.Blocked; b != nil {
		tw.printf("%s%s %s\n", ind, tw.paint(ansiBold, "why:"), b.Why)
		if b.ConsentURL != "" {
			tw.printf("%sconsent URL:       %s\n", ind, b.ConsentURL)
		}
		if b.AdminConsentURL != "" {
			tw.printf("%sadmin consent URL: %s\n", ind, b.AdminConsentURL)
		}
		if b.Command != "" {
			tw.printf("%srun:               %s\n", ind, b.Command)
		}
		for _, s := range b.Instructions {
			tw.printf("%s%s\n", ind, s)
		}
	}
	if len(c.DependsOn) > 0 {
		ds := make([]string, len(c.DependsOn))
		for i, a := range c.DependsOn {
			ds[i] = a.String()
		}
		tw.printf("%sdepends on: %s\n", ind, strings.Join(ds, ", "))
	}
	tw.printf("\n")
}

// attrLines lists the attributes worth showing: all of After for a create,
// the differences for an update or replace, the identity for a delete.
func attrLines(c *Change) []string {
	var out []string
	keys := func(m map[string]string) []string {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	width := 0
	for k := range c.Before {
		width = max(width, len(k))
	}
	for k := range c.After {
		width = max(width, len(k))
	}
	pad := func(k string) string { return k + ":" + strings.Repeat(" ", width-len(k)+1) }
	switch {
	case c.Action == Create:
		for _, k := range keys(c.After) {
			if v := c.After[k]; v != "" {
				out = append(out, pad(k)+quoteValue(v))
			}
		}
	case c.Action == Update || c.Action == Replace:
		for _, k := range keys(union(c.Before, c.After)) {
			b, a := c.Before[k], c.After[k]
			switch {
			case b == a || a == "":
			case b == "":
				out = append(out, pad(k)+quoteValue(a))
			default:
				out = append(out, pad(k)+quoteValue(b)+" -> "+quoteValue(a))
			}
		}
	case c.Action == Delete || c.Forget:
		for _, k := range []string{"id", "objectId", "keyId"} {
			if id := c.Before[k]; id != "" {
				out = append(out, k+": "+quoteValue(id))
				break
			}
		}
	case c.Action == Wait:
		for _, k := range keys(c.Before) {
			out = append(out, pad(k)+quoteValue(c.Before[k]))
		}
	}
	return out
}

func union(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// quoteValue quotes plain strings; JSON arrays and placeholders stay bare.
func quoteValue(v string) string {
	switch {
	case v == "":
		return `""`
	case v == KnownAfterApply, strings.HasPrefix(v, "["):
		return v
	}
	return strconv.Quote(v)
}

// SummaryLine is the closing line, "Plan: N to add, N to change, N to
// destroy." (or "No changes." when there is nothing to do or block).
func SummaryLine(p *Plan) string {
	s := p.Summary()
	if !p.HasChanges() && !p.IsBlocked() {
		return "No changes. The live objects match the manifest."
	}
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
}

// ExtraLine counts what the summary line does not: adoptions, forgets,
// waits and blocked actions ("" when there are none).
func ExtraLine(p *Plan) string {
	s := p.Summary()
	var parts []string
	if s.Adopt > 0 {
		parts = append(parts, fmt.Sprintf("%d to adopt", s.Adopt))
	}
	if s.Forget > 0 {
		parts = append(parts, fmt.Sprintf("%d to forget", s.Forget))
	}
	if s.Wait > 0 {
		parts = append(parts, fmt.Sprintf("%d to wait for", s.Wait))
	}
	if s.Read > 0 {
		parts = append(parts, fmt.Sprintf("%d to read", s.Read))
	}
	if s.Blocked > 0 {
		parts = append(parts, fmt.Sprintf("%d blocked on a human action", s.Blocked))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Also " + strings.Join(parts, ", ") + "."
}

// summary writes the blocked warning, the extra counts and the summary
// line. last puts the summary line last (the end of the rendering, where
// scripts read it); otherwise it comes first (the top of the rendering,
// where people look).
func (tw *textWriter) summary(p *Plan, last bool) {
	line := tw.paint(ansiGreen, SummaryLine(p))
	if p.HasChanges() || p.IsBlocked() {
		line = tw.paint(ansiBold, SummaryLine(p))
	}
	if !last {
		tw.printf("%s\n", line)
	}
	if p.IsBlocked() {
		msg := "Blocked: a human must act first (see the \"!\" entries), then run apply again."
		if p.HasChanges() {
			msg = "Blocked: a human must act first (see the \"!\" entries); everything else can be applied now."
		}
		tw.printf("%s\n", tw.paint(ansiRed, msg))
	}
	if x := ExtraLine(p); x != "" {
		tw.printf("%s\n", x)
	}
	if last {
		for _, l := range SecretLifetimeLines(p) {
			tw.printf("%s\n", l)
		}
		tw.printf("%s\n", line)
	}
}

// SecretLifetimeLines say how long each client secret galshare keeps has
// left, also when the plan leaves it alone (a rotation comes with its own
// reason): a reviewer should never learn of an expiry from an outage.
// Days are counted from the plan's time, so a rendering is reproducible.
func SecretLifetimeLines(p *Plan) []string {
	var out []string
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Password == nil || c.Action != NoOp || c.Forget {
			continue
		}
		end, err := time.Parse(time.RFC3339, c.Before["endDateTime"])
		if err != nil {
			continue
		}
		left := end.Sub(p.CreatedAt)
		l := fmt.Sprintf("Secret %s expires %s (in %s)", c.Address, end.UTC().Format("2006-01-02"), humanDuration(left))
		if rb := c.Password.RenewBefore; rb > 0 {
			l += fmt.Sprintf("; a plan rotates it from %s on (renewBefore %s)", end.Add(-rb).UTC().Format("2006-01-02"), humanDuration(rb))
		}
		out = append(out, l+".")
	}
	return out
}
