package state

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// helperEnv selects a helper mode when the test binary re-executes itself
// as a second galshare-like process (the os.Args[0] pattern).
const helperEnv = "GALSHARE_STATE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Getenv("GALSHARE_STATE_TEST_PATH")))
	}
	os.Exit(m.Run())
}

// runHelper is the body of the helper process.
//   - hold: take the lock, print "locked <id>", hold it until stdin closes.
//   - append:<prefix>:<n>: wait up to 20 s for the lock, add n resources.
func runHelper(mode, path string) int {
	ctx := context.Background()
	switch {
	case mode == "hold":
		h, err := Open(ctx, path, LockOptions{Operation: "apply", Who: "helper"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("locked %s\n", h.Lock().ID)
		io.Copy(io.Discard, os.Stdin)
		if err := h.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case strings.HasPrefix(mode, "append:"):
		var prefix string
		var n int
		if _, err := fmt.Sscanf(strings.ReplaceAll(mode, ":", " "), "append %s %d", &prefix, &n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		h, err := Open(ctx, path, LockOptions{Operation: "apply", Who: prefix, Timeout: 20 * time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer h.Close()
		for i := range n {
			if err := h.Update(ctx, put(appResource(fmt.Sprintf("app.%s%d", prefix, i)))); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			time.Sleep(5 * time.Millisecond) // give the other process a chance to contend
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

// helperCmd builds a re-exec of the test binary in the given mode.
func helperCmd(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "GALSHARE_STATE_TEST_PATH="+path)
	return cmd
}

// startHolder starts a helper process that holds the lock on path and
// returns it with its lock id and the pipe that releases it when closed.
func startHolder(t *testing.T, path string) (*exec.Cmd, string, io.WriteCloser) {
	t.Helper()
	cmd := helperCmd(t, "hold", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	id, ok := strings.CutPrefix(strings.TrimSpace(line), "locked ")
	if err != nil || !ok {
		t.Fatalf("helper did not lock: %q %v; stderr: %s", line, err, stderr.String())
	}
	return cmd, id, stdin
}
