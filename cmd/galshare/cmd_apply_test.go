package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// cliWorld is an example manifest (copied to a temp dir, so secrets land
// there) with its own in-process simulator, cloud file and state file, for
// driving the real CLI in-process (run) or as a subprocess (the test binary
// installed as "galshare" on $PATH by testscript.Main).
type cliWorld struct {
	t         *testing.T
	sim       *azsim.Sim
	dir       string
	manifest  string
	cloud     string
	statePath string
}

func newCLIWorld(t *testing.T, example string) *cliWorld {
	t.Helper()
	root := filepath.Join("..", "..", "examples")
	src, err := os.ReadFile(filepath.Join(root, example+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := &cliWorld{t: t, dir: dir, manifest: filepath.Join(dir, example+".yaml"),
		cloud: filepath.Join(dir, "cloud.json"), statePath: filepath.Join(dir, "galshare.state.json")}
	if err := os.WriteFile(w.manifest, src, 0o600); err != nil {
		t.Fatal(err)
	}
	w.sim, err = azsim.Start(context.Background(), azsim.Options{SeedFile: filepath.Join(root, "sim", example+".yaml")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.sim.Close(context.Background()) })
	if err := w.sim.WriteCloudFile(w.cloud); err != nil {
		t.Fatal(err)
	}
	return w
}

// replicateNow finishes the replication of every version the manifest waits
// for, so tests about other things do not wait for it.
func (w *cliWorld) replicateNow() {
	w.t.Helper()
	m := w.load()
	for _, g := range m.Publisher.Galleries {
		for _, v := range g.WaitFor {
			if err := w.sim.SetVersionReplication(g.ID+"/images/"+v.Image+"/versions/"+v.Version, "completed", 0); err != nil {
				w.t.Fatal(err)
			}
		}
	}
}

func (w *cliWorld) load() *spec.Manifest {
	w.t.Helper()
	m, _, err := spec.Load(context.Background(), w.manifest)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// flags are the flags every Azure-touching command gets in these tests.
func (w *cliWorld) flags() []string { return []string{"--cloud", w.cloud, "--state", w.statePath} }

// run runs the CLI in-process: galshare CMD FLAGS ARGS.
func (w *cliWorld) run(cmd string, args ...string) (int, string, string) {
	w.t.Helper()
	var stdout, stderr bytes.Buffer
	full := append(append([]string{cmd}, w.flags()...), args...)
	code := run(context.Background(), full, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// exec runs galshare as a real subprocess with extra environment.
func (w *cliWorld) exec(env []string, cmd string, args ...string) (*os.ProcessState, string, string) {
	w.t.Helper()
	bin, err := exec.LookPath("galshare")
	if err != nil {
		w.t.Skipf("galshare test binary not on PATH: %v", err)
	}
	c := exec.Command(bin, append(append([]string{cmd}, w.flags()...), args...)...)
	c.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err = c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		w.t.Fatal(err)
	}
	return c.ProcessState, stdout.String(), stderr.String()
}

// appID reads the app's client id from the delivered secret or state.
func (w *cliWorld) appID() string {
	w.t.Helper()
	st, err := state.Read(w.statePath)
	if err != nil {
		w.t.Fatal(err)
	}
	r, _ := st.Get("app." + w.load().Publisher.App.DisplayName)
	return r.Attributes["appId"]
}

// checkNoDuplicates asserts Azure-side truth: one app, one password, one SP
// per tenant, no role assignment twice.
func (w *cliWorld) checkNoDuplicates() {
	w.t.Helper()
	m := w.load()
	var apps []azsim.AppView
	for _, a := range w.sim.Applications(m.Publisher.Tenant) {
		if a.DisplayName == m.Publisher.App.DisplayName {
			apps = append(apps, a)
		}
	}
	if len(apps) != 1 {
		w.t.Fatalf("%d apps named %s, want 1", len(apps), m.Publisher.App.DisplayName)
	}
	if len(apps[0].Passwords) != 1 {
		w.t.Errorf("%d passwords, want 1: %+v", len(apps[0].Passwords), apps[0].Passwords)
	}
	sps := map[string]bool{}
	for _, tn := range append([]string{m.Publisher.Tenant}, consumerTenants(m)...) {
		n := 0
		for _, sp := range w.sim.ServicePrincipals(tn) {
			if sp.AppID == apps[0].AppID {
				n++
				sps[strings.ToLower(sp.ID)] = true
			}
		}
		if n != 1 {
			w.t.Errorf("tenant %s: %d SPs of the app, want 1", tn, n)
		}
	}
	seen := map[string]bool{}
	for _, ra := range w.sim.RoleAssignments() {
		if !sps[strings.ToLower(ra.PrincipalID)] {
			continue
		}
		k := strings.ToLower(ra.Scope + "|" + ra.RoleID + "|" + ra.PrincipalID)
		if seen[k] {
			w.t.Errorf("duplicate role assignment %s", k)
		}
		seen[k] = true
	}
}

func consumerTenants(m *spec.Manifest) []string {
	var out []string
	for _, c := range m.Consumers {
		out = append(out, c.Tenant)
	}
	return out
}

// TestApplyAfterStateLoss deletes the state file after an apply: the next
// apply re-discovers everything and duplicates nothing.
func TestApplyAfterStateLoss(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	if code, out, errOut := w.run("apply", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	for _, p := range []string{w.statePath, w.statePath + ".backup"} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := w.run("apply", "--auto-approve", w.manifest)
	if code != exitOK {
		t.Fatalf("apply after state loss: %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "created [") {
		t.Errorf("apply after state loss created something:\n%s", out)
	}
	w.checkNoDuplicates()
	if code, out, _ := w.run("plan", "--detailed-exitcode", w.manifest); code != exitOK {
		t.Errorf("plan after recovery: %d\n%s", code, out)
	}
}

func TestApplySavedPlanStaleness(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	planFile := filepath.Join(w.dir, "plan.json")
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}

	// Another apply moves the state on: the saved plan is refused.
	if code, out, errOut := w.run("apply", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := w.run("apply", planFile)
	if code != exitFailure || !strings.Contains(errOut, "the saved plan is stale") || !strings.Contains(errOut, "no state file, but one now exists") {
		t.Errorf("stale state: exit %d, stderr %s", code, errOut)
	}

	// A fresh saved plan applies exactly, without a prompt.
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := w.run("apply", planFile); code != exitOK {
		t.Errorf("apply of a fresh saved plan: %d\n%s%s", code, out, errOut)
	}

	// A live object the plan fingerprinted changes: refused, naming it.
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	w.changeRedirectURIs()
	code, _, errOut = w.run("apply", planFile)
	if code != exitFailure || !strings.Contains(errOut, "app.myGalleryApp: changed since plan") {
		t.Errorf("stale object: exit %d, stderr %s", code, errOut)
	}

	// The manifest changes: refused, naming the manifest.
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK && code != exitChanges {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(w.manifest)
	if err := os.WriteFile(w.manifest, append(b, []byte("\n# edited\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = w.run("apply", planFile)
	if code != exitFailure || !strings.Contains(errOut, "manifest "+w.manifest+" changed since the plan was made") {
		t.Errorf("stale manifest: exit %d, stderr %s", code, errOut)
	}
}

// changeRedirectURIs edits the app behind galshare's back, as the operator.
func (w *cliWorld) changeRedirectURIs() {
	w.t.Helper()
	env, err := azure.LoadCloudFile(w.cloud)
	if err != nil {
		w.t.Fatal(err)
	}
	conn, err := azure.NewConnector(azure.Options{Env: env})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx := context.Background()
	m := w.load()
	dir, err := conn.Directory(ctx, m.Publisher.Tenant)
	if err != nil {
		w.t.Fatal(err)
	}
	app, err := dir.GetApplicationByAppID(ctx, w.appID())
	if err != nil {
		w.t.Fatal(err)
	}
	err = dir.UpdateApplication(ctx, app.ObjectID, azure.ApplicationSpec{DisplayName: app.DisplayName, SignInAudience: app.SignInAudience,
		RedirectURIs: []string{"https://example.com/changed"}, Tags: app.Tags, RequestedAccessTokenVersion: app.RequestedAccessTokenVersion})
	if err != nil {
		w.t.Fatal(err)
	}
}

func TestApplyWaitsOrFailsOnTheLock(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	hd, err := state.Open(context.Background(), w.statePath, state.LockOptions{Operation: "apply", Who: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := w.run("apply", "--auto-approve", w.manifest)
	if code != exitFailure || !strings.Contains(errOut, "alice") || !strings.Contains(errOut, "state unlock") {
		t.Errorf("locked: exit %d, stderr %s", code, errOut)
	}
	// With --lock-timeout the second run waits for the first to finish.
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = hd.Close()
	}()
	code, out, errOut := w.run("apply", "--auto-approve", "--lock-timeout", "10s", w.manifest)
	if code != exitOK {
		t.Errorf("apply with --lock-timeout: %d\n%s%s", code, out, errOut)
	}
}

// TestApplyManualConsumerConsent: a manual consumer stops apply with exit 3
// and the real consent URL; an administrator consents on the simulator's
// consent page and grants the role; the next apply completes, recording
// (adopting) what the administrator made, and destroy leaves it alone.
func TestApplyManualConsumerConsent(t *testing.T) {
	w := newCLIWorld(t, "partner-msp")
	w.replicateNow()
	code, out, errOut := w.run("apply", "--auto-approve", w.manifest)
	if code != exitBlocked {
		t.Fatalf("first apply: exit %d, want 3\n%s%s", code, out, errOut)
	}
	appID := w.appID()
	re := regexp.MustCompile(`consent \(an administrator of the tenant opens\): (\S+)`)
	mt := re.FindStringSubmatch(out)
	if mt == nil || !strings.Contains(mt[1], "client_id="+appID) {
		t.Fatalf("no consent URL with the new appId %s in:\n%s", appID, out)
	}
	if !strings.Contains(out, `role grant: az role assignment create --assignee `+appID+` --role "Contributor"`) {
		t.Errorf("no role grant command with the appId:\n%s", out)
	}
	consent(t, w.sim, mt[1], "admin@gamma.onmicrosoft.com", "Gamma-Admin-1")
	sp, ok := w.sim.ServicePrincipal("66666666-6666-6666-6666-666666666666", appID)
	if !ok {
		t.Fatal("consent did not create the service principal")
	}
	if _, err := w.sim.GrantRole("/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/gamma-vms", "Contributor", sp.ID); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = w.run("apply", "--auto-approve", w.manifest)
	if code != exitOK {
		t.Fatalf("apply after consent: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "sp[gamma]: recorded in state (already existed)") {
		t.Errorf("the consented SP was not recorded:\n%s", out)
	}
	if code, out, _ := w.run("plan", "--detailed-exitcode", w.manifest); code != exitOK {
		t.Errorf("plan after consent: exit %d\n%s", code, out)
	}
	// Destroy removes what galshare made and never the SP the
	// administrator's consent created, nor the grant they made.
	if code, out, errOut := w.run("destroy", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("destroy: %d\n%s%s", code, out, errOut)
	}
	if _, ok := w.sim.ServicePrincipal("66666666-6666-6666-6666-666666666666", appID); !ok {
		t.Error("destroy deleted the service principal an administrator's consent created")
	}
	if _, ok := w.sim.ServicePrincipal("44444444-4444-4444-4444-444444444444", appID); ok {
		t.Error("destroy left the managed consumer's service principal")
	}
	granted := false
	for _, ra := range w.sim.RoleAssignments() {
		granted = granted || strings.EqualFold(ra.PrincipalID, sp.ID)
	}
	if !granted {
		t.Error("destroy deleted the role grant the administrator made")
	}
}

// consent accepts the consent page at consentURL as an administrator, the
// way a browser would: GET the form, POST it back with Accept.
func consent(t *testing.T, sim *azsim.Sim, consentURL, login, password string) {
	t.Helper()
	u, err := url.Parse(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	client := *sim.HTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(consentURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page: %s", resp.Status)
	}
	form := u.Query()
	form.Set("login", login)
	form.Set("passwd", password)
	form.Set("action", "accept")
	post := *u
	post.RawQuery = ""
	resp, err = client.PostForm(post.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent POST: %s", resp.Status)
	}
}

// TestApplyLeaksNoSecret runs a whole lifecycle through the CLI with trace
// logs and scans every byte it wrote — stdout, stderr, JSON events, saved
// plans, state and backup — for the secret value it delivered.
func TestApplyLeaksNoSecret(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	var outputs [][]byte
	runAll := func(cmd string, args ...string) int {
		code, out, errOut := w.run(cmd, append([]string{"--log-level", "trace"}, args...)...)
		outputs = append(outputs, []byte(out), []byte(errOut))
		return code
	}
	plan1 := filepath.Join(w.dir, "plan1.json")
	runAll("plan", "--out", plan1, w.manifest)
	if code := runAll("apply", plan1); code != exitOK {
		t.Fatalf("apply: %d\n%s", code, outputs[len(outputs)-1])
	}
	doc, err := azure.ReadDeliveredSecret(filepath.Join(w.dir, "secrets", "myGalleryApp.json"))
	if err != nil || len(doc.Secret.Reveal()) < 8 {
		t.Fatalf("delivered secret unreadable: %v", err)
	}
	plan2 := filepath.Join(w.dir, "plan2.json")
	runAll("plan", "--json", "--out", plan2, w.manifest)
	runAll("apply", "--auto-approve", "--json", w.manifest)
	var so, se bytes.Buffer
	run(context.Background(), []string{"state", "list", "--log-level", "trace", "--state", w.statePath}, strings.NewReader(""), &so, &se)
	outputs = append(outputs, so.Bytes(), se.Bytes())
	runAll("destroy", "--auto-approve", "--json", w.manifest)
	for _, f := range []string{plan1, plan2, w.statePath, w.statePath + ".backup"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, b)
	}
	if !bytes.Contains(bytes.Join(outputs, nil), []byte(`"type":"summary"`)) {
		t.Fatal("no JSON events captured")
	}
	for i, o := range outputs {
		if bytes.Contains(o, []byte(doc.Secret.Reveal())) {
			t.Errorf("output %d contains the secret value", i)
		}
	}
}
