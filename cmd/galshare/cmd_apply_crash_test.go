package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// TestApplyKilledAtEachPointConverges runs apply as a real subprocess and
// SIGKILLs it (GALSHARE_TEST_CRASH) right after each Azure write call,
// after the secret delivery, and after each state write, in turn. The next
// apply must converge with no duplicate app, password, SP or role
// assignment, and a plan after it must show no changes.
func TestApplyKilledAtEachPointConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns many subprocesses")
	}
	points := []string{"deliver:1"}
	for n := 1; n <= 6; n++ {
		points = append(points, fmt.Sprintf("call:%d", n), fmt.Sprintf("record:%d", n))
	}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			t.Parallel()
			w := newCLIWorld(t, "quickstart")
			w.replicateNow()
			ps, stdout, stderr := w.exec([]string{"GALSHARE_TEST_CRASH=" + point}, "apply", "--auto-approve", w.manifest)
			ws, ok := ps.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("apply was not killed at %s: %v\nstdout:\n%s\nstderr:\n%s", point, ps, stdout, stderr)
			}
			// The killed run's lock is reported as stale, with the command
			// that breaks it; the operator runs it.
			code, _, stderr := w.run("apply", "--auto-approve", w.manifest)
			m := regexp.MustCompile(`that process no longer runs.*galshare state unlock --state \S+ ([0-9a-f-]{36})`).FindStringSubmatch(stderr)
			if code != exitFailure || m == nil {
				t.Fatalf("apply after the kill: exit %d, want 1 naming the stale lock\n%s", code, stderr)
			}
			var uo, ue bytes.Buffer
			if code := run(context.Background(), []string{"state", "unlock", "--state", w.statePath, m[1]}, strings.NewReader(""), &uo, &ue); code != exitOK {
				t.Fatalf("state unlock: %d %s", code, ue.String())
			}
			code, stdout, stderr = w.run("apply", "--auto-approve", w.manifest)
			if code != exitOK {
				t.Fatalf("apply after the kill: exit %d\n%s\n%s", code, stdout, stderr)
			}
			w.checkNoDuplicates()
			code, stdout, _ = w.run("plan", "--detailed-exitcode", w.manifest)
			if code != exitOK {
				t.Errorf("plan after recovery: exit %d\n%s", code, stdout)
			}
			// The delivered secret is the live password.
			doc, err := azure.ReadDeliveredSecret(filepath.Join(w.dir, "secrets", "myGalleryApp.json"))
			if err != nil {
				t.Fatalf("delivered secret: %v", err)
			}
			app, _ := w.sim.Application(doc.ClientID)
			if len(app.Passwords) != 1 || app.Passwords[0].KeyID != doc.KeyID {
				t.Errorf("delivered keyId %s, live passwords %+v", doc.KeyID, app.Passwords)
			}
		})
	}
}

// TestApplyInterrupt sends Ctrl-C to a real apply once (start nothing new,
// finish what is in flight) or twice (cancel in-flight calls). Either way
// the process exits 1 with state saved, and the next apply converges with
// nothing duplicated.
func TestApplyInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: every simulator call takes 300ms here")
	}
	for _, signals := range []int{1, 2} {
		t.Run(fmt.Sprintf("%dx", signals), func(t *testing.T) {
			t.Parallel()
			w := newCLIWorld(t, "quickstart")
			w.replicateNow()
			w.sim.SetFaults(azsim.FaultProfile{Latency: 300 * time.Millisecond})
			bin, err := exec.LookPath("galshare")
			if err != nil {
				t.Skip(err)
			}
			c := exec.Command(bin, append([]string{"apply", "--auto-approve"}, append(w.flags(), w.manifest)...)...)
			stdout, err := c.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			c.Stderr = &stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			lines := make(chan string)
			go func() {
				buf := make([]byte, 4096)
				var line []byte
				for {
					n, err := stdout.Read(buf)
					out.Write(buf[:n])
					for _, b := range buf[:n] {
						if b == '\n' {
							lines <- string(line)
							line = line[:0]
						} else {
							line = append(line, b)
						}
					}
					if err != nil {
						close(lines)
						return
					}
				}
			}()
			// Interrupt once the app exists: its dependants are then in flight.
			for l := range lines {
				if strings.HasPrefix(l, "app.myGalleryApp: created") {
					break
				}
			}
			for i := 0; i < signals; i++ {
				_ = c.Process.Signal(os.Interrupt)
				time.Sleep(50 * time.Millisecond)
			}
			for range lines {
			}
			err = c.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
				t.Fatalf("interrupted apply: %v, want exit 1\n%s\n%s", err, &out, &stderr)
			}
			if !strings.Contains(out.String(), "Apply interrupted") || !strings.Contains(out.String(), "State is saved") {
				t.Errorf("no interrupted summary:\n%s", &out)
			}
			if !regexp.MustCompile(`[1-9]\d* not started`).MatchString(out.String()) {
				t.Errorf("interrupt started everything anyway:\n%s", &out)
			}
			st, err := state.Read(w.statePath)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := st.Get("app.myGalleryApp"); !ok {
				t.Errorf("the app created before the interrupt is not in state")
			}
			if signals == 1 && len(st.Journal) != 0 {
				t.Errorf("a graceful stop left journal entries: %+v", st.Journal)
			}
			w.sim.SetFaults(azsim.FaultProfile{})
			if code, o, e := w.run("apply", "--auto-approve", w.manifest); code != exitOK {
				t.Fatalf("apply after the interrupt: %d\n%s%s", code, o, e)
			}
			w.checkNoDuplicates()
		})
	}
}
