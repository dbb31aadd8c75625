// Command galshare shares Azure Compute Galleries across Microsoft Entra
// tenants from a reviewed YAML manifest (validate → plan → apply → state).
//
// main stays tiny so that tests can run the whole CLI in-process through
// run (see main_test.go and testdata/script).
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() { os.Exit(mainCode(os.Args[1:])) }

// mainCode is the process around run: Ctrl-C cancels the context so that
// long-running commands (apply, sim) can stop cleanly and flush what they
// have done, and a soft memory limit applies unless GOMEMLIMIT is set
// (memlimit.go says why). Tests re-execute the test binary as galshare
// through it too, so subprocess tests see the real signal handling.
func mainCode(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	setMemoryLimit(args, os.LookupEnv)
	return run(ctx, args, os.Stdin, os.Stdout, os.Stderr)
}
