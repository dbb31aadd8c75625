package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

func TestMDCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sp[fabrikam]", "`sp[fabrikam]`"},
		{"a|b", "`a\\|b`"},
		{"two\nlines", "`two lines`"},
		{"has `tick`", "`` has `tick` ``"},
		{"`edge", "`` `edge ``"},
		{"a``b", "``` a``b ```"},
	}
	for _, tt := range tests {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMDText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"<script>", "&lt;script&gt;"},
		{"a | b", "a \\| b"},
		{"*bold* _it_", "\\*bold\\* \\_it\\_"},
		{"[link](x)", "\\[link\\](x)"},
		{"`code`", "\\`code\\`"},
		{"line\nbreak\r\nand", "line break and"},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMDLink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://login.example/t/oauth2/authorize?client_id=x&y=z", "<https://login.example/t/oauth2/authorize?client_id=x&y=z>"},
		{"https://login.example/t/oauth2/authorize?client_id=<appId>", "`https://login.example/t/oauth2/authorize?client_id=<appId>`"},
		{"javascript:alert(1)", "`javascript:alert(1)`"},
	}
	for _, tt := range tests {
		if got := mdLink(tt.in); got != tt.want {
			t.Errorf("mdLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// summaryPlan is a plan with one created secret and one role assignment.
func summaryPlan() *planner.Plan {
	secret := planner.PasswordAddress("myGalleryApp")
	return &planner.Plan{
		Manifest: planner.ManifestRef{Name: "contoso"},
		Changes: []planner.Change{
			{Address: secret, Type: planner.TypePassword, Action: planner.Create,
				Password: &planner.PasswordPayload{DeliverTo: planner.Delivery{Kind: "file", Path: "/ci/secrets/app.json"}}},
			{Address: planner.SPAddress("fabrikam"), Type: planner.TypeServicePrincipal, Action: planner.Create},
		},
	}
}

func TestRenderApplyMarkdown(t *testing.T) {
	p := summaryPlan()
	skipped := make([]string, 25)
	for i := range skipped {
		skipped[i] = fmt.Sprintf("role[c%d]", i)
	}
	rep := &executor.Report{
		Results: []executor.ActionResult{
			{Address: p.Changes[0].Address.String(), Status: executor.StatusSucceeded},
			{Address: p.Changes[1].Address.String(), Status: executor.StatusFailed},
		},
		Summary: executor.Summary{
			Succeeded: 1, Added: 1, Failed: 1, Skipped: 25, DurationMS: 1500,
			Delivered: []executor.Delivered{{Address: "app.myGalleryApp.secret[primary]", Target: "file:/ci/secrets/app.json"}},
			Failures: []executor.Failure{{
				Address: "sp[fabrikam]", Tenant: "22222222-2222-2222-2222-222222222222",
				Error:   "tenant 2222: create sp: 403 Authorization_RequestDenied\n```\nnot a fence",
				Fix:     "grant Application.ReadWrite.All <in tenant 2222>",
				Skipped: skipped,
			}},
		},
	}
	var buf bytes.Buffer
	if err := renderApplyMarkdown(&buf, "apply", p, rep, stepSummaryLimit); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"### galshare apply for `contoso`\n",
		"**Apply finished with errors** in 1.5s.\n",
		"| 1 | 0 | 0 | 0 | 0 | 1 | 0 | 25 | 0 | 0 |\n",
		"- `app.myGalleryApp.secret[primary]` → `file:/ci/secrets/app.json`\n",
		"- `sp[fabrikam]` (tenant `22222222-2222-2222-2222-222222222222`)\n",
		// The error's own ``` cannot end the block: the fence is longer.
		"  ````text\n  tenant 2222: create sp: 403 Authorization_RequestDenied\n  ```\n  not a fence\n  ````\n",
		"  **Fix:** grant Application.ReadWrite.All &lt;in tenant 2222&gt;\n",
		"`role[c19]` and 5 more\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Cut to keep") {
		t.Errorf("a small summary was cut:\n%s", got)
	}
}

// TestRenderApplyMarkdownNoDeliveryOnFailure: a secret whose action failed
// was not delivered (apply removes an undelivered password), so the summary
// does not say it went anywhere.
func TestRenderApplyMarkdownNoDeliveryOnFailure(t *testing.T) {
	p := summaryPlan()
	rep := &executor.Report{
		Results: []executor.ActionResult{{Address: p.Changes[0].Address.String(), Status: executor.StatusFailed}},
		Summary: executor.Summary{Failed: 1},
	}
	var buf bytes.Buffer
	if err := renderApplyMarkdown(&buf, "apply", p, rep, stepSummaryLimit); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "delivered") {
		t.Errorf("a failed secret is reported as delivered:\n%s", &buf)
	}
}

// TestStepSummaryCut: at fleet scale the sections stop at the limit with
// whole lines, close what they opened and say how much was cut.
func TestStepSummaryCut(t *testing.T) {
	const limit = 4000
	p := summaryPlan()
	rep := &executor.Report{Summary: executor.Summary{Failed: 500}}
	for i := range 500 {
		rep.Summary.Failures = append(rep.Summary.Failures, executor.Failure{
			Address: fmt.Sprintf("sp[c%d]", i), Error: "line one\nline two\nline three", Fix: "do the thing"})
	}
	vrep := &executor.VerifyReport{Summary: executor.VerifySummary{Total: 500, OK: 500}, OK: true}
	for i := range 500 {
		vrep.Checks = append(vrep.Checks, executor.Check{Party: fmt.Sprintf("c%d", i), Kind: executor.CheckSignIn,
			Object: "as the app", Result: executor.ResultOK, Detail: "token issued"})
	}
	renders := map[string]func(io.Writer) error{
		"apply":  func(w io.Writer) error { return renderApplyMarkdown(w, "apply", p, rep, limit) },
		"verify": func(w io.Writer) error { return renderVerifyMarkdown(w, &spec.Manifest{Name: "fleet"}, vrep, limit) },
	}
	for name, render := range renders {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			t.Fatal(err)
		}
		got := buf.String()
		if buf.Len() > limit {
			t.Errorf("%s: %d bytes, over the limit %d", name, buf.Len(), limit)
		}
		if !strings.Contains(got, "> Cut to keep the step summary small: ") {
			t.Errorf("%s: no cut note:\n%s", name, got)
		}
		fences := 0
		for _, l := range strings.Split(got, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				fences++
			}
			if strings.HasPrefix(l, "| ") && !strings.HasSuffix(l, " |") {
				t.Errorf("%s: a table row was split: %q", name, l)
			}
		}
		if fences%2 != 0 {
			t.Errorf("%s: %d fence lines, one block left open:\n%s", name, fences, got)
		}
	}
}

