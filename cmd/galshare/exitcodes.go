package main

import (
	"errors"
	"fmt"
)

// Exit codes shared by every galshare command. They are documented in the
// README ("Exit codes") and are part of the CLI contract that CI pipelines
// branch on, so they never change meaning.
const (
	// exitOK means success; for plan-like commands also "no changes".
	exitOK = 0
	// exitFailure means an error: invalid input, a failed call, a usage error.
	exitFailure = 1
	// exitChanges means the command succeeded and changes are pending
	// (only with --detailed-exitcode).
	exitChanges = 2
	// exitBlocked means progress needs a human action (admin consent or a
	// role grant in a tenant galshare has no credentials for).
	exitBlocked = 3
)

// exitCodesHelp documents the exit codes in `galshare --help`.
func exitCodesHelp() string {
	return fmt.Sprintf(`Exit codes (all commands):
  %d  success; for plan-like commands, no changes
  %d  error: invalid manifest, failed call, usage error
  %d  changes present (only with --detailed-exitcode)
  %d  blocked: a human must act (consent or a role grant in a manual tenant)`,
		exitOK, exitFailure, exitChanges, exitBlocked)
}

// exitError lets a command choose the process exit code. With a nil err the
// command has already reported everything it wants to (diagnostics, a plan)
// and run prints nothing more; with a non-nil err run prints it.
type exitError struct {
	code int
	err  error
}

// withExitCode wraps err (which may be nil) so that run exits with code.
func withExitCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCodeOf maps an error returned by a command to an exit code and says
// whether the error still needs printing.
func exitCodeOf(err error) (code int, print bool) {
	if err == nil {
		return exitOK, false
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.err != nil
	}
	return exitFailure, true
}
