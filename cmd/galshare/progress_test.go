package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vbauerster/mpb/v8"

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
	v := newLiveView(&b, false, mpb.WithWidth(200))
	v.Event(executor.Event{Type: executor.EventStart, Address: "app.a", Message: "create: missing"})
	v.Event(executor.Event{Type: executor.EventComplete, Address: "app.a", Action: "create", Status: "succeeded", DurationMS: 5})
	v.Event(executor.Event{Type: executor.EventStart, Address: "sp[b]", Message: "create: missing"})
	v.Event(executor.Event{Type: executor.EventError, Address: "sp[b]", Status: "failed", Error: "permission denied"})
	v.Event(executor.Event{Type: executor.EventComplete, Address: "role[b]", Status: "skipped", Cause: "sp[b]"})
	v.Event(executor.Event{Type: executor.EventStart, Address: "wait[g]", Message: "wait"})
	v.Close() // must not hang with a bar still running
	out := b.String()
	for _, want := range []string{"app.a", "created", "sp[b]", "failed: permission denied", "role[b]", "skipped (upstream sp[b]"} {
		if !strings.Contains(out, want) {
			t.Errorf("live view output lacks %q:\n%s", want, out)
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
	writeApplySummary(&b, "Apply", s)
	want := `
Apply finished with errors: 4 succeeded, 1 failed, 1 blocked, 2 skipped, 0 not started (2.5s).

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
