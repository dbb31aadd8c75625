package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
)

// evilName is a displayName that clears the screen, overprints the line and
// reverses what follows; apply's human output shows it escaped.
const (
	evilName    = "my\x1b[2J\rApp\u202e\u2066\x00\x7f"
	evilEscaped = `my\x1b[2J\rApp\u202e\u2066\x00\x7f`
)

func assertNoControls(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\x1b') || r == 0x7f || r == 0x202e || r == 0x2066 {
			t.Errorf("%s holds raw %U:\n%q", what, r, out)
			return
		}
	}
	if strings.Contains(out, "\x1b[2J") {
		t.Errorf("%s holds a raw clear-screen sequence:\n%q", what, out)
	}
}

func TestApplyViewsEscapeDisplayNames(t *testing.T) {
	addr := "app." + evilName
	events := []executor.Event{
		{Type: executor.EventStart, Address: addr, Action: "create", Message: "create: missing"},
		{Type: executor.EventProgress, Address: addr, Action: "create", Message: "secret for " + evilName},
		{Type: executor.EventComplete, Address: addr, Action: "create", Status: "succeeded", DurationMS: 5},
		{Type: executor.EventError, Address: addr + ".secret[primary]", Status: "failed", Error: addr + ": boom"},
		{Type: executor.EventComplete, Address: "sp[b]", Status: "skipped", Cause: addr},
	}

	var line bytes.Buffer
	lv := &lineView{w: &line}
	for _, e := range events {
		lv.Event(e)
	}
	if !strings.Contains(line.String(), "app."+evilEscaped+": created") {
		t.Errorf("line view lacks the escaped address:\n%s", line.String())
	}
	assertNoControls(t, "line view", line.String())

	var live bytes.Buffer
	v := newLiveView(&live, false, func() (int, int) { return 300, 24 })
	for _, e := range events {
		v.Event(e)
	}
	v.Close()
	// The view itself draws with ESC sequences; only the name's must be absent.
	if !strings.Contains(live.String(), "app."+evilEscaped) {
		t.Errorf("live view lacks the escaped address:\n%q", live.String())
	}
	// Carriage returns are the view's own (it redraws from the line start).
	assertNoControls(t, "live view", strings.ReplaceAll(live.String(), "\r", ""))

	var sum bytes.Buffer
	writeApplySummary(&sum, "Apply", executor.Summary{
		Failed: 1, Failures: []executor.Failure{{Address: addr, Error: addr + ": boom", Fix: "rename " + evilName, Skipped: []string{addr}}},
		BlockedActions: []executor.BlockedAction{{Address: "sp[x]", Tenant: "t", Info: planner.BlockedInfo{Why: "consent for " + evilName,
			Instructions: []string{evilName}}}},
	}, false, 0)
	if !strings.Contains(sum.String(), "Error: app."+evilEscaped+": boom") {
		t.Errorf("summary lacks the escaped address:\n%s", sum.String())
	}
	assertNoControls(t, "summary", sum.String())
}
