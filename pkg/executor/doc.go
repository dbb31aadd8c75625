// Package executor turns a reviewed galshare plan into the real thing.
//
// It owns these layers, each in its own files:
//
//   - walk.go: a generic concurrent walker over a dependency graph. A node
//     starts as soon as every dependency succeeded, at most Parallelism nodes
//     run at once, a node whose dependency failed, was blocked or was skipped
//     is itself skipped (only root causes are reported), and independent
//     branches go on. A graceful stop starts nothing new but lets in-flight
//     nodes finish; cancelling the context aborts in-flight calls.
//   - retry.go, classify.go: retry of errors Azure is known to heal by itself
//     (consistency lag, throttling, transient failures) with jittered
//     exponential backoff, honouring Retry-After, up to a per-action deadline.
//   - executor.go, act_*.go: the actions (app, password, service principal,
//     role assignment, wait), which apply one planned change through
//     pkg/azure and record the result in pkg/state as it lands, with a
//     journal entry written before every write call (record.go). Entra
//     creates wait until reads see the new object (visible.go), so the next
//     plan does not see it as missing.
//   - sink.go, deliver.go: the only place a secret value is written — the
//     sink the plan's Delivery names: a file (0600, atomic) or a new Key
//     Vault secret version — before the state write; act_password.go removes
//     a password whose delivery failed and settles passwords an interrupted
//     run left behind (by the keyId the sink holds).
//   - stale.go: re-reading fingerprinted objects to refuse a stale plan.
//   - events.go, report.go: progress events (the `apply --json` stream) and
//     the summary with root-cause failures, fixes and blocked actions.
//
// The verify*.go files (galshare verify) are owned by another part of the
// project and only share the package.
//
// The executor walks the plan's graph, never the manifest.
//
// This package is internal to the galshare command; there is no API
// compatibility promise for outside importers.
package executor
