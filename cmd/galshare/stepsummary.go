package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/galshare/galshare/pkg/planner"
)

// envStepSummary names the file GitHub Actions renders as the job's summary
// page. Every step may append markdown to it; the runner creates it empty
// for each step and shows what the steps wrote, in order.
const envStepSummary = "GITHUB_STEP_SUMMARY"

// stepSummaryLimit caps what one command appends. GitHub refuses a step's
// summary above 1 MiB and then shows none of it, so one command stays well
// below that (the same cap as a plan's pull-request comment), leaving room
// for a plan, an apply and a verify in one step and for what the workflow
// itself writes.
const stepSummaryLimit = planner.MarkdownLimit

// appendStepSummary appends the markdown render writes to the file
// GITHUB_STEP_SUMMARY names, when it is set. The summary is a courtesy to
// the person reading the run, never part of the result: a render or write
// failure is logged as a warning and the command's outcome and exit code
// stay what they were. The file is opened for appending (never truncated),
// so what earlier commands and steps wrote stays; the whole section is
// rendered first and written with one call, so a failed render leaves no
// half section behind. What is written is the same text the command shows
// on its own output, which never holds a secret.
func appendStepSummary(a *app, command string, render func(io.Writer) error) {
	path := a.getenv(envStepSummary)
	if path == "" {
		return
	}
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		a.log.Warn("not writing the step summary: rendering it failed", "command", command, "error", err)
		return
	}
	if buf.Len() == 0 {
		return
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	buf.WriteByte('\n') // a blank line keeps the next section's markdown apart
	if err := appendFile(path, buf.Bytes()); err != nil {
		a.log.Warn("could not append to the step summary ("+envStepSummary+"); the run itself is unaffected",
			"command", command, "path", path, "error", err)
	}
}

// appendFile appends b to path, creating the file if it is missing.
func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	return cerr
}

// appendPlanStepSummary appends the plan as plan --format markdown renders
// it for a pull-request comment.
func appendPlanStepSummary(a *app, p *planner.Plan) {
	appendStepSummary(a, "plan", func(w io.Writer) error {
		return planner.RenderMarkdown(w, p, planner.MarkdownOptions{Limit: stepSummaryLimit})
	})
}

// mdDoc builds a markdown section line by line and stops at a byte limit:
// once a line would not fit, it and everything after are left out and one
// note says how many lines were cut and where the whole is. Lines are
// whole, so a cut never splits a table row or a link; open a fenced block
// or a <details> with open/close so the cut can close it.
type mdDoc struct {
	buf   bytes.Buffer
	limit int
	// cut counts the lines left out once the limit was reached.
	cut int
	// closers are the lines that close the blocks open at the end.
	closers []string
}

// noteReserve is the room kept for the closing lines and the cut note.
const noteReserve = 400

func newMDDoc(limit int) *mdDoc { return &mdDoc{limit: limit} }

// line adds each line unless the limit was reached.
func (d *mdDoc) line(ls ...string) {
	for _, l := range ls {
		if d.cut > 0 || d.buf.Len()+len(l)+1 > d.limit-noteReserve {
			d.cut++
			continue
		}
		d.buf.WriteString(l)
		d.buf.WriteByte('\n')
	}
}

// open adds a line that opens a block closed by closer.
func (d *mdDoc) open(l, closer string) {
	before := d.cut
	d.line(l)
	if d.cut == before {
		d.closers = append(d.closers, closer)
	}
}

// close adds the line that closes the innermost open block.
func (d *mdDoc) close() {
	if len(d.closers) == 0 {
		return
	}
	closer := d.closers[len(d.closers)-1]
	before := d.cut
	d.line(closer)
	if d.cut == before {
		d.closers = d.closers[:len(d.closers)-1]
	}
}

// full reports whether lines are being cut, so callers may stop early.
func (d *mdDoc) full() bool { return d.cut > 0 }

// writeTo closes what is open, adds the cut note and writes the section.
func (d *mdDoc) writeTo(w io.Writer, where string) error {
	if d.cut > 0 {
		for i := len(d.closers) - 1; i >= 0; i-- {
			d.buf.WriteString(d.closers[i])
			d.buf.WriteByte('\n')
		}
		fmt.Fprintf(&d.buf, "\n> [!NOTE]\n> Cut to keep the step summary small: %d more lines are not shown. %s\n", d.cut, where)
	}
	_, err := w.Write(d.buf.Bytes())
	return err
}

// mdText escapes text for a markdown paragraph or table cell: it cannot
// open HTML, emphasis, links or code, break a table row or start a new
// line.
func mdText(s string) string {
	r := strings.NewReplacer(
		"\\", "\\\\", "<", "&lt;", ">", "&gt;", "|", "\\|", "*", "\\*", "_", "\\_",
		"`", "\\`", "[", "\\[", "]", "\\]", "\r\n", " ", "\n", " ", "\r", " ",
	)
	return r.Replace(s)
}

// mdCode shows s as inline code, safe in a table cell: backticks in s get a
// longer fence, a pipe is escaped (GitHub splits table cells on it even in
// code) and newlines become spaces.
func mdCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", "\\|").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || fence != "`" {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// mdFence returns a code fence longer than any run of backticks in s, so a
// fenced block shows s verbatim whatever it holds.
func mdFence(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence
}

// mdLink makes a URL clickable; one that holds a placeholder such as
// <appId>, a space or a character an autolink cannot hold is shown as code.
func mdLink(u string) string {
	if strings.ContainsAny(u, "<> `\n") || !strings.HasPrefix(u, "https://") {
		return mdCode(u)
	}
	return "<" + u + ">"
}
