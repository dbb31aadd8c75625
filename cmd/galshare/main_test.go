package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/galshare/galshare/pkg/spec"
)

// TestMain lets testscript run "galshare" in scripts: the test binary
// re-executes itself as the command, through the same run() main uses.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"galshare": func() { os.Exit(mainCode(os.Args[1:])) },
	})
}

// TestScripts runs testdata/script/*.txtar. $EXAMPLES points at the
// repository's examples/ and $SCHEMAS at schemas/, so scripts validate the
// shipped files rather than copies.
func TestScripts(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Cmds:                scriptCommands(),
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("GALSHARE_LOG", "")
			env.Setenv("NO_COLOR", "")
			return nil
		},
	})
}

func TestExitCodeOf(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		code      int
		wantPrint bool
	}{
		{"success", nil, exitOK, false},
		{"plain error", boom, exitFailure, true},
		{"silent failure", withExitCode(exitFailure, nil), exitFailure, false},
		{"changes present", withExitCode(exitChanges, nil), exitChanges, false},
		{"blocked with message", withExitCode(exitBlocked, boom), exitBlocked, true},
		{"wrapped", fmt.Errorf("ctx: %w", withExitCode(exitBlocked, nil)), exitBlocked, false},
	}
	for _, tt := range tests {
		code, print := exitCodeOf(tt.err)
		if code != tt.code || print != tt.wantPrint {
			t.Errorf("%s: exitCodeOf = %d, %v; want %d, %v", tt.name, code, print, tt.code, tt.wantPrint)
		}
	}
}

// TestRunInProcess drives run() with buffers, the way other commands' tests can.
func TestRunInProcess(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"validate", filepath.Join("..", "..", "examples", "quickstart.yaml")},
		strings.NewReader(""), &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "valid") || stderr.Len() != 0 {
		t.Fatalf("run = %d\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
	}
	stdout.Reset()
	code = run(context.Background(), []string{"no-such-command"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), "galshare: error: unknown command") {
		t.Fatalf("run = %d, stderr %q", code, &stderr)
	}
}

// TestRunCancelled: a cancelled context (Ctrl-C) stops validate with exit 1.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"validate", filepath.Join("..", "..", "examples", "quickstart.yaml")}, strings.NewReader(""), &stdout, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("run = %d, stderr %q; want 1 and 'interrupted'", code, &stderr)
	}
}

// TestEveryCommandHasExample enforces that --help shows an example on every
// command, including commands other files register in root.go.
func TestEveryCommandHasExample(t *testing.T) {
	a := newApp(strings.NewReader(""), io.Discard, io.Discard, nil)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" {
			t.Errorf("%q has no Example for --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(a))
}

// TestDiagnosticsColor: colour only when asked, and only on the severity word.
func TestDiagnosticsColor(t *testing.T) {
	ds := spec.Diagnostics{
		{Severity: spec.SeverityError, Code: "x", Summary: "bad", File: "m.yaml", Line: 1, Col: 2},
		{Severity: spec.SeverityWarning, Code: "y", Summary: "meh", File: "m.yaml", Line: 3, Col: 4},
	}
	var plain, color bytes.Buffer
	writeDiagnosticsText(&plain, ds, false)
	writeDiagnosticsText(&color, ds, true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("plain output has ANSI codes: %q", plain.String())
	}
	for _, want := range []string{"m.yaml:1:2: \x1b[1;31merror\x1b[0m: bad", "m.yaml:3:4: \x1b[1;33mwarning\x1b[0m: meh"} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("coloured output %q lacks %q", color.String(), want)
		}
	}
}
