package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/galshare/galshare/pkg/azsim"
)

// ttyRun is galshare running as a real process on a pseudo-terminal of a
// given size, the way an operator runs it: stdout and stderr are the
// terminal, Ctrl-C is a byte the line discipline turns into SIGINT.
type ttyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

// startTTY starts galshare ARGS (with the world's --cloud and --state) on
// a cols×rows pseudo-terminal. GALSHARE_TTY_BIN replaces the binary, to
// run these tests against another build (e.g. the one before a fix).
func (w *cliWorld) startTTY(cols, rows int, cmd string, args ...string) *ttyRun {
	w.t.Helper()
	bin := os.Getenv("GALSHARE_TTY_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("galshare"); err != nil {
			w.t.Skipf("galshare test binary not on PATH: %v", err)
		}
	}
	c := exec.Command(bin, append(append([]string{cmd}, w.flags()...), args...)...)
	c.Env = append(os.Environ(), "TERM=xterm-256color", "NO_COLOR=1")
	f, err := pty.StartWithSize(c, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		w.t.Skipf("no pseudo-terminal here: %v", err)
	}
	r := &ttyRun{t: w.t, cmd: c, tty: f, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.mu.Unlock()
			if err != nil { // EIO once the process and its terminal are gone
				return
			}
		}
	}()
	w.t.Cleanup(func() {
		_ = c.Process.Kill()
		_ = f.Close()
	})
	return r
}

// waitFor waits until the output so far contains s, failing after a
// generous bound (a hung test, not a speed target).
func (r *ttyRun) waitFor(s string) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		ok := bytes.Contains(r.out.Bytes(), []byte(s))
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.done:
			r.mu.Lock()
			ok := bytes.Contains(r.out.Bytes(), []byte(s))
			r.mu.Unlock()
			if !ok {
				r.t.Fatalf("galshare ended without printing %q:\n%s", s, r.output())
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.t.Fatalf("no %q after 60s:\n%s", s, r.output())
}

// ctrlC types Ctrl-C on the terminal.
func (r *ttyRun) ctrlC() {
	r.t.Helper()
	if _, err := r.tty.Write([]byte{3}); err != nil {
		r.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code and all it
// printed.
func (r *ttyRun) wait() (int, []byte) {
	r.t.Helper()
	err := r.cmd.Wait()
	<-r.done
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return code, append([]byte(nil), r.out.Bytes()...)
}

func (r *ttyRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// TestApplyLiveViewOnATerminal applies partner-msp (more actions than a
// 24-row terminal shows, a manual consumer that blocks) on a real
// pseudo-terminal at the widths people use, and reads the final screen and
// scrollback through a terminal emulator: nothing repeated, nothing wider
// than the terminal, the summary whole.
func TestApplyLiveViewOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real processes on pseudo-terminals")
	}
	for _, cols := range []int{80, 100, 160} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			t.Parallel()
			w := newCLIWorld(t, "partner-msp")
			w.replicateNow()
			w.sim.SetFaults(azsim.FaultProfile{Latency: 40 * time.Millisecond})
			r := w.startTTY(cols, 24, "apply", "--auto-approve", w.manifest)
			code, out := r.wait()
			if code != exitBlocked {
				t.Fatalf("apply: exit %d, want 3 (manual consumer)\n%s", code, out)
			}
			lines := applySection(t, screenLines(t, out, cols, 24), "Apply stopped at blocked actions: ")
			checkScreen(t, lines, cols)
			created := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "✓ ") && strings.Contains(l, ": created") {
					created++
				}
			}
			if created == 0 {
				t.Errorf("no action's outcome is on screen:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

// TestApplyInterruptAnswersAtOnce types Ctrl-C twice into an apply on a
// terminal: each press is answered before anything else happens, and the
// apply ends interrupted with exit 1.
func TestApplyInterruptAnswersAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real process on a pseudo-terminal")
	}
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	w.sim.SetFaults(azsim.FaultProfile{Latency: 300 * time.Millisecond})
	r := w.startTTY(100, 24, "apply", "--auto-approve", w.manifest)
	r.waitFor("app.myGalleryApp: created")
	r.ctrlC()
	r.waitFor("Interrupt received: finishing ")
	r.ctrlC()
	r.waitFor("Second interrupt: cancelling")
	code, out := r.wait()
	if code != exitFailure {
		t.Fatalf("interrupted apply: exit %d, want 1\n%s", code, out)
	}
	lines := applySection(t, screenLines(t, out, 100, 24), "Apply interrupted: ")
	checkScreen(t, lines, 100, "Interrupt received: finishing ", "Second interrupt: cancelling")
}

// applySection is the part of the screen the live view drew: after the
// plan (its last "Plan: " line, or the top) down to and including the
// apply's summary line, which starts with summary. The plan before it and
// the blocked instructions after it are prose with URLs that may wrap and
// repeat by design.
func applySection(t *testing.T, lines []string, summary string) []string {
	t.Helper()
	start, end := 0, -1
	for i, l := range lines {
		if strings.HasPrefix(l, "Plan: ") {
			start = i + 1
		}
		if strings.HasPrefix(l, summary) {
			end = i + 1
		}
	}
	if end < 0 || end < start {
		t.Fatalf("no summary line %q after the plan:\n%s", summary, strings.Join(lines, "\n"))
	}
	// The summary's own paragraph (its wrapped lines, where the secret
	// went) belongs to it; the blocked instructions after the blank line
	// are prose with URLs.
	for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
		end++
	}
	return lines[start:end]
}

// TestApplyInterruptedWhilePlanning: Ctrl-C while apply MANIFEST is still
// reading Azure says that nothing was changed, not "context canceled".
func TestApplyInterruptedWhilePlanning(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real process on a pseudo-terminal")
	}
	w := newCLIWorld(t, "quickstart")
	w.sim.SetFaults(azsim.FaultProfile{Latency: time.Second})
	before := w.sim.Stats().Total
	r := w.startTTY(100, 24, "apply", "--auto-approve", w.manifest)
	// Refresh has begun once the simulator has seen a request from it.
	deadline := time.Now().Add(60 * time.Second)
	for w.sim.Stats().Total == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r.ctrlC()
	code, out := r.wait()
	if code != exitFailure {
		t.Fatalf("apply interrupted while planning: exit %d, want 1\n%s", code, out)
	}
	text := string(out)
	if !strings.Contains(text, "plan interrupted, nothing was changed") || strings.Contains(text, "context canceled") {
		t.Errorf("interrupt while planning:\n%s", text)
	}
	if s := w.sim.Stats(); s.Writes != 0 {
		t.Errorf("%d writes reached Azure", s.Writes)
	}
}

// TestPlanShowsRefreshProgress: at high latency, plan on a terminal says
// what it is reading while it reads, and leaves no trace of it on screen
// once the plan is printed.
func TestPlanShowsRefreshProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real process on a pseudo-terminal")
	}
	w := newCLIWorld(t, "partner-msp")
	w.sim.SetFaults(azsim.FaultProfile{Latency: 400 * time.Millisecond})
	r := w.startTTY(100, 24, "plan", w.manifest)
	r.waitFor("reading Azure: ")
	r.waitFor(" read · ")
	code, out := r.wait()
	if code != exitBlocked {
		t.Fatalf("plan: exit %d, want 3\n%s", code, out)
	}
	lines := screenLines(t, out, 100, 24)
	for _, l := range lines {
		if strings.Contains(l, "reading Azure") {
			t.Errorf("the progress line stayed on screen: %q", l)
		}
	}
}
