// Package executor turns a reviewed galshare plan into the real thing.
//
// It owns three layers, each in its own files:
//
//   - walk.go: a generic concurrent walker over a dependency graph. A node
//     starts as soon as every dependency succeeded, at most Parallelism nodes
//     run at once, a node whose dependency failed, was blocked or was skipped
//     is itself skipped (only root causes are reported), and independent
//     branches go on. A graceful stop starts nothing new but lets in-flight
//     nodes finish; cancelling the context aborts in-flight calls.
//   - retry.go: retry of errors Azure is known to heal by itself (consistency
//     lag, throttling, transient failures) with jittered exponential backoff,
//     honouring Retry-After, up to a per-action deadline.
//   - the actions (app, password, service principal, role assignment, wait),
//     which apply one planned change through pkg/azure and record the result
//     in pkg/state as it lands, with a journal entry written before every
//     write call.
//
// The executor walks the plan's graph, never the manifest.
//
// This package is internal to the galshare command; there is no API
// compatibility promise for outside importers.
package executor
