package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/galshare/galshare/internal/azurite"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// runner is one CI runner's working directory: its own manifest copy and
// cloud file, no state of its own. Two runners share nothing but the
// simulator and the blob state the manifest's state.url names.
type runner struct {
	w        *cliWorld
	src      string // the example manifest
	dir      string
	manifest string
}

// newRunner copies w's manifest into a fresh directory with state.url set
// and consumers named in drop removed.
func newRunner(t *testing.T, w *cliWorld, stateURL string, drop ...string) *runner {
	t.Helper()
	src, err := os.ReadFile(w.manifest)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{w: w, src: string(src), dir: t.TempDir()}
	r.manifest = filepath.Join(r.dir, filepath.Base(w.manifest))
	r.write(t, stateURL, drop...)
	return r
}

// write (re)writes the runner's manifest: w's, minus the consumers in drop,
// plus state.url.
func (r *runner) write(t *testing.T, stateURL string, drop ...string) {
	t.Helper()
	text := r.src
	for _, name := range drop {
		// Each example consumer is a "  - name: X" block up to the next.
		re := regexp.MustCompile(`(?ms)^  - name: ` + regexp.QuoteMeta(name) + `\b.*?(?:^  - name: |\z)`)
		loc := re.FindStringIndex(text)
		if loc == nil {
			t.Fatalf("no consumer %s in %s", name, r.w.manifest)
		}
		end := loc[1]
		if strings.HasSuffix(text[loc[0]:end], "  - name: ") {
			end -= len("  - name: ")
		}
		text = text[:loc[0]] + text[end:]
	}
	text += "\nstate:\n  url: " + stateURL + "\n"
	if err := os.WriteFile(r.manifest, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs galshare in-process in this runner: no --state, so the
// manifest's state.url decides.
func (r *runner) run(cmd string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	full := append([]string{cmd, "--cloud", r.w.cloud}, args...)
	code := run(context.Background(), full, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// exec runs galshare as a subprocess in this runner.
func (r *runner) exec(t *testing.T, env []string, cmd string, args ...string) (*os.ProcessState, string, string) {
	t.Helper()
	bin, err := exec.LookPath("galshare")
	if err != nil {
		t.Skipf("galshare test binary not on PATH: %v", err)
	}
	c := exec.Command(bin, append([]string{cmd, "--cloud", r.w.cloud}, args...)...)
	c.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err = c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return c.ProcessState, stdout.String(), stderr.String()
}

// TestTwoRunnersShareBlobState is issue 13's acceptance test: two working
// directories sharing only the simulator and a blob state on Azurite.
func TestTwoRunnersShareBlobState(t *testing.T) {
	srv := azurite.Start(t)
	t.Setenv(azure.EnvStorageConnectionString, srv.ConnectionString())
	w := newCLIWorld(t, "partner-msp")
	w.replicateNow()
	url := srv.BlobURL("galshare", "msp/galshare.state.json")
	// gamma is a manual consumer (apply stops for its administrator);
	// the shared-state story is about the managed ones.
	a := newRunner(t, w, url, "gamma")
	b := newRunner(t, w, url, "gamma")
	// checkNoDuplicates checks the consumers of A's manifest.
	w.manifest = a.manifest

	if code, out, errOut := a.run("apply", "--auto-approve", a.manifest); code != exitOK {
		t.Fatalf("apply in A: %d\n%s%s", code, out, errOut)
	}
	// B sees A's state: nothing to do, nothing to adopt.
	if code, out, errOut := b.run("plan", "--detailed-exitcode", b.manifest); code != exitOK {
		t.Fatalf("plan in B after A's apply: exit %d, want 0\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(b.dir, state.DefaultPath)); err == nil {
		t.Fatal("B wrote a local state file")
	}

	// A consumer removed from B's manifest is destroyed by B.
	b.write(t, url, "gamma", "beta")
	code, out, errOut := b.run("plan", "--detailed-exitcode", b.manifest)
	if code != exitChanges || !strings.Contains(out, "beta") {
		t.Fatalf("plan in B without beta: exit %d, want 2 with beta's destroy\n%s%s", code, out, errOut)
	}
	if code, out, errOut := b.run("apply", "--auto-approve", b.manifest); code != exitOK {
		t.Fatalf("apply in B without beta: %d\n%s%s", code, out, errOut)
	}
	st := readBlobState(t, url)
	for _, addr := range st.Addresses() {
		if strings.Contains(addr, "beta") {
			t.Errorf("state still records %s after beta's destroy", addr)
		}
	}
	for _, ra := range w.sim.RoleAssignments() {
		if strings.Contains(ra.Scope, "beta-vms") {
			t.Errorf("beta's role assignment %s is still in Azure", ra.Scope)
		}
	}

	// Two applies started together, both wanting beta back: one takes the
	// lease, the other waits for it and then finds nothing left to do.
	a.write(t, url, "gamma")
	b.write(t, url, "gamma")
	var wg sync.WaitGroup
	results := make([][3]string, 2)
	codes := make([]int, 2)
	for i, r := range []*runner{a, b} {
		wg.Go(func() {
			code, out, errOut := r.run("apply", "--auto-approve", "--lock-timeout", "60s", r.manifest)
			codes[i], results[i] = code, [3]string{"", out, errOut}
		})
	}
	wg.Wait()
	for i := range codes {
		if codes[i] != exitOK {
			t.Errorf("concurrent apply %d: exit %d\n%s%s", i, codes[i], results[i][1], results[i][2])
		}
	}
	w.checkNoDuplicates()
	for _, r := range []*runner{a, b} {
		if code, out, errOut := r.run("plan", "--detailed-exitcode", r.manifest); code != exitOK {
			t.Errorf("plan after the concurrent applies: exit %d\n%s%s", code, out, errOut)
		}
	}

	// A run killed while holding the lease leaves a lock that `state
	// unlock` breaks; the next apply converges.
	a.write(t, url, "gamma", "beta")
	b.write(t, url, "gamma", "beta")
	ps, stdout, stderr := a.exec(t, []string{"GALSHARE_TEST_CRASH=call:1"}, "apply", "--auto-approve", a.manifest)
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("apply in A was not killed: %v\nstdout:\n%s\nstderr:\n%s", ps, stdout, stderr)
	}
	code, _, errOut = b.run("apply", "--auto-approve", b.manifest)
	m := regexp.MustCompile(`that process no longer runs.*galshare state unlock --state (\S+) ([0-9a-f-]{36})`).FindStringSubmatch(errOut)
	if code != exitFailure || m == nil || m[1] != url {
		t.Fatalf("apply in B after the kill: exit %d, want 1 naming the stale lease and the unlock command\n%s", code, errOut)
	}
	var uo, ue bytes.Buffer
	if code, out, errOut := run(context.Background(), []string{"state", "unlock", "--state", m[1], m[2]}, strings.NewReader(""), &uo, &ue), uo.String(), ue.String(); code != exitOK || !strings.Contains(out, "Removed lock "+m[2]) {
		t.Fatalf("state unlock: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := b.run("apply", "--auto-approve", b.manifest); code != exitOK {
		t.Fatalf("apply in B after unlock: %d\n%s%s", code, out, errOut)
	}
	w.checkNoDuplicates()
	for _, r := range []*runner{a, b} {
		if code, out, errOut := r.run("plan", "--detailed-exitcode", r.manifest); code != exitOK {
			t.Errorf("plan after recovery: exit %d\n%s%s", code, out, errOut)
		}
	}
}

func readBlobState(t *testing.T, url string) *state.State {
	t.Helper()
	store, err := azure.NewBlobState(azure.BlobStateOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.ReadFrom(t.Context(), state.NewBlobBackend(store))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStateMigrateFileToBlobAndBack moves a state to a blob on Azurite and
// back with `state migrate`, keeping lineage and serial; pull, versions
// and restore work on the blob.
func TestStateMigrateFileToBlobAndBack(t *testing.T) {
	srv := azurite.Start(t)
	t.Setenv(azure.EnvStorageConnectionString, srv.ConnectionString())
	dir := t.TempDir()
	file := filepath.Join(dir, "galshare.state.json")
	hd, err := state.Open(t.Context(), file, state.LockOptions{Operation: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"app.a", "app.b"} {
		if err := hd.Update(t.Context(), func(s *state.State) error {
			return s.Put(state.Resource{Address: addr, Type: state.TypeApplication, Tenant: "t1", ID: "id-" + addr, Origin: state.OriginCreated})
		}); err != nil {
			t.Fatal(err)
		}
	}
	want := hd.State()
	if err := hd.Close(); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &o, &e)
		return code, o.String(), e.String()
	}
	url := srv.BlobURL("migrated", "prod.state.json")
	if code, out, errOut := cli("state", "migrate", "--state", file, "--to", url); code != exitOK {
		t.Fatalf("migrate to the blob: %d\n%s%s", code, out, errOut)
	}
	got := readBlobState(t, url)
	if got.Lineage != want.Lineage || got.Serial != want.Serial || len(got.Resources) != 2 {
		t.Fatalf("blob has lineage %s serial %d (%d resources), want %s %d (2)", got.Lineage, got.Serial, len(got.Resources), want.Lineage, want.Serial)
	}
	code, pulled, errOut := cli("state", "pull", "--state", url)
	if code != exitOK || !strings.Contains(pulled, want.Lineage) {
		t.Fatalf("pull: %d\n%s%s", code, pulled, errOut)
	}
	// A second migrate into the now-populated blob of the same lineage
	// and serial is accepted (idempotent); a write then a restore keeps
	// the history.
	if code, out, errOut := cli("state", "migrate", "--state", file, "--to", url); code != exitOK {
		t.Fatalf("repeated migrate: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := cli("state", "versions", "--state", url)
	m := regexp.MustCompile(`(?m)^(\S+Z)\s+2\s+2\s`).FindStringSubmatch(out)
	if code != exitOK || m == nil {
		t.Fatalf("versions: %d, want a version at serial 2 with 2 resources\n%s%s", code, out, errOut)
	}
	if code, out, errOut := cli("state", "restore", "--state", url, m[1]); code != exitOK || !strings.Contains(out, "now serial 3") {
		t.Fatalf("restore: %d\n%s%s", code, out, errOut)
	}
	back := filepath.Join(dir, "back.state.json")
	if code, out, errOut := cli("state", "migrate", "--state", url, "--to", back); code != exitOK {
		t.Fatalf("migrate back to a file: %d\n%s%s", code, out, errOut)
	}
	s, err := state.Read(back)
	if err != nil || s.Lineage != want.Lineage || s.Serial != 3 || len(s.Resources) != 2 {
		t.Fatalf("file after migrating back: %+v, %v", s, err)
	}
}
