package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/galshare/galshare/pkg/azure"
)

// pipelineScripts returns, from a stage of examples/ci/azure-pipelines.yml,
// the per-tenant AzureCLI@2 inline script (template expressions still in
// it) and the bash script of the step named last.
func pipelineScripts(t *testing.T, stage, last string) (perTenant, script string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci", "azure-pipelines.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type steps []map[string]any
	var p struct {
		Stages []struct {
			Stage string `yaml:"stage"`
			Jobs  []struct {
				Steps    steps `yaml:"steps"`
				Strategy struct {
					RunOnce struct {
						Deploy struct {
							Steps steps `yaml:"steps"`
						} `yaml:"deploy"`
					} `yaml:"runOnce"`
				} `yaml:"strategy"`
			} `yaml:"jobs"`
		} `yaml:"stages"`
	}
	if err := yaml.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Stages {
		if st.Stage != stage || len(st.Jobs) == 0 {
			continue
		}
		all := append(st.Jobs[0].Steps, st.Jobs[0].Strategy.RunOnce.Deploy.Steps...)
		for _, step := range all {
			if s, ok := step["bash"].(string); ok && step["displayName"] == last {
				script = s
			}
			for k, v := range step {
				if !strings.HasPrefix(k, "${{ each t in parameters.tenants }}") {
					continue
				}
				for _, inner := range v.([]any) {
					in := inner.(map[string]any)["inputs"].(map[string]any)
					perTenant, _ = in["inlineScript"].(string)
				}
			}
		}
	}
	if perTenant == "" || script == "" {
		t.Fatalf("stage %s lacks the per-tenant AzureCLI@2 step or the %q step", stage, last)
	}
	return perTenant, script
}

// fakeThreads is the slice of the Azure Repos pull-request threads API the
// pipeline uses.
type fakeThreads struct {
	mu      sync.Mutex
	threads []map[string]any
	patches int
	bad     []string
}

func (f *fakeThreads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const base = "/org/proj-id/_apis/git/repositories/repo-id/pullRequests/7/threads"
	if r.Header.Get("Authorization") != "Bearer system-access-token" || r.URL.Query().Get("api-version") != "7.1" {
		f.bad = append(f.bad, r.Method+" "+r.URL.String()+" without the access token or api-version")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base:
		list := append([]map[string]any{}, f.threads...) // [] rather than null, as Azure DevOps answers
		_ = json.NewEncoder(w).Encode(map[string]any{"value": list, "count": len(list)})
	case r.Method == http.MethodPost && r.URL.Path == base:
		var th map[string]any
		if err := json.NewDecoder(r.Body).Decode(&th); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		th["id"] = len(f.threads) + 1
		c := th["comments"].([]any)[0].(map[string]any)
		c["id"] = 1
		c["author"] = map[string]any{"displayName": "proj Build Service (org)"}
		f.threads = append(f.threads, th)
		_ = json.NewEncoder(w).Encode(th)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, base+"/"):
		var body struct{ Content string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, base+"/"), "/") // {thread}/comments/{comment}
		id, _ := strconv.Atoi(parts[0])
		if len(parts) != 3 || id < 1 || id > len(f.threads) {
			http.Error(w, "no such thread", http.StatusNotFound)
			return
		}
		f.threads[id-1]["comments"].([]any)[0].(map[string]any)["content"] = body.Content
		f.patches++
		_, _ = w.Write([]byte(`{}`))
	default:
		f.bad = append(f.bad, "unexpected "+r.Method+" "+r.URL.Path)
		http.NotFound(w, r)
	}
}

