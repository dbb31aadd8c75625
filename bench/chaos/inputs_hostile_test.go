package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/galshare/galshare/pkg/state"
)

// Hostile and broken input at the CLI, end to end with the real binary against the simulator: a saved plan from
// another manifest or another state is refused, a corrupt state file is refused, and in every case no file is lost
// or overwritten and nothing is written to Azure.

// snapshot reads the files a refused command must leave untouched.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameFiles(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("%s was deleted", name)
		case !bytes.Equal(a, b):
			t.Errorf("%s was changed", name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok && !strings.HasSuffix(name, ".stdout") && !strings.HasSuffix(name, ".stderr") {
			t.Errorf("%s was created", name)
		}
	}
}

func TestSavedPlanFromAnotherManifestOrStateIsRefused(t *testing.T) {
	root, bin := binaryTest(t)
	tests := []struct {
		name string
		// arrange runs after `plan --out plan.json` and returns the plan file to apply.
		arrange func(t *testing.T, w *lpWorld) string
		want    string
	}{
		{"manifest edited since the plan", func(t *testing.T, w *lpWorld) string {
			p := filepath.Join(w.work, "quickstart.yaml")
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(p, bytes.Replace(b, []byte("renewBefore: 720h"), []byte("renewBefore: 700h"), 1), 0o600); err != nil {
				t.Fatal(err)
			}
			return "plan.json"
		}, "manifest"},
		{"state moved on since the plan", func(t *testing.T, w *lpWorld) string {
			// Another apply of the same manifest lands first (targeted, so the saved plan stays meaningful).
			if inv := w.run("apply", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
				t.Fatalf("apply: exit %d\n%s", inv.code, inv.stderr)
			}
			return "plan.json"
		}, "stale"},
		{"plan made against another state", func(t *testing.T, w *lpWorld) string {
			// A plan file copied from another checkout, whose state has another lineage.
			other := filepath.Join(w.work, "other")
			if err := os.MkdirAll(other, 0o700); err != nil {
				t.Fatal(err)
			}
			if inv := w.run("apply", "--auto-approve", "--state", "other/galshare.state.json", "quickstart.yaml"); inv.code != 0 {
				t.Fatalf("apply into the other state: exit %d\n%s", inv.code, inv.stderr)
			}
			if inv := w.run("plan", "--out", "other/plan.json", "--state", "other/galshare.state.json", "quickstart.yaml"); inv.code != 0 && inv.code != 2 {
				t.Fatalf("plan: exit %d\n%s", inv.code, inv.stderr)
			}
			return "other/plan.json"
		}, "stale"},
		{"hand-edited plan file", func(t *testing.T, w *lpWorld) string {
			p := filepath.Join(w.work, "plan.json")
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(p, bytes.Replace(b, []byte(`"kind"`), []byte(`"sneaky": true, "kind"`), 1), 0o600); err != nil {
				t.Fatal(err)
			}
			return "plan.json"
		}, "plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newLPWorld(t, bin, root, documentedRights())
			if inv := w.run("plan", "--out", "plan.json", "quickstart.yaml"); inv.code != 0 && inv.code != 2 {
				t.Fatalf("plan --out: exit %d\n%s", inv.code, inv.stderr)
			}
			planFile := tc.arrange(t, w)
			before := snapshot(t, w.work)
			w.sim.ResetStats()
			inv := w.run("apply", "--auto-approve", planFile)
			if inv.code != 1 {
				t.Fatalf("apply of the plan: exit %d, want 1\n%s%s", inv.code, inv.stdout, inv.stderr)
			}
			msg := lastErrorLine(inv)
			if !strings.Contains(strings.ToLower(msg), tc.want) {
				t.Errorf("error %q does not mention %q", msg, tc.want)
			}
			if st := w.sim.Stats(); st.Writes != 0 {
				t.Errorf("a refused plan made %d write calls", st.Writes)
			}
			sameFiles(t, before, snapshot(t, w.work))
			t.Logf("refused: %s", msg)
		})
	}
}

