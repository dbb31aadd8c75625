package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockContentionGoroutines(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()

	_, err := Open(ctx, p, LockOptions{Operation: "destroy"})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Open = %v, want *LockedError", err)
	}
	if le.Info == nil || le.Info.ID != h.Lock().ID || le.Info.Who != "tester" || le.Info.Operation != "apply" ||
		le.Info.PID != os.Getpid() || le.HolderGone {
		t.Fatalf("LockedError does not describe the holder: %+v info=%+v", le, le.Info)
	}
	for _, w := range []string{"locked by tester", `operation "apply"`, "galshare state unlock --state " + p + " " + h.Lock().ID} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}

	// A waiter with a timeout gets the lock once the holder closes.
	var wg sync.WaitGroup
	var h2 *Handle
	var err2 error
	var waited time.Duration
	wg.Go(func() {
		start := time.Now()
		h2, err2 = Open(ctx, p, LockOptions{Operation: "apply", Timeout: 5 * time.Second})
		waited = time.Since(start)
	})
	time.Sleep(200 * time.Millisecond)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err2 != nil {
		t.Fatalf("waiting Open: %v", err2)
	}
	defer h2.Close()
	if waited < 150*time.Millisecond || waited > 3*time.Second {
		t.Fatalf("waiter took %v, want about 200ms", waited)
	}
}

// TestConcurrentOpensExactlyOneWins races several goroutines for the lock
// with no timeout: exactly one must get it.
func TestConcurrentOpensExactlyOneWins(t *testing.T) {
	p := filepath.Join(t.TempDir(), DefaultPath)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []*Handle
	locked := 0
	for range n {
		wg.Go(func() {
			h, err := Open(context.Background(), p, LockOptions{Operation: "apply"})
			mu.Lock()
			defer mu.Unlock()
			var le *LockedError
			switch {
			case err == nil:
				winners = append(winners, h)
			case errors.As(err, &le):
				locked++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	for _, h := range winners {
		h.Close()
	}
	if len(winners) != 1 || locked != n-1 {
		t.Fatalf("%d winners and %d locked out, want 1 and %d", len(winners), locked, n-1)
	}
}

func TestLockTimeoutWaitsThenFails(t *testing.T) {
	_, p := openTemp(t)
	start := time.Now()
	_, err := Open(t.Context(), p, LockOptions{Operation: "apply", Timeout: 400 * time.Millisecond})
	elapsed := time.Since(start)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Open = %v, want *LockedError", err)
	}
	if elapsed < 400*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("gave up after %v, want about 400ms", elapsed)
	}
	if le.Waited < 400*time.Millisecond || !strings.Contains(err.Error(), "waited") {
		t.Fatalf("Waited = %v, error %q", le.Waited, err)
	}
}

func TestLockWaitHonoursContext(t *testing.T) {
	_, p := openTemp(t)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Open(ctx, p, LockOptions{Timeout: time.Minute})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open = %v, want LockedError wrapping DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("context cancellation did not end the wait")
	}
}

// TestLockTwoProcesses: a second process holds the lock; this one is
// refused with the holder's pid, then gets the lock once it exits.
func TestLockTwoProcesses(t *testing.T) {
	p := filepath.Join(t.TempDir(), DefaultPath)
	cmd, id, release := startHolder(t, p)

	_, err := Open(t.Context(), p, LockOptions{Operation: "plan"})
	var le *LockedError
	if !errors.As(err, &le) || le.Info == nil {
		t.Fatalf("Open = %v, want *LockedError with info", err)
	}
	if le.Info.ID != id || le.Info.PID != cmd.Process.Pid || le.Info.Who != "helper" || le.HolderGone {
		t.Fatalf("lock info %+v gone=%v, want helper pid %d id %s alive", le.Info, le.HolderGone, cmd.Process.Pid, id)
	}
	release.Close()
	h, err := Open(t.Context(), p, LockOptions{Operation: "plan", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Open after holder exit: %v", err)
	}
	h.Close()
}

// TestStaleLockFromKilledProcess SIGKILLs a holder: its lock stays, is
// reported with owner, age and "no longer runs", and Unlock breaks it only
// with the right id.
func TestStaleLockFromKilledProcess(t *testing.T) {
	p := filepath.Join(t.TempDir(), DefaultPath)
	cmd, id, _ := startHolder(t, p)
	if runtime.GOOS == "windows" {
		t.Skip("liveness of a pid is not checked on Windows")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	cmd.Wait()
	time.Sleep(20 * time.Millisecond)

	_, err := Open(t.Context(), p, LockOptions{Operation: "apply", Timeout: 100 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || le.Info == nil {
		t.Fatalf("Open = %v, want *LockedError", err)
	}
	if !le.HolderGone || le.Age <= 0 || le.Info.ID != id {
		t.Fatalf("stale lock not recognised: gone=%v age=%v info=%+v", le.HolderGone, le.Age, le.Info)
	}
	for _, w := range []string{"no longer runs", "ago", "locked by helper", id} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}

	if err := Unlock(p, "wrong-id"); !errors.Is(err, ErrLockMismatch) {
		t.Fatalf("Unlock(wrong) = %v, want ErrLockMismatch", err)
	}
	if info, _ := ReadLock(p); info == nil || info.ID != id {
		t.Fatal("a wrong id broke the lock")
	}
	if err := Unlock(p, id); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := Unlock(p, id); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("second Unlock = %v, want ErrNotLocked", err)
	}
	h, err := Open(t.Context(), p, LockOptions{Operation: "apply"})
	if err != nil {
		t.Fatalf("Open after unlock: %v", err)
	}
	h.Close()
}

// TestTwoProcessesUpdateInTurn runs two writer processes at once: the lock
// makes them take turns, so every resource from both lands and the serial
// counts every write.
func TestTwoProcessesUpdateInTurn(t *testing.T) {
	p := filepath.Join(t.TempDir(), DefaultPath)
	const n = 5
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for _, who := range []string{"a", "b"} {
		cmd := helperCmd(t, fmt.Sprintf("append:%s:%d", who, n), p)
		out := new(strings.Builder)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v: %s", i, err, outs[i])
		}
	}
	s, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Resources) != 2*n || s.Serial != 2*n {
		t.Fatalf("resources=%d serial=%d, want %d and %d", len(s.Resources), s.Serial, 2*n, 2*n)
	}
	if info, _ := ReadLock(p); info != nil {
		t.Fatalf("lock left behind: %+v", info)
	}
}

func TestUnreadableLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), DefaultPath)
	if err := os.WriteFile(p+lockSuffix, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), p, LockOptions{})
	var le *LockedError
	if !errors.As(err, &le) || le.Info != nil || !strings.Contains(err.Error(), "unreadable") {
		t.Fatalf("Open = %v, want LockedError for unreadable lock", err)
	}
}
