package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFIFOInputsAreRefused gives a FIFO (with no writer) wherever galshare
// reads a file: opening one blocks until something writes to it, which hung
// apply forever with the state lock held. Each is refused at once, naming
// the file.
func TestFIFOInputsAreRefused(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	fifo := filepath.Join(w.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	planFile := filepath.Join(w.dir, "plan.json")
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"apply plan file", []string{"apply", "--cloud", w.cloud, "--state", w.statePath, fifo}, "not a regular file"},
		{"show plan file", []string{"show", fifo}, "named pipe (FIFO)"},
		{"plan --state", []string{"plan", "--cloud", w.cloud, "--state", fifo, w.manifest}, "not a regular file"},
		{"apply --state", []string{"apply", "--cloud", w.cloud, "--state", fifo, planFile}, "not a regular file"},
		{"state list --state", []string{"state", "list", "--state", fifo}, "not a regular file"},
		{"plan --cloud", []string{"plan", "--cloud", fifo, "--state", w.statePath, w.manifest}, "cloud file " + fifo + " is a named pipe (FIFO)"},
		{"apply --cloud", []string{"apply", "--cloud", fifo, "--state", w.statePath, planFile}, "cloud file " + fifo + " is a named pipe (FIFO)"},
		{"plan --credentials", []string{"plan", "--cloud", w.cloud, "--credentials", fifo, "--state", w.statePath, w.manifest}, "credentials file " + fifo + " is a named pipe (FIFO)"},
		{"verify --secret-file", []string{"verify", "--cloud", w.cloud, "--secret-file", fifo, w.manifest}, "secret file " + fifo + " is a named pipe (FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
			if code == exitOK || !strings.Contains(stderr.String()+stdout.String(), tt.want) {
				t.Errorf("exit %d, want a failure naming %q\nstdout:\n%s\nstderr:\n%s", code, tt.want, &stdout, &stderr)
			}
			// Nothing holds the state lock afterwards.
			if _, err := os.Stat(w.statePath + ".lock"); err == nil {
				t.Errorf("the state lock is left behind")
			}
		})
	}
}
