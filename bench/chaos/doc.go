// Command chaos is galshare's reliability harness (issue 7): it runs N seeded full lifecycles — apply → plan →
// rotate → destroy — of the example manifests with the real galshare binary against an in-process simulator that
// injects faults (latency jitter, 5xx, 429 with Retry-After, dropped connections, replication lag), SIGKILLs some
// runs at random points and resumes them, and after every phase checks Azure-side truth straight from the
// simulator: every desired object exists exactly once, nothing galshare created survives destroy, every password
// has a delivered copy, the state file matches reality, and no secret appears in any byte galshare wrote.
//
//	go run ./bench/chaos [--runs 100] [--seed 1] [--profile default] [--jobs 3] [--kill-rate 0.3]
//
// It prints one line per run (with -v), one line per profile, and ends with
//
//	runs=N converged=N duplicates=0 orphans=0 leaked_secrets=0 state_mismatches=0
//
// and exits 1 unless every run converged with all counters at zero. A short seeded mode (--runs 3) runs inside
// `go test ./bench/chaos`.
//
// The harness is a benchmark-style tool, not a library: there is no API-compatibility promise for anything in it.
package main
