package main

import (
	"runtime/debug"
	"strings"
)

// defaultMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
// galshare runs with when GOMEMLIMIT is not set in the environment.
//
// Why: a plan's live heap is about 15 KB per tenant (the official SDK's
// credential with its MSAL token cache, the bearer policies, the snapshot),
// 150–170 MB at 10,000 consumer tenants, and with the default GOGC=100 the
// heap grows to twice the live heap before each collection, so most of the
// peak RSS is garbage (400 MB at 10,000 consumers without a limit, 285 MB
// with this one, for about 1–2 s more CPU; bench/fleet --scale). The limit
// makes the collector run earlier only once the whole Go heap nears it: a
// fleet of a few thousand tenants never gets there. From about 12,000
// tenants the live heap itself nears the limit and collections get frequent
// (the runtime caps their CPU share, so the plan slows down, it does not
// fail): give such fleets GOMEMLIMIT, about 24 KiB per tenant. GOMEMLIMIT in
// the environment (a size such as 1GiB, or "off") replaces this default, as
// the Go runtime has already applied it at start.
const defaultMemoryLimit = 224 << 20

// unlimitedCommand reports whether cmd runs without the default limit: the
// simulator holds a whole simulated fleet (its memory is the fixture's, not
// galshare's, and a 10,000-tenant world is larger than the limit).
func unlimitedCommand(cmd string) bool { return cmd == "sim" }

// commandOf is the name of the subcommand args run: the first argument that
// is neither a flag nor the value of a global flag given separately.
func commandOf(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case a == "--log-level":
			i++ // its value follows
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}

// envMemoryLimit is the Go runtime's own environment variable.
const envMemoryLimit = "GOMEMLIMIT"

// setMemoryLimit applies defaultMemoryLimit for the command args run,
// unless lookup finds GOMEMLIMIT (which the runtime has already applied) or
// unlimitedCommand says so. It returns the limit it set (0:
// none).
func setMemoryLimit(args []string, lookup func(string) (string, bool)) int64 {
	if _, ok := lookup(envMemoryLimit); ok || unlimitedCommand(commandOf(args)) {
		return 0
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	return defaultMemoryLimit
}
