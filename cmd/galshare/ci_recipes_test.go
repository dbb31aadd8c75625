package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflowSteps reads the run: scripts of one job of a shipped GitHub
// Actions recipe, by step name, so the tests below run the very scripts
// users copy.
func workflowSteps(t *testing.T, file, job string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci", "github", file))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	steps := map[string]string{}
	for _, s := range wf.Jobs[job].Steps {
		if s.Run != "" {
			steps[s.Name] = s.Run
		}
	}
	return steps
}

// stepRunner runs recipe steps the way a GitHub-hosted runner does (bash -e,
// the runner's files in the environment), with galshare against the
// simulator of w.
type stepRunner struct {
	t   *testing.T
	w   *cliWorld
	tmp string // RUNNER_TEMP
	env []string
}

func newStepRunner(t *testing.T, w *cliWorld, extra ...string) *stepRunner {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	if _, err := exec.LookPath("galshare"); err != nil {
		t.Skipf("galshare test binary not on PATH: %v", err)
	}
	tmp := filepath.Join(w.dir, "runner-temp")
	if err := os.MkdirAll(filepath.Join(tmp, "galshare"), 0o700); err != nil { // the sign-in step makes it
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"GALSHARE_CLOUD="+w.cloud, "GALSHARE_LOG=", "NO_COLOR=1",
		"RUNNER_TEMP="+tmp,
		"GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary.md"),
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=contoso/golden-images", "GITHUB_RUN_ID=42",
		"MANIFEST="+w.manifest)
	return &stepRunner{t: t, w: w, tmp: tmp, env: append(env, extra...)}
}

// run runs one step's script and returns its exit code, its stdout and what
// it wrote to GITHUB_OUTPUT.
func (r *stepRunner) run(script string, extra ...string) (code int, stdout, outputs string) {
	r.t.Helper()
	out := filepath.Join(r.tmp, "github-output")
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		r.t.Fatal(err)
	}
	c := exec.Command("bash", "-e", "-c", script)
	c.Dir = r.w.dir // the checkout: galshare's default state file lives here
	c.Env = append(append(r.env, "GITHUB_OUTPUT="+out), extra...)
	var so, se bytes.Buffer
	c.Stdout, c.Stderr = &so, &se
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		r.t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		r.t.Fatal(err)
	}
	if testing.Verbose() {
		r.t.Logf("step exit %d\nstdout:\n%s\nstderr:\n%s", code, &so, &se)
	}
	return code, so.String(), string(b)
}

func (r *stepRunner) read(name string) string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.tmp, name))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// TestGitHubPlanRecipe runs galshare-plan.yml's Plan and Judge steps: the
// comment starts with the hidden marker and holds the plan, the exit code is
// handed on, and only an error fails the check.
func TestGitHubPlanRecipe(t *testing.T) {
	steps := workflowSteps(t, "galshare-plan.yml", "plan")
	plan, judge := steps["Plan"], steps["Judge the plan"]
	if plan == "" || judge == "" {
		t.Fatalf("galshare-plan.yml lacks the Plan or Judge the plan step: %v", steps)
	}
	w := newCLIWorld(t, "quickstart")
	r := newStepRunner(t, w, "HEAD_SHA=0123456789abcdef0123456789abcdef01234567", "NAME=contoso-golden-images")

	code, _, outputs := r.run(plan)
	if code != 0 || !strings.Contains(outputs, "exitcode=2\n") {
		t.Fatalf("Plan step: exit %d, outputs %q; want 0 and exitcode=2", code, outputs)
	}
	comment := r.read("galshare/comment.md")
	for _, want := range []string{
		"<!-- galshare-plan: contoso-golden-images -->\nChanges: merging applies them",
		"### galshare plan for `contoso-golden-images`",
		"**Plan: 6 to add, 0 to change, 0 to destroy.**",
		"at 0123456789ab · [run](https://github.com/contoso/golden-images/actions/runs/42)</sub>",
	} {
		if !strings.Contains(comment, want) {
			t.Errorf("comment lacks %q:\n%s", want, comment)
		}
	}
	if !strings.HasPrefix(comment, "<!-- galshare-plan: contoso-golden-images -->\n") {
		t.Errorf("the marker is not the comment's first line (the update step matches on it):\n%s", comment)
	}
	if s := r.read("summary.md"); !strings.Contains(s, "### galshare plan for `contoso-golden-images`") {
		t.Errorf("the plan is not on the summary page:\n%s", s)
	}

	// A broken manifest: the step still succeeds, the comment shows the
	// diagnostics, and the judge fails the check.
	if err := os.WriteFile(w.manifest, []byte("version: 1\nname: Bad Name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, outputs = r.run(plan)
	if code != 0 || !strings.Contains(outputs, "exitcode=1\n") {
		t.Fatalf("Plan step on a broken manifest: exit %d, outputs %q; want 0 and exitcode=1", code, outputs)
	}
	comment = r.read("galshare/comment.md")
	if !strings.Contains(comment, "**galshare plan failed** (exit 1)") || !strings.Contains(comment, "```text\n") ||
		!strings.Contains(comment, "quickstart.yaml:2:") {
		t.Errorf("a failed plan's comment lacks the status or the diagnostics:\n%s", comment)
	}

	for _, tt := range []struct {
		code, want int
		says       string
	}{
		{0, 0, "No changes."},
		{2, 0, "::notice title=galshare plan::"},
		{3, 0, "::warning title=galshare plan::a human must act"},
		{1, 1, "::error title=galshare plan::plan failed with exit code 1"},
	} {
		got, stdout, _ := r.run(judge, "CODE="+strconv.Itoa(tt.code))
		if got != tt.want || !strings.Contains(stdout, tt.says) {
			t.Errorf("Judge with plan exit %d: exit %d, said %q; want exit %d saying %q", tt.code, got, stdout, tt.want, tt.says)
		}
	}
}

// TestGitHubApplyRecipe runs galshare-apply.yml's Plan, Apply and Verify
// steps in order, twice: the first run applies the saved plan and verify
// passes; the second plans no changes, so apply is skipped.
func TestGitHubApplyRecipe(t *testing.T) {
	steps := workflowSteps(t, "galshare-apply.yml", "apply")
	plan, apply, verify := steps["Plan"], steps["Apply"], steps["Verify"]
	if plan == "" || apply == "" || verify == "" {
		t.Fatalf("galshare-apply.yml lacks the Plan, Apply or Verify step: %v", steps)
	}
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	r := newStepRunner(t, w)

	code, _, outputs := r.run(plan)
	if code != 0 || !strings.Contains(outputs, "exitcode=2\n") {
		t.Fatalf("Plan step: exit %d, outputs %q; want 0 and exitcode=2", code, outputs)
	}
	if code, stdout, _ := r.run(apply); code != 0 || !strings.Contains(stdout, "Apply complete") {
		t.Fatalf("Apply step: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := r.run(verify); code != 0 || !strings.Contains(stdout, "the sharing works") {
		t.Fatalf("Verify step: exit %d\n%s", code, stdout)
	}
	summary := r.read("summary.md")
	for _, want := range []string{"### galshare plan for", "### galshare apply for", "**Apply complete**", "### galshare verify for"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary page lacks %q:\n%s", want, summary)
		}
	}
	w.checkNoDuplicates()

	if code, _, outputs := r.run(plan); code != 0 || !strings.Contains(outputs, "exitcode=0\n") {
		t.Errorf("second Plan step: exit %d, outputs %q; want 0 and exitcode=0", code, outputs)
	}
}
