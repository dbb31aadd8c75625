package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
)

func TestLineView(t *testing.T) {
	events := []executor.Event{
		{Type: executor.EventStart, Address: "app.a", Action: "create", Message: "create: missing"},
		{Type: executor.EventComplete, Address: "app.a", Action: "create", Status: "succeeded", DurationMS: 1234},
		{Type: executor.EventProgress, Address: "role[x]", Action: "create", Message: "PUT roleAssignment: attempt 1 failed (not replicated yet), retrying in 1s"},
		{Type: executor.EventError, Address: "sp[b]", Action: "create", Status: "failed", DurationMS: 20, Error: "tenant t: POST servicePrincipals: permission denied"},
		{Type: executor.EventComplete, Address: "role[b]", Action: "create", Status: "skipped", Cause: "sp[b]"},
		{Type: executor.EventComplete, Address: "wait[g/i/1]", Action: "wait", Status: "succeeded", DurationMS: 65000},
		{Type: executor.EventStart, Address: "sp[same]", Action: "no-op"},
		{Type: executor.EventComplete, Address: "sp[same]", Action: "no-op", Status: "succeeded", DurationMS: 1},
		{Type: executor.EventComplete, Address: "sp[found]", Action: "no-op", Adopt: true, Status: "succeeded", DurationMS: 2},
		{Type: executor.EventComplete, Address: "app.a.secret[primary]", Action: "delete", Status: "not started"},
		{Type: executor.EventComplete, Address: "sp[c]", Action: "replace", Status: "cancelled", DurationMS: 3},
		{Type: executor.EventSummary, Summary: &executor.Summary{}},
	}
	var b bytes.Buffer
	v := &lineView{w: &b}
	for _, e := range events {
		v.Event(e)
	}
	v.Close()
	want := `app.a: created [1.2s]
role[x]: PUT roleAssignment: attempt 1 failed (not replicated yet), retrying in 1s
sp[b]: failed [20ms]: tenant t: POST servicePrincipals: permission denied
role[b]: skipped (upstream sp[b] did not succeed)
wait[g/i/1]: ready [1m5s]
sp[found]: recorded in state (already existed) [2ms]
app.a.secret[primary]: not started (interrupted)
sp[c]: cancelled (second interrupt) [3ms]
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("line view (-want +got):\n%s", diff)
	}
}

func TestJSONViewOneEventPerLine(t *testing.T) {
	var b bytes.Buffer
	v := newJSONView(&b)
	v.Event(executor.Event{Type: executor.EventStart, Address: "app.a"})
	v.Event(executor.Event{Type: executor.EventSummary, Summary: &executor.Summary{Succeeded: 1}})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), b.String())
	}
	var last struct {
		Type    string `json:"type"`
		Summary struct {
			Succeeded int `json:"succeeded"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil || last.Type != "summary" || last.Summary.Succeeded != 1 {
		t.Errorf("summary line %q: %v", lines[1], err)
	}
}

func TestLiveViewRendersOutcomes(t *testing.T) {
	var b bytes.Buffer
	v := newLiveView(&b, false, func() (int, int) { return 200, 24 })
	v.Event(executor.Event{Type: executor.EventStart, Address: "app.a", Message: "create: missing"})
	v.Event(executor.Event{Type: executor.EventComplete, Address: "app.a", Action: "create", Status: "succeeded", DurationMS: 5})
	v.Event(executor.Event{Type: executor.EventStart, Address: "sp[b]", Message: "create: missing"})
	v.Event(executor.Event{Type: executor.EventError, Address: "sp[b]", Status: "failed", Error: "permission denied"})
	v.Event(executor.Event{Type: executor.EventComplete, Address: "role[b]", Status: "skipped", Cause: "sp[b]"})
	v.Event(executor.Event{Type: executor.EventStart, Address: "wait[g]", Message: "wait"})
	v.Close() // must not hang with an action still running
	lines := screenLines(t, onlcr(b.Bytes()), 200, 24)
	checkScreen(t, lines, 200, "✓ app.a: created [5ms]", "✗ sp[b]: failed: permission denied", "- role[b]: skipped (upstream sp[b] did not succeed)")
	if strings.Contains(strings.Join(lines, "\n"), "wait[g]") {
		t.Errorf("the still-running action stayed on screen after Close:\n%s", strings.Join(lines, "\n"))
	}
}

