package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// invocation is one run of the galshare binary.
type invocation struct {
	code   int
	killed bool
	stdout []byte
	stderr []byte
}

// maxInvocation bounds one galshare run; a hang is a failure, not a wait forever.
const maxInvocation = 4 * time.Minute

// galshare runs the binary in the run's work directory with the run's environment plus extra, capturing stdout and
// stderr into the run's output directory (they are leak-scanned at the end). killAfter > 0 SIGKILLs the process
// after that long, as a crash or an OOM kill would.
func (l *lifecycle) galshare(ctx context.Context, label string, extra []string, killAfter time.Duration, args ...string) (invocation, error) {
	l.n++
	ctx, cancel := context.WithTimeout(ctx, maxInvocation)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.h.bin, args...)
	cmd.Dir = l.work
	cmd.Env = append(append(baseEnv(), l.env...), extra...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		return invocation{}, fmt.Errorf("start galshare: %w", err)
	}
	if killAfter > 0 {
		t := time.AfterFunc(killAfter, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		defer t.Stop()
	}
	err := cmd.Wait()
	inv := invocation{stdout: []byte(so.String()), stderr: []byte(se.String())}
	name := fmt.Sprintf("%02d-%s", l.n, label)
	_ = os.WriteFile(filepath.Join(l.outDir, name+".stdout"), inv.stdout, 0o600)
	_ = os.WriteFile(filepath.Join(l.outDir, name+".stderr"), inv.stderr, 0o600)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return inv, fmt.Errorf("galshare %s did not finish within %s", strings.Join(args, " "), maxInvocation)
	}
	if ctx.Err() != nil {
		return inv, fmt.Errorf("galshare %s: %w", strings.Join(args, " "), ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		inv.code = 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			inv.killed = true
			inv.code = -1
		} else {
			inv.code = ee.ExitCode()
		}
	default:
		return inv, fmt.Errorf("galshare %s: %w", strings.Join(args, " "), err)
	}
	return inv, nil
}

// baseEnv is the harness's environment without any GALSHARE_ variable, so a developer's settings cannot leak in.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GALSHARE_") && !strings.HasPrefix(kv, "AZURE_") {
			out = append(out, kv)
		}
	}
	return out
}

// breakStaleLock runs `galshare state unlock ID` when a lock file is left behind (by a SIGKILLed run), as an
// operator would after reading the "locked … that process no longer runs" error. It reports whether it did.
func (l *lifecycle) breakStaleLock(ctx context.Context) (bool, error) {
	b, err := os.ReadFile(l.statePath + ".lock")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var info struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &info); err != nil || info.ID == "" {
		return false, fmt.Errorf("lock file %s is not readable JSON with an id: %v", l.statePath+".lock", err)
	}
	inv, err := l.galshare(ctx, "unlock", nil, 0, "state", "unlock", "--state", l.statePath, info.ID)
	if err != nil {
		return false, err
	}
	if inv.code != 0 {
		return false, fmt.Errorf("state unlock %s exited %d: %s", info.ID, inv.code, firstLine(inv.stderr))
	}
	return true, nil
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
