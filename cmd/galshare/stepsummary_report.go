package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// maxSkippedNamed caps how many skipped actions one failure lists by name
// (at fleet scale one failed app skips thousands).
const maxSkippedNamed = 20

// appendApplyStepSummary appends the outcome of an apply or destroy (op):
// the counts, each root-cause failure with its fix, every blocked action
// with the URL or command a human needs, and where each new client secret
// went (the target, never the value). rep is nil when the plan had nothing
// to do.
func appendApplyStepSummary(a *app, op string, p *planner.Plan, rep *executor.Report) {
	appendStepSummary(a, op, func(w io.Writer) error {
		return renderApplyMarkdown(w, op, p, rep, stepSummaryLimit)
	})
}

// renderApplyMarkdown is the apply section of the step summary.
func renderApplyMarkdown(w io.Writer, op string, p *planner.Plan, rep *executor.Report, limit int) error {
	d := newMDDoc(limit)
	verb := "Apply"
	if op == "destroy" {
		verb = "Destroy"
	}
	d.line("### galshare "+op+" for "+mdCode(p.Manifest.Name), "")
	if rep == nil {
		d.line("**No changes.** Azure already matches the manifest.", "")
		return d.writeTo(w, "")
	}
	s := rep.Summary
	d.line(fmt.Sprintf("**%s %s** in %s.", verb, applyOutcome(s), round(s.DurationMS)), "")
	d.line("| added | changed | destroyed | adopted | ready | failed | blocked | skipped | not started | cancelled |",
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
		fmt.Sprintf("| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |", s.Added, s.Changed, s.Destroyed, s.Adopted, s.Waited,
			s.Failed, s.Blocked, s.Skipped, s.NotStarted, s.Cancelled), "")
	if s.Stopped {
		d.line("The run was interrupted. State is saved; run apply again to continue.", "")
	}

	if len(s.Delivered) > 0 {
		d.line("#### Client secrets delivered", "",
			"Each new secret value was written only to its target; it is in no log, plan or state.", "")
		for _, dl := range s.Delivered {
			d.line("- " + mdCode(dl.Address) + " → " + mdCode(dl.Target))
		}
		d.line("")
	}

	if len(s.Failures) > 0 {
		d.line("#### Failures", "")
		for _, f := range s.Failures {
			if d.full() {
				break
			}
			head := "- " + mdCode(f.Address)
			if f.Tenant != "" {
				head += " (tenant " + mdCode(f.Tenant) + ")"
			}
			d.line(head, "")
			fence := mdFence(f.Error)
			d.open("  "+fence+"text", "  "+fence)
			for _, l := range strings.Split(strings.TrimRight(f.Error, "\n"), "\n") {
				d.line("  " + l)
			}
			d.close()
			if f.Fix != "" && !strings.Contains(f.Error, f.Fix) {
				d.line("", "  **Fix:** "+mdText(f.Fix))
			}
			if len(f.Skipped) > 0 {
				d.line("", "  Skipped because of it: "+namedList(f.Skipped, maxSkippedNamed))
			}
			d.line("")
		}
	}

	if len(s.BlockedActions) > 0 {
		d.line("#### Blocked: a human must act in these tenants, then run apply again", "")
		for _, b := range s.BlockedActions {
			if d.full() {
				break
			}
			d.line("- " + mdCode(b.Address) + " (tenant " + mdCode(b.Tenant) + "): " + mdText(b.Info.Why))
			if b.Info.ConsentURL != "" {
				d.line("  - consent (an administrator of the tenant opens): " + mdLink(b.Info.ConsentURL))
			}
			if b.Info.AdminConsentURL != "" {
				d.line("  - or tenant-wide admin consent: " + mdLink(b.Info.AdminConsentURL))
			}
			if b.Info.Command != "" {
				d.line("  - role grant: " + mdCode(b.Info.Command))
			}
			for _, in := range b.Info.Instructions {
				d.line("  - " + mdText(in))
			}
		}
		d.line("")
	}
	return d.writeTo(w, "The job log has the whole summary.")
}

// applyOutcome is the words after "Apply" in the summary line, as the text
// summary says them.
func applyOutcome(s executor.Summary) string {
	switch {
	case s.Stopped:
		return "interrupted"
	case s.Failed > 0:
		return "finished with errors"
	case len(s.BlockedActions) > 0:
		return "stopped at blocked actions"
	}
	return "complete"
}

// namedList shows up to max names as code, then how many more there are.
func namedList(names []string, max int) string {
	shown := names
	if len(shown) > max {
		shown = shown[:max]
	}
	parts := make([]string, len(shown))
	for i, n := range shown {
		parts[i] = mdCode(n)
	}
	out := strings.Join(parts, ", ")
	if more := len(names) - len(shown); more > 0 {
		out += fmt.Sprintf(" and %d more", more)
	}
	return out
}

// appendVerifyStepSummary appends verify's checks as a markdown table,
// what fails first with its fix.
func appendVerifyStepSummary(a *app, m *spec.Manifest, rep *executor.VerifyReport) {
	appendStepSummary(a, "verify", func(w io.Writer) error {
		return renderVerifyMarkdown(w, m, rep, stepSummaryLimit)
	})
}

// renderVerifyMarkdown is the verify section of the step summary.
func renderVerifyMarkdown(w io.Writer, m *spec.Manifest, rep *executor.VerifyReport, limit int) error {
	d := newMDDoc(limit)
	s := rep.Summary
	verdict := "the sharing works."
	if !rep.OK {
		verdict = "the sharing does NOT work yet."
	}
	d.line("### galshare verify for "+mdCode(m.Name), "")
	d.line(fmt.Sprintf("**Verify: %d checks, %d ok, %d failed, %d skipped: %s**", s.Total, s.OK, s.Failed, s.Skipped, verdict), "")
	app := "(unknown: no usable secret)"
	if rep.AppID != "" {
		app = mdCode(rep.AppID)
	}
	d.line("Signed in as the shared app "+app+", the way consumers use it.", "")

	if s.Failed > 0 {
		d.line("#### What fails and how to fix it", "")
		for _, c := range rep.Checks {
			if c.Result != executor.ResultFail {
				continue
			}
			if d.full() {
				break
			}
			d.line("- **" + mdText(c.Party) + "** " + mdText(c.Kind+" "+verifyObjectText(c)) + ": " + mdText(c.Detail))
			if c.Error != "" {
				d.line("  - error: " + mdText(c.Error))
			}
			if c.Fix != "" {
				d.line("  - fix: " + mdText(c.Fix))
			}
		}
		d.line("")
	}

	d.line("| tenant | check | result | detail |", "|---|---|---|---|")
	for _, c := range rep.Checks {
		if d.full() {
			break
		}
		d.line("| " + mdText(c.Party) + " | " + mdText(c.Kind+" "+verifyObjectText(c)) + " | " +
			verifyResultMarkdown(c.Result) + " | " + mdText(c.Detail) + " |")
	}
	d.line("")
	return d.writeTo(w, "Run `galshare verify --json` for every check.")
}

// verifyResultMarkdown is the result cell: a failure stands out in bold.
func verifyResultMarkdown(r executor.Result) string {
	text := strings.ToUpper(string(r))
	if r == executor.ResultFail {
		return "**" + text + "**"
	}
	return text
}