// TestLiveViewFitsTheTerminal replays a large apply (more actions in flight
// than the terminal has rows, addresses longer than its width) at the
// widths users run, and reads the result through a terminal emulator with
// 24 rows: every finished action is on screen exactly once, whole or cut
// with "…", and no redraw left a copy behind.
func TestLiveViewFitsTheTerminal(t *testing.T) {
	for _, cols := range []int{80, 100, 160} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			var b bytes.Buffer
			v := newLiveView(&b, false, func() (int, int) { return cols, 24 })
			var addrs []string
			for i := range 60 {
				addrs = append(addrs, fmt.Sprintf("role[consumer-%02d:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg:Contributor]", i))
			}
			for i, a := range addrs {
				v.Event(executor.Event{Type: executor.EventStart, Address: a, Action: "create", Message: "create: missing"})
				if i >= 30 {
					v.Event(executor.Event{Type: executor.EventProgress, Address: addrs[i-30], Message: "PUT roleAssignment: attempt 1 failed (not replicated yet), retrying in 2.332s"})
					v.Event(executor.Event{Type: executor.EventComplete, Address: addrs[i-30], Action: "create", Status: "succeeded", DurationMS: 70})
				}
			}
			v.Notice(interruptNotice(false, v.Running()))
			for _, a := range addrs[30:] {
				v.Event(executor.Event{Type: executor.EventComplete, Address: a, Action: "create", Status: "succeeded", DurationMS: 1234})
			}
			v.Close()
			writeApplySummary(&b, "Apply", executor.Summary{Succeeded: 60, Added: 60, DurationMS: 70}, false, cols)
			lines := screenLines(t, onlcr(b.Bytes()), cols, 24)
			checkScreen(t, lines, cols, "Apply complete: 60 added, 0 changed, 0 destroyed (70ms).",
				"Interrupt received: finishing 30 running")
			for _, a := range addrs {
				n := 0
				prefix := fitWidth("✓ "+a, cols-1)
				prefix = strings.TrimSuffix(prefix, "…")
				for _, l := range lines {
					if strings.HasPrefix(l, prefix) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s is on screen %d times, want 1", a, n)
				}
			}
		})
	}
}

func TestFitWidth(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"elevenchars", 10, "elevencha…"},
		{"\x1b[31mred text here\x1b[0m", 5, "\x1b[31mred …\x1b[0m"},
		{"日本語のテキスト", 7, "日本語…"},
	}
	for _, tt := range tests {
		got := fitWidth(tt.in, tt.max)
		if got != tt.want || displayWidth(got) > tt.max {
			t.Errorf("fitWidth(%q, %d) = %q (%d columns), want %q", tt.in, tt.max, got, displayWidth(got), tt.want)
		}
	}
}

func TestWriteApplySummary(t *testing.T) {
	s := executor.Summary{
		Succeeded: 4, Failed: 1, Blocked: 1, Skipped: 2, DurationMS: 2500,
		Failures: []executor.Failure{{Address: "sp[b]", Error: "tenant t: POST servicePrincipals: permission denied", Fix: "grant Application.ReadWrite.All",
			Skipped: []string{"role[b:/s:Contributor]"}}},
		BlockedActions: []executor.BlockedAction{{Address: "sp[gamma]", Tenant: "t3", Info: planner.BlockedInfo{
			Why: "consumer gamma is manual", ConsentURL: "https://login/t3/oauth2/authorize?client_id=app", AdminConsentURL: "https://login/t3/adminconsent?client_id=app"}},
			{Address: "role[gamma:/s:Contributor]", Tenant: "t3", Info: planner.BlockedInfo{Why: "consumer gamma is manual",
				Command: `az role assignment create --assignee app --role "Contributor" --scope /s`}}},
	}
	var b bytes.Buffer
	writeApplySummary(&b, "Apply", s, false, 0)
	want := `
Apply finished with errors: 0 added, 0 changed, 0 destroyed, 1 failed, 1 blocked, 2 skipped (2.5s).

Error: tenant t: POST servicePrincipals: permission denied
  fix: grant Application.ReadWrite.All
  skipped because of it: role[b:/s:Contributor]

Blocked: a human must act in these tenants, then run apply again.

  sp[gamma] (tenant t3): consumer gamma is manual
    consent (an administrator of the tenant opens): https://login/t3/oauth2/authorize?client_id=app
    or tenant-wide admin consent: https://login/t3/adminconsent?client_id=app

  role[gamma:/s:Contributor] (tenant t3): consumer gamma is manual
    role grant: az role assignment create --assignee app --role "Contributor" --scope /s
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}
