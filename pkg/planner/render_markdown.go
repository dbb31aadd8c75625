package planner

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strings"

	"github.com/galshare/galshare/pkg/termtext"
)

// MarkdownLimit keeps a rendering below GitHub's 65,535-character limit for
// a comment body, with room for whatever a CI step wraps around it.
const MarkdownLimit = 60000

// MarkdownOptions steer the PR-comment rendering.
type MarkdownOptions struct {
	// Limit caps the output in bytes (0: MarkdownLimit).
	Limit int
}

// RenderMarkdown writes the plan for a pull-request comment: the summary,
// the blocked actions with clickable URLs, then one collapsible <details>
// section per tenant holding the text rendering in a diff block (GitHub
// colours the + and - lines). When the whole does not fit in Limit, whole
// lines are cut from the end, open blocks are closed, and a note says how
// many changes were left out and how to see them.
func RenderMarkdown(w io.Writer, p *Plan, opts MarkdownOptions) error {
	limit := opts.Limit
	if limit <= 0 {
		limit = MarkdownLimit
	}
	lines, owners, total := markdownLines(p, limit)
	var buf bytes.Buffer
	if total <= limit {
		for _, l := range lines {
			buf.WriteString(l)
			buf.WriteByte('\n')
		}
		_, err := w.Write(buf.Bytes())
		return err
	}

	const reserve = 600 // closing tags and the note
	inCode, inDetails := false, false
	shown := map[Address]bool{}
	for i, l := range lines {
		if buf.Len()+len(l)+1 > limit-reserve {
			break
		}
		buf.WriteString(l)
		buf.WriteByte('\n')
		if !owners[i].IsZero() {
			shown[owners[i]] = true
		}
		switch {
		case strings.HasPrefix(l, "```"):
			inCode = !inCode
		case strings.HasPrefix(l, "<details>"):
			inDetails = true
		case l == "</details>":
			inDetails = false
		}
	}
	if inCode {
		buf.WriteString("```\n")
	}
	if inDetails {
		buf.WriteString("</details>\n")
	}
	cut := 0
	for i := range p.Changes {
		c := &p.Changes[i]
		if visible(c, false) && !shown[c.Address] {
			cut++
		}
	}
	fmt.Fprintf(&buf, "\n> [!NOTE]\n> Cut to stay under GitHub's 65,535-character comment limit: %d of the changes are not shown. "+
		"Run `galshare show PLANFILE` (or `galshare plan`) for the full plan.\n", cut)
	_, err := w.Write(buf.Bytes())
	return err
}

// markdownLines renders the comment as lines; owners[i] is the change whose
// first line is lines[i] (zero for other lines), to count what a cut leaves
// out. It stops once the lines pass limit bytes — they will be cut anyway,
// and rendering all of a 10,000-consumer plan to keep 60 KB of it cost most
// of show's time and memory — so total (the bytes with newlines) is exact
// only when it is within limit.
func markdownLines(p *Plan, limit int) (lines []string, owners []Address, total int) {
	manifestDir := ""
	if p.Manifest.Path != "" {
		manifestDir = filepath.Dir(p.Manifest.Path)
	}
	full := func() bool { return total > limit }
	add := func(owner Address, ls ...string) {
		for i, l := range ls {
			// Values from the manifest, state and Azure never carry control
			// or bidi characters into the comment (see termtext).
			l = termtext.Escape(l)
			total += len(l) + 1
			lines = append(lines, l)
			if i == 0 {
				owners = append(owners, owner)
			} else {
				owners = append(owners, Address{})
			}
		}
	}
	title := "galshare plan"
	if p.Destroy {
		title = "galshare destroy plan"
	}
	add(Address{}, "### "+title+" for `"+p.Manifest.Name+"`", "")
	summary := "**" + SummaryLine(p) + "**"
	if x := ExtraLine(p); x != "" {
		summary += " " + x
	}
	add(Address{}, summary, "")

	if p.IsBlocked() {
		add(Address{}, "#### :warning: Blocked: a human must act first", "")
		for i := range p.Changes {
			c := &p.Changes[i]
			if c.Action != Blocked {
				continue
			}
			if full() {
				return lines, owners, total
			}
			item := []string{"- `" + c.Address.String() + "` (tenant `" + c.Tenant + "`): " + mdEscape(c.Blocked.Why)}
			if u := c.Blocked.ConsentURL; u != "" {
				item = append(item, "  - consent: "+mdURL(u))
			}
			if u := c.Blocked.AdminConsentURL; u != "" {
				item = append(item, "  - admin consent: "+mdURL(u))
			}
			if cmd := c.Blocked.Command; cmd != "" {
				item = append(item, "  - run: `"+cmd+"`")
			}
			add(Address{}, item...)
		}
		add(Address{}, "")
	}

	byTenant := changesByTenant(p, false)
	for _, t := range p.Tenants {
		cs := byTenant[tenantKey(t.ID)]
		if len(cs) == 0 {
			continue
		}
		noun := "changes"
		if len(cs) == 1 {
			noun = "change"
		}
		add(Address{}, fmt.Sprintf("<details><summary>%s: %d %s</summary>", mdEscape(t.Label()), len(cs), noun), "", "```diff")
		for _, c := range cs {
			if full() {
				return lines, owners, total
			}
			var b bytes.Buffer
			tw := &textWriter{w: &b}
			tw.change(relativeDelivery(c, manifestDir))
			ls := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
			// diff blocks colour a line by its first character: put the
			// symbol there.
			ls[0] = strings.TrimLeft(ls[0], " ")
			add(c.Address, ls...)
			add(Address{}, "")
		}
		add(Address{}, "```", "", "</details>", "")
	}
	add(Address{}, "<sub>format "+p.FormatVersion+" · manifest sha256 `"+shortHash(p.Manifest.SHA256)+"`"+stateNote(p)+"</sub>")
	return lines, owners, total
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func stateNote(p *Plan) string {
	if !p.State.Exists {
		return " · no state yet"
	}
	return fmt.Sprintf(" · state serial %d", p.State.Serial)
}

// mdURL makes a URL clickable, unless it still holds a placeholder such as
// <appId>, which an autolink cannot contain: that one is shown as code.
func mdURL(u string) string {
	if strings.ContainsAny(u, "<> ") {
		return "`" + u + "`"
	}
	return "<" + u + ">"
}

// mdEscape keeps text from opening HTML or markdown constructs.
func mdEscape(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|", "*", "\\*", "_", "\\_")
	return r.Replace(s)
}

// relativeDelivery shows a file delivery target inside the manifest's
// directory relative to it, as the manifest writes it: a pull-request
// comment should not carry the CI runner's absolute paths. The change is
// copied, never modified.
func relativeDelivery(c *Change, dir string) *Change {
	v, ok := c.After["deliverTo"]
	path, isFile := strings.CutPrefix(v, "file:")
	if !ok || !isFile || dir == "" || !filepath.IsAbs(path) {
		return c
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return c
	}
	cc := *c
	cc.After = maps.Clone(c.After)
	cc.After["deliverTo"] = "file:" + filepath.ToSlash(rel)
	return &cc
}
