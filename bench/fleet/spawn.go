package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Measuring a child's peak RSS from a big parent is wrong on Linux: Go starts children with CLONE_VM (vfork
// style), and at exec the kernel folds the high-water mark of the mm the child leaves — the parent's — into the
// child's ru_maxrss. A child of a 200 MB process reports at least 200 MB. So galshare is started through a small
// spawner: this same binary re-executed with spawnEnv set. The spawner's own memory is a fresh Go runtime (a few
// MB), which becomes the floor of what galshare can report; it runs galshare once and writes the measured usage to
// the file named by spawnEnv.

// spawnEnv names the result file; its presence makes the process a spawner.
const spawnEnv = "GALSHARE_FLEET_SPAWN_RESULT"

// spawnResult is what the spawner measured of its one child.
type spawnResult struct {
	WallNS   int64 `json:"wallNs"`
	CPUNS    int64 `json:"cpuNs"`
	MaxRSSKB int64 `json:"maxRssKb"`
	ExitCode int   `json:"exitCode"`
}

// spawnMain runs args (program and arguments) with the spawner's stdio and environment, and records its usage in
// resultPath. It returns the process exit code of the spawner itself (0 when it measured something).
func spawnMain(resultPath string, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "fleet spawner: no command")
		return 1
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintln(os.Stderr, "fleet spawner:", err)
		return 1
	}
	ps := cmd.ProcessState
	r := spawnResult{WallNS: int64(wall), CPUNS: int64(ps.UserTime() + ps.SystemTime()), ExitCode: ps.ExitCode()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSKB = ru.Maxrss // kilobytes on Linux
	}
	data, _ := json.Marshal(r)
	if err := os.WriteFile(resultPath, data, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "fleet spawner:", err)
		return 1
	}
	return 0
}

// readSpawnResult reads what the spawner recorded.
func readSpawnResult(path string) (spawnResult, error) {
	var r spawnResult
	data, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("spawner result: %w", err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("spawner result %s: %w", path, err)
	}
	return r, nil
}