// TestAzurePipelinesPlanRecipe runs the plan stage's shell as Azure
// Pipelines would, with a stand-in galshare (the real one is tested against
// the simulator elsewhere; here the glue is under test) and a fake Azure
// Repos threads API: the credentials file galshare gets, one thread created
// with the marker and then edited in place, the summary tab, and the result
// per exit code.
func TestAzurePipelinesPlanRecipe(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	perTenant, plan := pipelineScripts(t, "plan", "Plan and comment")
	api := &fakeThreads{}
	srv := httptest.NewServer(api)
	defer srv.Close()

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	agentTemp := filepath.Join(dir, "agent-temp")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// The stand-in: the plan as markdown on stdout, a section on the
	// summary, the credentials file it was given kept for the test.
	fake := `#!/bin/bash
cp "$GALSHARE_CREDENTIALS" "$AGENT_TEMPDIRECTORY/credentials-seen.yaml"
echo "### galshare plan for contoso-golden-images" >> "$GITHUB_STEP_SUMMARY"
echo "**Plan: 1 to add, 0 to change, 0 to destroy.**"
exit "$FAKE_CODE"
`
	if err := os.WriteFile(filepath.Join(bin, "galshare"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AGENT_TEMPDIRECTORY="+agentTemp,
		"MANIFEST=galshare/contoso-golden-images.yaml", "MANIFEST_NAME=contoso-golden-images",
		"BUILD_BUILDNUMBER=20261204.1",
		"SYSTEM_ACCESSTOKEN=system-access-token",
		"SYSTEM_OIDCREQUESTURI="+srv.URL+"/oidc",
		"SYSTEM_COLLECTIONURI="+srv.URL+"/org/",
		"SYSTEM_TEAMPROJECTID=proj-id", "BUILD_REPOSITORY_ID=repo-id", "SYSTEM_PULLREQUEST_PULLREQUESTID=7")
	run := func(script string, extra ...string) (int, string) {
		t.Helper()
		c := exec.Command("bash", "-c", script)
		c.Dir = dir
		c.Env = append(append([]string{}, env...), extra...)
		out, err := c.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}

	tenants := []struct{ tenant, client, conn string }{
		{"11111111-1111-1111-1111-111111111111", "0000aaaa-0000-0000-0000-000000000001", "conn-publisher"},
		{"22222222-2222-2222-2222-222222222222", "0000bbbb-0000-0000-0000-000000000001", "conn-fabrikam"},
	}
	for _, tn := range tenants {
		script := strings.NewReplacer("${{ t.tenant }}", tn.tenant, "${{ t.plan }}", "galshare-plan-x").Replace(perTenant)
		if strings.Contains(script, "${{") {
			t.Fatalf("a template expression the test does not fill:\n%s", script)
		}
		if code, out := run(script, "tenantId="+tn.tenant, "servicePrincipalId="+tn.client,
			"idToken=token-"+tn.conn, "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID="+tn.conn); code != 0 {
			t.Fatalf("per-tenant step for %s: exit %d\n%s", tn.tenant, code, out)
		}
	}
	// A connection set for the wrong tenant is caught.
	wrong := strings.NewReplacer("${{ t.tenant }}", tenants[0].tenant, "${{ t.plan }}", "galshare-plan-x").Replace(perTenant)
	if code, out := run(wrong, "tenantId="+tenants[1].tenant, "servicePrincipalId=x", "idToken=x",
		"AZURESUBSCRIPTION_SERVICE_CONNECTION_ID=x", "AGENT_TEMPDIRECTORY="+filepath.Join(dir, "elsewhere")); code == 0 ||
		!strings.Contains(out, "is for tenant "+tenants[1].tenant) {
		t.Errorf("a connection for the wrong tenant: exit %d\n%s", code, out)
	}

	code, out := run(plan, "FAKE_CODE=2")
	if code != 0 {
		t.Fatalf("plan step: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "##vso[task.uploadsummary]"+filepath.Join(agentTemp, "galshare", "summary.md")) {
		t.Errorf("the summary is not uploaded:\n%s", out)
	}
	creds, err := azure.LoadCredentialsFile(filepath.Join(agentTemp, "galshare", "credentials.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		c, ok := creds.Tenants[tn.tenant]
		if !ok || c.ClientID != tn.client || c.EffectiveMethod() != azure.MethodFederated {
			t.Errorf("tenant %s: credentials %+v", tn.tenant, c)
			continue
		}
		if b, err := os.ReadFile(c.FederatedTokenFile); err != nil || string(b) != "token-"+tn.conn {
			t.Errorf("tenant %s: token file %s holds %q (%v)", tn.tenant, c.FederatedTokenFile, b, err)
		}
	}
	if creds.Default == nil || creds.Default.EffectiveMethod() != azure.MethodNone {
		t.Errorf("the generated credentials let galshare sign in to unlisted tenants")
	}

	content := func() string {
		api.mu.Lock()
		defer api.mu.Unlock()
		if len(api.threads) != 1 {
			t.Fatalf("%d threads, want 1", len(api.threads))
		}
		return api.threads[0]["comments"].([]any)[0].(map[string]any)["content"].(string)
	}
	if c := content(); !strings.HasPrefix(c, "<!-- galshare-plan: contoso-golden-images -->\nChanges:") ||
		!strings.Contains(c, "**Plan: 1 to add") {
		t.Errorf("thread content:\n%s", c)
	}

	// The next push edits the same thread; a blocked plan succeeds with issues.
	code, out = run(plan, "FAKE_CODE=3")
	if code != 0 || !strings.Contains(out, "##vso[task.complete result=SucceededWithIssues;]") {
		t.Errorf("blocked plan: exit %d\n%s", code, out)
	}
	api.mu.Lock()
	patches := api.patches
	api.mu.Unlock()
	if c := content(); !strings.Contains(c, "A human must act") || patches != 1 {
		t.Errorf("thread not edited in place (%d patches):\n%s", patches, c)
	}
	code, out = run(plan, "FAKE_CODE=1")
	if code != 1 || !strings.Contains(out, "##vso[task.logissue type=error]galshare plan failed with exit code 1") {
		t.Errorf("failed plan: exit %d\n%s", code, out)
	}
	if c := content(); !strings.Contains(c, "galshare plan failed") {
		t.Errorf("the failure is not in the thread:\n%s", c)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.bad) > 0 {
		t.Errorf("bad requests: %v", api.bad)
	}
}

// TestAzurePipelinesApplyRecipe runs the apply stage's shell with a
// stand-in galshare: apply and verify only when the plan has changes or
// blocked actions, exit 3 from apply fails the step with an error, and the
// summary tab is uploaded whatever happens.
func TestAzurePipelinesApplyRecipe(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	perTenant, script := pipelineScripts(t, "apply", "Plan, apply, verify")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	agentTemp := filepath.Join(dir, "agent-temp")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Each call is logged; plan and apply exit as told.
	fake := `#!/bin/bash
echo "galshare $*" >> "$AGENT_TEMPDIRECTORY/calls"
echo "section for $1" >> "$GITHUB_STEP_SUMMARY"
case "$1" in
  plan) exit "$PLAN_CODE" ;;
  apply) exit "$APPLY_CODE" ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "galshare"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MANIFEST=galshare/m.yaml", "SYSTEM_ACCESSTOKEN=x", "SYSTEM_OIDCREQUESTURI=http://127.0.0.1:1/oidc")
	for _, tt := range []struct {
		name                string
		planCode, applyCode int
		wantCode            int
		wantCalls           []string
		wantSays            string
	}{
		{"no changes", 0, 0, 0, []string{"validate", "plan", "verify"}, ""},
		{"changes", 2, 0, 0, []string{"validate", "plan", "apply", "verify"}, ""},
		{"blocked", 3, 3, 3, []string{"validate", "plan", "apply"}, "##vso[task.logissue type=error]apply stopped at actions a human must take"},
		{"apply fails", 2, 1, 1, []string{"validate", "plan", "apply"}, ""},
		{"plan fails", 1, 0, 1, []string{"validate", "plan"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			temp := filepath.Join(agentTemp, tt.name)
			perEnv := append(append([]string{}, env...), "AGENT_TEMPDIRECTORY="+temp,
				"PLAN_CODE="+strconv.Itoa(tt.planCode), "APPLY_CODE="+strconv.Itoa(tt.applyCode))
			tenant := strings.NewReplacer("${{ t.tenant }}", "11111111-1111-1111-1111-111111111111", "${{ t.apply }}", "galshare-apply-x").Replace(perTenant)
			c := exec.Command("bash", "-c", tenant)
			c.Env = append(perEnv, "tenantId=11111111-1111-1111-1111-111111111111", "servicePrincipalId=0000aaaa-0000-0000-0000-000000000002",
				"idToken=tok", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID=conn")
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("per-tenant step: %v\n%s", err, out)
			}
			c = exec.Command("bash", "-c", script)
			c.Dir = dir
			c.Env = perEnv
			out, err := c.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantCode, out)
			}
			b, _ := os.ReadFile(filepath.Join(temp, "calls"))
			var calls []string
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if f := strings.Fields(l); len(f) > 1 {
					calls = append(calls, f[1])
				}
			}
			if strings.Join(calls, " ") != strings.Join(tt.wantCalls, " ") {
				t.Errorf("galshare calls %v, want %v", calls, tt.wantCalls)
			}
			if !strings.Contains(string(out), "##vso[task.uploadsummary]"+filepath.Join(temp, "galshare", "summary.md")) {
				t.Errorf("the summary is not uploaded:\n%s", out)
			}
			if tt.wantSays != "" && !strings.Contains(string(out), tt.wantSays) {
				t.Errorf("output lacks %q:\n%s", tt.wantSays, out)
			}
		})
	}
}
