package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/galshare/galshare/examples"
	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// demoFlags are demo's flags.
type demoFlags struct {
	keep   string
	noWait bool
}

func newDemoCmd(a *app) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole workflow on a local simulator: no Azure account needed",
		Long: `demo shows galshare end to end without an Azure account or a network.

It starts the built-in Azure simulator (Entra ID, Microsoft Graph and ARM on
one local HTTPS server) seeded with the world of examples/quickstart.yaml, the
documented procedure: tenant 1 publishes the gallery myGallery, tenant 2
consumes it. Then it runs the real commands, in-process, in a temporary
directory:

  1. galshare validate   check the manifest offline
  2. galshare plan       read Azure and show what apply would do
  3. galshare apply      create the app, its secret, the service principals
                         and role assignments; wait for the image version
  4. galshare verify     sign in as the app and use the share as a consumer
  5. galshare plan       again: no changes, and no write calls

Then it adds a consumer whose own administrator acts (access: manual):
apply does its part and stops with exit 3, printing the consent URL and
the role grant; the demo plays that administrator in the simulator; apply
then records what the administrator made, and verify passes in all three
tenants. It ends with how to point galshare at real Azure, and sums up what it made and how many API calls it took. Everything made in
the simulator, the state file and the delivered secret live in the temporary
directory, which is removed at the end unless --keep DIR is given (it is
also kept when a step fails). With --keep, "galshare sim serve --dir DIR/sim"
serves the same world again afterwards.`,
		Example: `  go run ./cmd/galshare demo
  galshare demo --keep ./demo      # keep manifest, state, secret and simulator world
  galshare demo --no-wait          # image version already replicated: no wait step`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), a, &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.keep, "keep", "", "work in `DIR` and keep it (manifest, cloud file, state, secret, simulator world)")
	fs.BoolVar(&f.noWait, "no-wait", false, "start with the image version fully replicated, so apply does not wait for it")
	return cmd
}

// demoStep is one CLI invocation of the demo, with the exit code it must give.
type demoStep struct {
	label string // short name in the summary
	title string
	args  []string
	want  int
}

// demoRun is the state of one demo: its directory, simulator and step figures.
type demoRun struct {
	a        *app
	dir      string
	manifest string
	cloud    string
	state    string
	planFile string
	sim      *azsim.Sim
	rows     []demoFigure
}

// demoFigure is what one step cost, from the simulator's call counters.
type demoFigure struct {
	title          string
	calls, writes  int64
	dur            time.Duration
	code, wantCode int
}

func runDemo(ctx context.Context, a *app, f *demoFlags) (err error) {
	start := time.Now()
	dir, cleanup, err := demoDir(f.keep)
	if err != nil {
		return err
	}
	d := &demoRun{a: a, dir: dir,
		manifest: filepath.Join(dir, "quickstart.yaml"),
		cloud:    filepath.Join(dir, "cloud.json"),
		state:    filepath.Join(dir, "galshare.state.json"),
		planFile: filepath.Join(dir, "plan.json"),
	}
	failed := true
	defer func() {
		if cleanup == nil {
			return
		}
		if failed {
			fmt.Fprintf(a.stdout, "\nThe demo directory is kept for inspection: %s\n", dir)
			return
		}
		if rerr := cleanup(); rerr != nil {
			a.log.Warn("removing the demo directory failed", "dir", dir, "error", rerr)
		}
	}()

	if err := d.start(ctx, f.noWait); err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if cerr := d.sim.Close(cctx); cerr != nil {
			a.log.Warn("stopping the simulator failed", "error", cerr)
		}
	}()

	steps := []demoStep{
		{"validate", "check the manifest offline", []string{"validate", d.manifest}, exitOK},
		{"plan", "read Azure (the simulator), show what apply would do, save the plan for review",
			d.azure("plan", "--out", d.planFile), exitOK},
		{"apply", "apply exactly the reviewed plan: app, secret, service principals, role grants, replication wait",
			[]string{"apply", "--cloud", d.cloud, "--state", d.state, "--wait-timeout", "2m", d.planFile}, exitOK},
		{"verify", "sign in as the app and use the share the way the consumer will", []string{"verify", "--cloud", d.cloud, d.manifest}, exitOK},
		{"plan again", "plan again: nothing left to do (exit 0 with --detailed-exitcode)", d.azure("plan", "--detailed-exitcode"), exitOK},
	}
	total := len(steps) + len(manualSteps(d))
	for i, s := range steps {
		if err := d.step(ctx, i+1, total, s); err != nil {
			return err
		}
	}
	if err := d.manualPart(ctx, len(steps), total); err != nil {
		return err
	}
	d.summary(time.Since(start), f.keep != "")
	failed = false
	return nil
}