func TestCorruptStateIsRefusedAndKept(t *testing.T) {
	root, bin := binaryTest(t)
	tests := []struct {
		name  string
		state string
		want  string
	}{
		{"truncated", `{"version": 1, "lineage": "6f1c`, "galshare.state.json"},
		{"future version", `{"version": 9, "lineage": "6f1c9a80-2b1e-4c57-9a43-0d2f6c1d7e11", "serial": 3, "resources": []}`, "version"},
		{"not JSON", "<<<<<<< HEAD\n", "galshare.state.json"},
		{"hand-edited duplicate", `{"version": 1, "lineage": "6f1c9a80-2b1e-4c57-9a43-0d2f6c1d7e11", "serial": 3, "resources": [
 {"address": "app.myGalleryApp", "type": "application", "tenant": "t", "id": "x", "origin": "created"},
 {"address": "app.myGalleryApp", "type": "application", "tenant": "t", "id": "y", "origin": "created"}]}`, "app.myGalleryApp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newLPWorld(t, bin, root, documentedRights())
			if err := os.WriteFile(filepath.Join(w.work, "galshare.state.json"), []byte(tc.state), 0o600); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, w.work)
			w.sim.ResetStats()
			for _, args := range [][]string{{"apply", "--auto-approve", "quickstart.yaml"}, {"plan", "quickstart.yaml"},
				{"destroy", "--auto-approve", "quickstart.yaml"}} {
				inv := w.run(args...)
				if inv.code != 1 {
					t.Fatalf("%s with a %s state: exit %d, want 1\n%s", args[0], tc.name, inv.code, inv.stderr)
				}
				if msg := lastErrorLine(inv); !strings.Contains(msg, tc.want) {
					t.Errorf("%s: error %q does not mention %q", args[0], msg, tc.want)
				}
			}
			if st := w.sim.Stats(); st.Writes != 0 {
				t.Errorf("%d write calls with an unusable state", st.Writes)
			}
			sameFiles(t, before, snapshot(t, w.work))
		})
	}
}

// TestConcurrentAppliesOneProceeds: two applies on one state at once — exactly one proceeds, the other fails on
// the lock naming its owner; with --lock-timeout the second waits and then finds nothing to do.
func TestConcurrentAppliesOneProceeds(t *testing.T) {
	root, bin := binaryTest(t)
	for _, timeout := range []string{"0s", "2m"} {
		t.Run("lock-timeout="+timeout, func(t *testing.T) {
			w := newLPWorld(t, bin, root, documentedRights())
			var wg sync.WaitGroup
			results := make([]invocation, 2)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = w.run("apply", "--auto-approve", "--lock-timeout", timeout, "quickstart.yaml")
				}()
			}
			wg.Wait()
			ok, locked := 0, 0
			for _, r := range results {
				switch {
				case r.code == 0:
					ok++
				case r.code == 1 && strings.Contains(string(r.stderr), "locked by"):
					locked++
				default:
					t.Errorf("unexpected result: exit %d\n%s", r.code, lastErrorLine(r))
				}
			}
			if timeout == "0s" && (ok < 1 || ok+locked != 2) {
				t.Errorf("ok=%d locked=%d, want at least one success and the other locked", ok, locked)
			}
			if timeout != "0s" && ok != 2 {
				t.Errorf("with --lock-timeout both should finish: ok=%d locked=%d", ok, locked)
			}
			// Whatever the interleaving, Azure holds one app, one password, one SP per tenant.
			apps := 0
			for _, a := range w.sim.Applications(lpPublisher) {
				if strings.EqualFold(a.DisplayName, "myGalleryApp") {
					apps++
					if len(a.Passwords) != 1 {
						t.Errorf("app has %d passwords, want 1", len(a.Passwords))
					}
				}
			}
			if apps != 1 {
				t.Errorf("%d apps, want 1", apps)
			}
		})
	}
}

