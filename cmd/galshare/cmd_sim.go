package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/spf13/cobra"
)

// newSimCmd is `galshare sim`, the local Azure simulator that tests, the demo and benchmarks run against.
func newSimCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a local simulator of Entra ID, Microsoft Graph and Azure Resource Manager",
		Long: `galshare sim runs a faithful local stand-in for the slice of Azure galshare uses: Entra ID
sign-in and consent, Microsoft Graph (applications, secrets, service principals) and ARM
(role assignments with RBAC enforced, Compute Galleries) on one HTTPS listener with its own CA.`,
		Example: `  galshare sim serve --addr 127.0.0.1:8443 --dir .galshare-sim --seed examples/sim/quickstart.yaml`,
	}
	cmd.AddCommand(newSimServeCmd(a))
	return cmd
}

// simServeOptions are the flags of `galshare sim serve`.
type simServeOptions struct {
	addr   string
	dir    string
	seed   string
	faults string
	lag    time.Duration
}

func newSimServeCmd(a *app) *cobra.Command {
	var o simServeOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulator until interrupted, persisting its world in --dir",
		Long: `Serve the simulator on --addr until Ctrl-C. The world (tenants, apps, secrets, role
assignments, galleries) persists in DIR/world.json, and the CA and signing key in DIR, so a
restart serves the same world and clients keep trusting it. --seed initialises a fresh DIR
only; an existing world.json wins.

When ready it writes DIR/cloud.json (mode 0600): the endpoints, the CA certificate and the
seeded operator credentials per tenant, which galshare reads to talk to the simulator.

Admin endpoints (loopback only, no token): GET /_sim/health, GET|PUT /_sim/faults,
GET|DELETE /_sim/stats, GET /_sim/world.

--faults takes a comma-separated list: latency=20ms, jitter=10ms, 429=0.05, 5xx=0.05,
reset=0.01, lag=2s, seed=N, retry-after=1s, and per-route rules such as
"route=PUT roleAssignments:429=0.2".`,
		Example: `  # The world of examples/quickstart.yaml on a fixed port
  galshare sim serve --addr 127.0.0.1:8443 --dir .galshare-sim --seed examples/sim/quickstart.yaml

  # With Entra replication lag and some throttling
  galshare sim serve --dir .galshare-sim --seed quickstart --faults 'latency=20ms,429=0.05,lag=2s'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSimServe(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:0", "listen `HOST:PORT` (port 0 picks a free port)")
	f.StringVar(&o.dir, "dir", "", "persistence `DIR` for world.json, the CA and cloud.json (required)")
	f.StringVar(&o.seed, "seed", "", "seed `FILE` for a fresh directory, or an example name such as quickstart")
	f.StringVar(&o.faults, "faults", "", "faults to inject (`SPEC`), e.g. 'latency=20ms,429=0.05,5xx=0.05,reset=0.01,lag=2s'")
	f.DurationVar(&o.lag, "lag", 0, "Entra replication lag (`DURATION`) for new apps, service principals and secrets")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// resolveSeed accepts a path or the name of an example seed (quickstart → examples/sim/quickstart.yaml).
func resolveSeed(seed string) (string, error) {
	if seed == "" {
		return "", nil
	}
	if _, err := os.Stat(seed); err == nil {
		return seed, nil
	}
	if !strings.ContainsAny(seed, `/\`) && filepath.Ext(seed) == "" {
		p := filepath.Join("examples", "sim", seed+".yaml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("seed %q: no such file (give a path or an example name such as quickstart)", seed)
}

func runSimServe(ctx context.Context, a *app, o simServeOptions) error {
	profile, err := azsim.ParseFaults(o.faults)
	if err != nil {
		return err
	}
	seed, err := resolveSeed(o.seed)
	if err != nil {
		return err
	}
	if seed != "" {
		if _, err := os.Stat(filepath.Join(o.dir, "world.json")); err == nil {
			a.log.Warn("the directory already holds a world; --seed is ignored", "dir", o.dir, "seed", seed)
		}
	}
	// Stop on Ctrl-C or SIGTERM even when the caller's context does not listen for signals.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	sim, err := azsim.Start(ctx, azsim.Options{
		SeedFile: seed, Dir: o.dir, Addr: o.addr, Lag: o.lag, Faults: profile, Logger: a.log.Named("sim"),
	})
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	cloudPath := filepath.Join(o.dir, "cloud.json")
	if err := sim.WriteCloudFile(cloudPath); err != nil {
		_ = sim.Close(context.Background())
		return fmt.Errorf("write cloud file: %w", err)
	}
	abs, _ := filepath.Abs(cloudPath)
	fmt.Fprintf(a.stdout, "galshare simulator listening on %s\n", sim.URL())
	fmt.Fprintf(a.stdout, "cloud file: %s\n", abs)
	fmt.Fprintf(a.stdout, "tenants: %d, operator credentials: %d (in the cloud file)\n", len(sim.TenantIDs()), len(sim.Credentials()))
	for _, u := range sim.VaultURLs() {
		fmt.Fprintf(a.stdout, "vault: %s (Key Vault secrets)\n", u)
	}
	if p := sim.Faults(); p.String() != "" {
		fmt.Fprintf(a.stdout, "faults: %s\n", p.String())
	}
	fmt.Fprintln(a.stdout, "press Ctrl-C to stop")

	<-ctx.Done()
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sim.Close(closeCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop simulator: %w", err)
	}
	fmt.Fprintln(a.stdout, "galshare simulator stopped; world saved in", o.dir)
	return nil
}