func TestAppendStepSummary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.md")
	if err := os.WriteFile(path, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{envStepSummary: path}
	var stderr bytes.Buffer
	a := newApp(strings.NewReader(""), io.Discard, &stderr, func(k string) string { return env[k] })

	appendStepSummary(a, "plan", func(w io.Writer) error { _, err := io.WriteString(w, "### one"); return err })
	appendStepSummary(a, "plan", func(w io.Writer) error {
		_, _ = io.WriteString(w, "half a section")
		return errors.New("boom")
	})
	appendStepSummary(a, "verify", func(w io.Writer) error { _, err := io.WriteString(w, "### two\n"); return err })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "earlier step\n### one\n\n### two\n\n"; string(b) != want {
		t.Errorf("summary file = %q, want %q", b, want)
	}
	if !strings.Contains(stderr.String(), "not writing the step summary: rendering it failed") {
		t.Errorf("no warning for the failed render: %q", &stderr)
	}

	// Unset: nothing written, nothing said.
	stderr.Reset()
	delete(env, envStepSummary)
	appendStepSummary(a, "plan", func(w io.Writer) error { t.Error("rendered with GITHUB_STEP_SUMMARY unset"); return nil })
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q with GITHUB_STEP_SUMMARY unset", &stderr)
	}

	// A directory is not writable as a file: a warning only.
	env[envStepSummary] = dir
	appendStepSummary(a, "apply", func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err })
	if !strings.Contains(stderr.String(), "could not append to the step summary") {
		t.Errorf("no warning for an unwritable summary: %q", &stderr)
	}
}