// demoDir makes the working directory: DIR from --keep (kept), else a new
// temporary one, with the function that removes it.
func demoDir(keep string) (string, func() error, error) {
	if keep != "" {
		abs, err := filepath.Abs(keep)
		if err != nil {
			return "", nil, err
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return "", nil, fmt.Errorf("--keep: %w", err)
		}
		if ents, _ := os.ReadDir(abs); len(ents) > 0 {
			return "", nil, fmt.Errorf("--keep %s: the directory is not empty; give a new or empty one", keep)
		}
		return abs, nil, nil
	}
	dir, err := os.MkdirTemp("", "galshare-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("creating the demo directory: %w", err)
	}
	return dir, func() error { return os.RemoveAll(dir) }, nil
}

// start writes the embedded manifest, starts the simulator seeded with the
// embedded world (persisted under DIR/sim) and writes the cloud file the
// commands point --cloud at.
func (d *demoRun) start(ctx context.Context, noWait bool) error {
	if err := os.WriteFile(d.manifest, examples.QuickstartManifest(), 0o600); err != nil {
		return fmt.Errorf("writing the demo manifest: %w", err)
	}
	seed, err := azsim.ParseSeed(examples.QuickstartSeed())
	if err != nil {
		return fmt.Errorf("the embedded simulator world is invalid: %w", err)
	}
	addManualTenant(seed)
	sim, err := azsim.Start(ctx, azsim.Options{Seed: seed, Dir: filepath.Join(d.dir, "sim"), Logger: d.a.log.Named("sim")})
	if err != nil {
		return fmt.Errorf("starting the simulator: %w", err)
	}
	d.sim = sim
	if err := sim.WriteCloudFile(d.cloud); err != nil {
		return err
	}
	if noWait {
		if err := d.replicateNow(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.a.stdout, "galshare demo: the documented cross-tenant gallery sharing, end to end, on a local simulator.\n")
	fmt.Fprintf(d.a.stdout, "Simulator:  %s (Entra ID, Microsoft Graph and ARM; tenants %s)\n", sim.URL(), strings.Join(sim.TenantIDs(), ", "))
	fmt.Fprintf(d.a.stdout, "Directory:  %s\n", d.dir)
	fmt.Fprintf(d.a.stdout, "Manifest:   quickstart.yaml (examples/quickstart.yaml)\n")
	return nil
}

// replicateNow marks every image version the manifest waits for as fully
// replicated (--no-wait).
func (d *demoRun) replicateNow(ctx context.Context) error {
	m, _, err := spec.Load(ctx, d.manifest)
	if err != nil {
		return fmt.Errorf("the embedded manifest is invalid: %w", err)
	}
	for _, g := range m.Publisher.Galleries {
		for _, w := range g.WaitFor {
			id := g.ID + "/images/" + w.Image + "/versions/" + w.Version
			if err := d.sim.SetVersionReplication(id, "completed", 0); err != nil {
				return fmt.Errorf("--no-wait: %s: %w", id, err)
			}
		}
	}
	return nil
}

// azure is a command line for a command that talks to the simulator.
func (d *demoRun) azure(cmd string, flags ...string) []string {
	args := append([]string{cmd, "--cloud", d.cloud, "--state", d.state}, flags...)
	return append(args, d.manifest)
}

// step prints a banner, runs one CLI invocation through run (the same entry
// point as the binary) and checks its exit code.
func (d *demoRun) step(ctx context.Context, n, total int, s demoStep) error {
	w := d.a.stdout
	fmt.Fprintf(w, "\n==> Step %d/%d: galshare %s\n", n, total, d.display(s.args))
	fmt.Fprintf(w, "    %s\n\n", s.title)
	before := d.sim.Stats()
	t0 := time.Now()
	code := run(ctx, s.args, strings.NewReader(""), w, d.a.stderr)
	after := d.sim.Stats()
	d.rows = append(d.rows, demoFigure{title: s.label, calls: after.Total - before.Total, writes: after.Writes - before.Writes,
		dur: time.Since(t0), code: code, wantCode: s.want})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("demo interrupted at step %d: %w", n, err)
	}
	if code != s.want {
		return fmt.Errorf("demo step %d (galshare %s) exited %d, want %d; see its output above",
			n, s.args[0], code, s.want)
	}
	return nil
}

