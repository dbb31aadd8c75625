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

func main() {
	// Ctrl-C cancels the context so that long-running commands (apply, sim)
	// can stop cleanly and flush what they have done.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	// A soft memory limit unless GOMEMLIMIT is set (memlimit.go says why).
	setMemoryLimit(os.Args[1:], os.LookupEnv)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
