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
func writeApplySummary(w io.Writer, verb string, s executor.Summary) {
	fmt.Fprintln(w)
	state := "complete"
	switch {
	case s.Stopped:
		state = "interrupted"
	case s.Failed > 0:
		state = "finished with errors"
	case len(s.BlockedActions) > 0:
		state = "stopped at actions that need a human"
	}
	cancelled := ""
	if s.Cancelled > 0 {
		cancelled = fmt.Sprintf(", %d cancelled", s.Cancelled)
	}
	termtext.Fprintf(w, "%s %s: %d succeeded, %d failed, %d blocked, %d skipped, %d not started%s (%s).\n",
		verb, state, s.Succeeded, s.Failed, s.Blocked, s.Skipped, s.NotStarted, cancelled, round(s.DurationMS))
	if s.Stopped {
		fmt.Fprintln(w, "State is saved; run apply again to continue.")
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