// display shortens paths inside the demo directory for banners.
func (d *demoRun) display(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.TrimPrefix(a, d.dir+string(filepath.Separator))
	}
	return strings.Join(out, " ")
}

// summary prints what the demo made and what each step cost.
func (d *demoRun) summary(total time.Duration, kept bool) {
	w := d.a.stdout
	fmt.Fprintf(w, "\n==> Demo complete in %s: validate → plan → apply → verify → plan (no changes),\n"+
		"    then a manual consumer: apply (blocked, exit 3) → its administrator acts → apply → verify.\n\n", total.Round(10*time.Millisecond))
	if st, err := state.Read(d.state); err == nil {
		fmt.Fprintf(w, "Objects galshare manages (state file galshare.state.json, serial %d):\n", st.Serial)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range st.Resources {
			fmt.Fprintf(tw, "  %s\ttenant %s\t%s\n", r.Origin, r.Tenant, r.Address)
		}
		_ = tw.Flush()
		fmt.Fprintln(w)
	} else {
		d.a.log.Warn("reading the demo state failed", "error", err)
	}
	fmt.Fprintln(w, "API calls served by the simulator, per step:")
	fmt.Fprintf(w, "  %-12s %6s %7s %9s\n", "step", "calls", "writes", "time")
	var calls, writes int64
	for _, r := range d.rows {
		fmt.Fprintf(w, "  %-12s %6d %7d %9s\n", r.title, r.calls, r.writes, r.dur.Round(time.Millisecond))
		calls += r.calls
		writes += r.writes
	}
	fmt.Fprintf(w, "  %-12s %6d %7d %9s\n", "total", calls, writes, total.Round(time.Millisecond))
	for _, r := range d.rows {
		if r.title == "plan again" && r.writes == 0 {
			fmt.Fprintln(w, "The second plan made no write call: apply converged.")
		}
	}
	fmt.Fprintf(w, "\nThe client secret was delivered to secrets/myGalleryApp.json (mode 0600) and printed nowhere.\n")
	if kept {
		simDir := filepath.Join(d.dir, "sim")
		fmt.Fprintf(w, "Kept in %s. Serve the same world again with:\n  galshare sim serve --dir %s\n", d.dir, simDir)
		fmt.Fprintf(w, "then, for example:\n  galshare destroy --cloud %s --state %s %s\n",
			filepath.Join(simDir, "cloud.json"), d.state, d.manifest)
	} else {
		fmt.Fprintln(w, "The demo directory was removed; keep it next time with --keep DIR.")
	}
	fmt.Fprint(w, `
Next, against real Azure: write your own manifest (see examples/ and README.md) and give galshare
credentials for each tenant it manages — per tenant, an app registration or managed identity of yours:
  export GALSHARE_TENANT_<TENANT ID, UPPER CASE, NO DASHES>_CLIENT_ID=<client id>
  export GALSHARE_TENANT_<…>_CLIENT_SECRET=<secret>     (or _CERTIFICATE_FILE, _FEDERATED_TOKEN_FILE)
or a credentials file (--credentials FILE), or az login for the default chain; the rights each tenant
needs are in docs/permissions.md. Then, without --cloud:
  galshare validate manifest.yaml && galshare plan --out plan.json manifest.yaml
`)
}
