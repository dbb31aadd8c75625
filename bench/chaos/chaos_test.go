package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testBin is the galshare binary TestMain builds once for every test in the package.
var testBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		flag.Parse()
		if !testing.Short() {
			dir, err := os.MkdirTemp("", "chaos-bin-")
			if err != nil {
				panic(err)
			}
			defer os.RemoveAll(dir)
			root, err := moduleRoot()
			if err != nil {
				panic(err)
			}
			testBin = filepath.Join(dir, "galshare")
			cmd := exec.Command("go", "build", "-o", testBin, "./cmd/galshare")
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				panic(fmt.Sprintf("build galshare: %v\n%s", err, out))
			}
		}
		return m.Run()
	}())
}

// buildGalshare returns the binary TestMain built.
func buildGalshare(t *testing.T) string {
	t.Helper()
	if testBin == "" {
		t.Fatal("galshare was not built (short mode?)")
	}
	return testBin
}

// binaryTest prepares a test that drives the galshare binary: it is skipped in
// short mode, runs in parallel, and gets the module root and the binary.
func binaryTest(t *testing.T) (root, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the galshare binary")
	}
	t.Parallel()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root, buildGalshare(t)
}

var finalLineRE = regexp.MustCompile(`(?m)^runs=(\d+) converged=(\d+) duplicates=(\d+) orphans=(\d+) leaked_secrets=(\d+) state_mismatches=(\d+)$`)

// TestShortChaos is the seeded short mode of the harness: three full lifecycles (one per example) under the
// default fault profile, every one killed at a seeded point and resumed. Only the counters are asserted.
func TestShortChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos short mode takes about 40 s")
	}
	t.Parallel()
	bin := buildGalshare(t)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code, err := run(ctx, []string{"--runs", "3", "--seed", "7", "--jobs", "3", "--kill-rate", "1", "--bin", bin, "-v"}, &out, &errOut)
	t.Logf("harness output:\n%s%s", out.String(), errOut.String())
	if err != nil || code != 0 {
		t.Fatalf("harness exit %d, err %v", code, err)
	}
	m := finalLineRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no final line in output")
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	if n(1) != 3 || n(2) != 3 {
		t.Errorf("runs=%d converged=%d, want 3 and 3", n(1), n(2))
	}
	for i, name := range []string{3: "duplicates", 4: "orphans", 5: "leaked_secrets", 6: "state_mismatches"} {
		if i >= 3 && n(i) != 0 {
			t.Errorf("%s=%d, want 0", name, n(i))
		}
	}
	if !strings.Contains(out.String(), "profile=default ") {
		t.Errorf("no per-profile line")
	}
	if !regexp.MustCompile(`kills=[1-9]`).MatchString(out.String()) {
		t.Errorf("no run was killed although --kill-rate is 1")
	}
}

// TestChecksCatchBrokenInvariants proves the truth checks can fail: after a real apply it plants a stray role
// assignment of galshare's principal (a state mismatch, then an orphan after destroy), a delivered file that does
// not match the password in Azure (undelivered) with a world-readable mode, and a secret in a log (a leak).
func TestChecksCatchBrokenInvariants(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the galshare binary")
	}
	t.Parallel()
	bin := buildGalshare(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{runs: 1, seed: 1, profiles: []string{"calm"}, examples: []string{"quickstart"}, jobs: 1, maxAttempts: 3,
		out: &bytes.Buffer{}}
	h := &harness{cfg: cfg, root: root, base: keepDir(t), bin: bin}
	res := runResult{idx: 0, profile: "calm", example: "quickstart"}
	l := &lifecycle{h: h, res: &res, rng: rand.New(rand.NewPCG(1, 0)), delivered: map[string]bool{}, humanSPs: map[string]bool{},
		humanRAs: map[string]bool{}, ourSPs: map[string]bool{}}
	ctx := context.Background()
	if err := l.setUp(ctx); err != nil {
		t.Fatal(err)
	}
	l.kill = nil
	defer l.tearDown()
	if !l.converge(ctx, "apply", "apply", "--auto-approve", l.manifestPath) || !l.checkPresent("apply") {
		t.Fatalf("apply did not converge: %v", res.problems)
	}
	if res.c.Duplicates != 0 || res.c.StateMismatches != 0 || res.c.Undelivered != 0 {
		t.Fatalf("clean apply already counts problems: %+v %v", res.c, res.problems)
	}

	// A stray grant of galshare's consumer principal made outside galshare (not desired, not in state), a delivered
	// file that no longer matches the password in Azure, and a world-readable secret file.
	cons := l.m.Consumers[0]
	sp := l.spsOf(cons.Tenant, l.appID)[0]
	subScope := "/subscriptions/" + strings.Split(cons.Grants[0].Scope, "/")[2]
	if _, err := l.sim.GrantRole(subScope, "Reader", sp.ID); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.deliverPath, []byte(`{"secret":"not-the-issued-secret-value"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(l.deliverPath, 0o644); err != nil {
		t.Fatal(err)
	}
	l.checkPresent("planted")
	l.checkModes()
	if res.c.Undelivered != 1 || res.c.BadModes != 1 || res.c.StateMismatches != 1 || res.c.Duplicates != 0 {
		t.Errorf("planted stray grant/undelivered/mode: got %+v, want 1 undelivered, 1 bad mode, 1 state mismatch", res.c)
	}

	// Destroy; the stray grant (unknown to galshare) stays behind as an orphan of galshare's principal.
	if !l.converge(ctx, "destroy", "destroy", "--auto-approve", l.manifestPath) {
		t.Fatalf("destroy did not converge: %v", res.problems)
	}
	l.checkGone()
	if res.c.Orphans != 1 {
		t.Errorf("orphans = %d, want 1: %v", res.c.Orphans, res.problems)
	}

	// A secret in a log file is a leak; so is anything shaped like an issued secret.
	l.delivered["a-delivered-secret-value"] = true
	if err := os.WriteFile(filepath.Join(l.outDir, "99-x.stderr"), []byte("oops a-delivered-secret-value and abc8Q~Zyx.wvu_tsr-qpo~nmlkjihgfedcba9876\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l.scanLeaks()
	if res.c.LeakedSecrets != 2 {
		t.Errorf("leaked_secrets = %d, want 2: %v", res.c.LeakedSecrets, res.problems)
	}
}

// keepDir is a temporary directory, or $CHAOS_TEST_DIR when set (to inspect a failing run).
func keepDir(t *testing.T) string {
	if d := os.Getenv("CHAOS_TEST_DIR"); d != "" {
		return d
	}
	return t.TempDir()
}
