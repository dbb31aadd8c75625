package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/termtext"
)

// writeApplySummary prints the closing block of an apply or destroy: the
// counts, each root-cause failure with its fix and what it made skip, and
// every blocked action with the exact URL or command a human needs.
//
// savedPlan says the apply ran a saved plan file: after an interruption
// that plan is stale (state moved on), so the way on is a new plan.
//
// cols is the terminal's width (0: not a terminal): the summary's own
// lines are wrapped at spaces to fit it, so the closing line is never split
// mid-word by the terminal. Instructions with URLs and commands are left
// whole, to be copied.
func writeApplySummary(w io.Writer, verb string, s executor.Summary, savedPlan bool, cols int) {
	line := func(text string) {
		if cols <= 0 {
			io.WriteString(w, text+"\n")
			return
		}
		io.WriteString(w, strings.Join(wrapProse(text, cols-1, "  "), "\n")+"\n")
	}
	fmt.Fprintln(w)
	state := "complete"
	switch {
	case s.Stopped:
		state = "interrupted"
	case s.Failed > 0:
		state = "finished with errors"
	case len(s.BlockedActions) > 0:
		state = "stopped at blocked actions"
	}
	// The first three counts match the plan's closing line ("Plan: 6 to
	// add, 0 to change, 0 to destroy."); other counts appear only when not
	// zero, so the line stays short enough for an 80-column terminal.
	counts := fmt.Sprintf("%d added, %d changed, %d destroyed", s.Added, s.Changed, s.Destroyed)
	for _, c := range []struct {
		n    int
		word string
	}{{s.Adopted, "adopted"}, {s.Forgotten, "forgotten"}, {s.Waited, "ready"},
		{s.Failed, "failed"}, {s.Blocked, "blocked"}, {s.Skipped, "skipped"}, {s.NotStarted, "not started"}, {s.Cancelled, "cancelled"}} {
		if c.n > 0 {
			counts += fmt.Sprintf(", %d %s", c.n, c.word)
		}
	}
	line(fmt.Sprintf("%s %s: %s (%s).", verb, state, counts, round(s.DurationMS)))
	for _, d := range s.Delivered {
		line(termtext.Sprintf("New client secret %s delivered to %s.", d.Address, d.Target))
	}
	switch {
	case s.Stopped && savedPlan:
		line("State is saved; the saved plan is now stale: make a new plan (galshare plan --out FILE) and apply it to continue.")
	case s.Stopped:
		line("State is saved; run apply again to continue.")
	}
	for _, f := range s.Failures {
		termtext.Fprintf(w, "\nError: %s\n", f.Error)
		if f.Fix != "" && !strings.Contains(f.Error, f.Fix) {
			termtext.Fprintf(w, "  fix: %s\n", f.Fix)
		}
		if len(f.Skipped) > 0 {
			termtext.Fprintf(w, "  skipped because of it: %s\n", strings.Join(f.Skipped, ", "))
		}
	}
	if len(s.BlockedActions) == 0 {
		return
	}
	fmt.Fprintln(w, "\nBlocked: a human must act in these tenants, then run apply again.")
	for _, b := range s.BlockedActions {
		termtext.Fprintf(w, "\n  %s (tenant %s): %s\n", b.Address, b.Tenant, b.Info.Why)
		if b.Info.ConsentURL != "" {
			termtext.Fprintf(w, "    consent (an administrator of the tenant opens): %s\n", b.Info.ConsentURL)
		}
		if b.Info.AdminConsentURL != "" {
			termtext.Fprintf(w, "    or tenant-wide admin consent: %s\n", b.Info.AdminConsentURL)
		}
		if b.Info.Command != "" {
			termtext.Fprintf(w, "    role grant: %s\n", b.Info.Command)
		}
		for _, in := range b.Info.Instructions {
			termtext.Fprintf(w, "    %s\n", in)
		}
	}
}