// TestKilledDestroyResumesCleanly SIGKILLs destroy at several points (after its Nth Azure call, after its Nth
// state record), breaks the stale lock with `state unlock` as an operator would, and resumes: the resumed destroy
// must finish the job — nothing galshare made left in Azure, an empty state, no open journal entry.
func TestKilledDestroyResumesCleanly(t *testing.T) {
	root, bin := binaryTest(t)
	for _, crash := range []string{"call:1", "call:3", "record:2"} {
		t.Run(crash, func(t *testing.T) {
			t.Parallel()
			w := newLPWorld(t, bin, root, documentedRights())
			if inv := w.run("apply", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
				t.Fatalf("apply: exit %d\n%s", inv.code, inv.stderr)
			}
			l := &lifecycle{h: &harness{bin: w.bin}, work: w.work, outDir: t.TempDir(), env: w.env,
				statePath: filepath.Join(w.work, "galshare.state.json")}
			inv, err := l.galshare(context.Background(), "destroy", []string{"GALSHARE_TEST_CRASH=" + crash}, 0,
				"destroy", "--auto-approve", "quickstart.yaml")
			if err != nil || !inv.killed {
				t.Fatalf("destroy was not killed: %v exit %d", err, inv.code)
			}
			if inv := w.run("destroy", "--auto-approve", "quickstart.yaml"); inv.code != 1 || !strings.Contains(string(inv.stderr), "no longer runs") {
				t.Errorf("destroy over a dead process's lock: exit %d, want 1 naming the stale lock: %s", inv.code, lastErrorLine(inv))
			}
			if broke, err := l.breakStaleLock(context.Background()); err != nil || !broke {
				t.Fatalf("state unlock: %v %v", broke, err)
			}
			if inv := w.run("destroy", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
				t.Fatalf("resumed destroy: exit %d\n%s", inv.code, lastErrorLine(inv))
			}
			st, err := state.Read(l.statePath)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Resources) != 0 || len(st.Journal) != 0 {
				t.Errorf("after the resumed destroy the state still holds %d resources and %d journal entries: %v",
					len(st.Resources), len(st.Journal), st.Addresses())
			}
			for _, a := range w.sim.Applications(lpPublisher) {
				if a.DisplayName == "myGalleryApp" {
					t.Errorf("app %s survived the resumed destroy", a.AppID)
				}
			}
		})
	}
}

// TestHandMadeDuplicateGrantDoesNotHideGalsharesOwn: an administrator grants the app the same role at the same
// scope by hand (another assignment name) after galshare did. Destroy must still remove galshare's own assignment
// (the deterministic name it recorded) and leave the hand-made one alone, whichever the listing returns first.
func TestHandMadeDuplicateGrantDoesNotHideGalsharesOwn(t *testing.T) {
	root, bin := binaryTest(t)
	for i := 0; i < 4; i++ { // the hand-made name is random: sorting before or after galshare's
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			w := newLPWorld(t, bin, root, documentedRights())
			if inv := w.run("apply", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
				t.Fatalf("apply: exit %d\n%s", inv.code, inv.stderr)
			}
			var sp string
			for _, s := range w.sim.ServicePrincipals(lpConsumer) {
				if s.DisplayName == "myGalleryApp" {
					sp = s.ID
				}
			}
			if sp == "" {
				t.Fatal("no SP for the app in the consumer tenant")
			}
			handMade, err := w.sim.GrantRole(lpVMRG, "Contributor", sp)
			if err != nil {
				t.Fatal(err)
			}
			if inv := w.run("destroy", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
				t.Fatalf("destroy: exit %d\n%s", inv.code, lastErrorLine(inv))
			}
			var left []string
			for _, ra := range w.sim.RoleAssignments() {
				if strings.EqualFold(ra.PrincipalID, sp) {
					left = append(left, ra.Name)
				}
			}
			if len(left) != 1 || left[0] != handMade {
				t.Errorf("assignments of the app's SP left after destroy: %v, want only the hand-made %s", left, handMade)
			}
		})
	}
}
