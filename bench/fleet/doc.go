// Command fleet is galshare's fleet benchmark (issue 8): it measures how close plan and apply come to the
// limits Azure sets — API calls against the minimum the work needs, wall time against a lower bound from those
// calls, the dependency depth, the latency and the parallelism — and galshare's own CPU time and peak RSS.
//
//	go run ./bench/fleet                                  # 200 consumers × 2 grants, 3 galleries, 50ms, parallelism 10
//	go run ./bench/fleet --faults 429=0.05                # the same with 5% of calls refused at random (429)
//	go run ./bench/fleet --faults throttle=100,burst=50   # a token bucket: galshare's adaptive limit at work
//	go run ./bench/fleet --scale 10000 --scale-steps 4    # plan only, zero latency: CPU, peak RSS, render times
//	go run ./bench/fleet --short                          # a few consumers (what CI runs, through go test)
//
// It generates a manifest and a matching simulator seed in a work directory, builds the real galshare binary,
// starts `galshare sim serve` as a separate process, and runs first plan, first apply, no-op plan, apply after
// changing 10% of the consumers, and a final no-op plan, each as its own galshare process. API calls come from
// the simulator's /_sim/stats; CPU and peak RSS from the kernel's accounting of the galshare process (started
// through a small spawner, see spawn.go). The minimum calls and the bounds are computed from the generated world
// alone (bounds.go, README.md). The output is a table and one final line:
//
//	calls_ratio=… plan_ratio=… apply_ratio=… noop_writes=0
//
// It is a command, not a library: there is no API-compatibility promise for anything in this directory.
package main
