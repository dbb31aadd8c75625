package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
	"github.com/galshare/galshare/pkg/termtext"
	"github.com/spf13/cobra"
)

// planFlags are plan's own flags (the Azure ones are azureFlags).
type planFlags struct {
	out              string
	jsonOut          bool
	format           string
	detailedExitCode bool
	destroy          bool
	targets          []string
	showUnchanged    bool
	noPreflight      bool
}

func newPlanCmd(a *app) *cobra.Command {
	var f planFlags
	az := newAzureFlags()
	cmd := &cobra.Command{
		Use:   "plan MANIFEST",
		Short: "Show what apply would do, tenant by tenant, without changing anything",
		Long: `plan reads every object the manifest implies from Azure (the app and its
secret, its service principal in every tenant, the role assignments, the
galleries and the image versions to wait for), compares them with the
manifest and the state file, and shows the ordered actions apply would take:

  +  create           ~  update in place     -  destroy
  -/+ replace          =  adopt (exists, made by hand; never deleted)
  /  forget            ... wait for an image version
  !  blocked: a human must act (consent, role grant); the exact URL or
     command is shown

In a manual consumer tenant galshare has no credentials for, plan checks
the administrator's consent and role grant by signing in as the app itself,
with the secret apply delivered (file delivery), so the next plan or apply
sees what the human did.

Before apply starts, plan checks that the operator may make the writes it
plans (preflight): its Microsoft Graph application permissions in each
tenant with a Graph write, and its effective Azure permissions
(Microsoft.Authorization/permissions) at each scope with a role-assignment
write. A write the operator lacks the right for is blocked (exit 3), naming
the permission, the tenant, the scope and the role to grant.

plan never writes to Azure and works with read-only credentials, so it is
safe as a CI dry-run (with --no-preflight, or the preflight blocks every
write such credentials cannot make). --out saves the plan (no secret in it) for
"galshare apply PLANFILE" and "galshare show PLANFILE".

Exit codes: 0 success (no changes, or changes without --detailed-exitcode),
1 error, 2 changes present (with --detailed-exitcode), 3 blocked on a human
action (takes precedence over 2).`,
		Example: `  galshare plan examples/quickstart.yaml
  galshare plan --out plan.json --detailed-exitcode examples/quickstart.yaml
  galshare plan --format markdown examples/partner-msp.yaml > comment.md
  galshare plan --json examples/quickstart.yaml | jq '.summary'
  galshare plan --target 'sp[fabrikam]' examples/quickstart.yaml
  galshare plan --cloud sim/cloud.json --destroy examples/quickstart.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd.Context(), a, az, &f, args[0])
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.out, "out", "", "save the plan to `FILE` (JSON, mode 0600) for apply and show")
	fs.BoolVar(&f.jsonOut, "json", false, "print the plan as JSON (same as --format json; see docs/plan-json.md)")
	fs.StringVar(&f.format, "format", "text", "output `FORMAT`: text, json or markdown (for pull-request comments)")
	fs.BoolVar(&f.detailedExitCode, "detailed-exitcode", false, "exit 2 when there are changes (0 only when there are none)")
	fs.BoolVar(&f.destroy, "destroy", false, "plan the removal of everything galshare created for this manifest")
	fs.StringArrayVar(&f.targets, "target", nil, "limit the plan to this `ADDRESS` and what it depends on (repeatable)")
	fs.BoolVar(&f.showUnchanged, "show-unchanged", false, "also list objects that need no change (text format)")
	fs.BoolVar(&f.noPreflight, "no-preflight", false, "do not check the operator's write rights (for a read-only CI dry-run)")
	az.register(cmd)
	return cmd
}

// outputFormat resolves --json and --format.
func outputFormat(jsonOut bool, format string) (string, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	if jsonOut {
		if format != "text" && format != "json" {
			return "", fmt.Errorf("--json conflicts with --format %s", format)
		}
		return "json", nil
	}
	switch format {
	case "text", "json", "markdown":
		return format, nil
	case "md":
		return "markdown", nil
	}
	return "", fmt.Errorf("unknown --format %q (want text, json or markdown)", format)
}

func runPlan(ctx context.Context, a *app, az *azureFlags, f *planFlags, manifestPath string) error {
	format, err := outputFormat(f.jsonOut, f.format)
	if err != nil {
		return err
	}
	targets, err := parseTargets(f.targets)
	if err != nil {
		return err
	}
	m, diags, err := spec.Load(ctx, manifestPath)
	own := az.ownFiles(a, m)
	if f.out != "" {
		own = append(own, spec.OwnFile{What: "the --out plan file", Path: f.out})
	}
	diags = append(diags, spec.CheckDeliveryTarget(manifestPath, m, own)...)
	if err != nil || diags.HasErrors() {
		writeDiagnosticsText(a.stderr, diags, a.stderrColor())
		if err != nil && len(diags) == 0 {
			return err
		}
		return withExitCode(exitFailure, nil)
	}
	st, err := az.readState(ctx, a, m)
	if err != nil {
		return err
	}
	snap, env, err := refreshForPlan(ctx, a, az, f, m, st)
	if err != nil {
		return err
	}
	p, err := planner.Build(m, snap, st, planner.Options{
		Destroy:         f.destroy,
		Targets:         targets,
		NoPreflight:     f.noPreflight,
		AuthorityHost:   env.AuthorityHost,
		GalshareVersion: version,
	})
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := planner.WritePlanFile(f.out, p); err != nil {
			return err
		}
	}
	if err := renderPlan(a, p, format, f.showUnchanged); err != nil {
		return err
	}
	appendPlanStepSummary(a, p)
	if f.out != "" && format == "text" {
		fmt.Fprintf(a.stdout, "\nSaved the plan to %s. To apply exactly this plan: galshare apply %s\n", f.out, f.out)
	}
	return withExitCode(planExitCode(p, f.detailedExitCode), nil)
}

// refreshForPlan reads Azure for a plan with a connector of its own, which
// it closes before returning. Nothing after refresh needs the connector, and
// at fleet scale its per-tenant credentials, token caches and clients are
// most of the process's live memory (about 17 KB per tenant, 170 MB for
// 10,000 consumers): once this returns they are garbage, so Build, the plan
// file and the rendering do not add their own peak on top of them.
func refreshForPlan(ctx context.Context, a *app, az *azureFlags, f *planFlags, m *spec.Manifest, st *state.State) (*planner.Snapshot, azure.Environment, error) {
	conn, err := az.connector(a)
	if err != nil {
		return nil, azure.Environment{}, err
	}
	defer conn.Close()
	ropts, done := az.refreshOptions(ctx, a, conn, m)
	defer done()
	ropts.Destroy, ropts.NoPreflight = f.destroy, f.noPreflight
	stopProgress := startRefreshProgress(a, &ropts)
	snap, err := planner.Refresh(ctx, m, st, conn, ropts)
	stopProgress()
	if err != nil {
		if interrupted(ctx) {
			return nil, azure.Environment{}, planInterrupted(a)
		}
		return nil, azure.Environment{}, refreshError(a.stderr, err, conn.CredentialSource)
	}
	a.log.Debug("refresh done", "calls", snap.Calls)
	return snap, conn.Environment(), nil
}

// planExitCode is 3 when a human must act, 2 for changes with
// --detailed-exitcode, else 0.
func planExitCode(p *planner.Plan, detailed bool) int {
	switch {
	case p.IsBlocked():
		return exitBlocked
	case detailed && p.HasChanges():
		return exitChanges
	}
	return exitOK
}

// renderPlan writes the plan in the chosen format to stdout.
func renderPlan(a *app, p *planner.Plan, format string, showUnchanged bool) error {
	switch format {
	case "json":
		return planner.RenderJSON(a.stdout, p)
	case "markdown":
		return planner.RenderMarkdown(a.stdout, p, planner.MarkdownOptions{})
	}
	return planner.RenderText(a.stdout, p, planner.TextOptions{Color: a.useColor(), ShowNoOps: showUnchanged})
}

// interrupted reports a Ctrl-C (the context cancelled), as opposed to
// --timeout running out, whose errors name what was still waiting.
func interrupted(ctx context.Context) bool { return errors.Is(ctx.Err(), context.Canceled) }

// planInterrupted answers a Ctrl-C while plan (or apply's planning) reads
// Azure: plan writes nothing, so nothing was changed. Exit 1.
func planInterrupted(a *app) error {
	fmt.Fprintln(a.stderr, "galshare: plan interrupted, nothing was changed.")
	return withExitCode(exitFailure, nil)
}

// refreshError prints each distinct Azure failure as one line (tenant,
// object, call, what happened, fix) and exits 1. Sign-in failures of one
// tenant are one line, however many reads met them, naming where that
// tenant's credentials came from (sources, nil: not named).
func refreshError(w io.Writer, err error, sources func(tenant string) string) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	auth := false
	for _, l := range groupSignInFailures(errs, sources) {
		termtext.Fprintf(w, "galshare: error: %s\n", l)
	}
	for _, e := range errs {
		var ae *azure.Error
		auth = auth || errors.As(e, &ae) && ae.Kind == azure.KindAuthFailed
	}
	if auth {
		fmt.Fprintln(w, "galshare: plan needs read access in every managed tenant; see --credentials and --cloud.")
	}
	return withExitCode(exitFailure, nil)
}

// groupSignInFailures renders errs one per line, except that the sign-in
// failures (KindAuthFailed) of one tenant with one code become a single line
// naming the calls that met it and where the tenant's credentials came from:
// a wrong operator secret is one fix, not one message per read.
func groupSignInFailures(errs []error, sources func(tenant string) string) []string {
	type group struct {
		first *azure.Error
		ops   []string
		at    int
	}
	var lines []string
	groups := map[string]*group{}
	for _, e := range errs {
		var ae *azure.Error
		if !errors.As(e, &ae) || ae.Kind != azure.KindAuthFailed || ae.Tenant == "" {
			lines = append(lines, e.Error())
			continue
		}
		k := strings.ToLower(ae.Tenant) + "|" + ae.Code
		g := groups[k]
		if g == nil {
			g = &group{first: ae, at: len(lines)}
			groups[k] = g
			lines = append(lines, "")
		}
		g.ops = append(g.ops, ae.Op)
	}
	for _, g := range groups {
		ae := g.first
		l := ae.Error()
		// One sentence for the tenant: what failed, how many reads met it,
		// where the credentials came from, then the fix.
		if p := "tenant " + ae.Tenant + ": " + strings.TrimSpace(ae.Op+" "+ae.Object) + ": "; len(g.ops) > 1 && strings.HasPrefix(l, p) {
			l = "tenant " + ae.Tenant + ": " + l[len(p):]
		}
		head, fix, hasFix := strings.Cut(l, "; fix: ")
		if len(g.ops) > 1 {
			head += fmt.Sprintf(", for %d reads (%s)", len(g.ops), countedOps(g.ops))
		}
		if sources != nil {
			if src := sources(ae.Tenant); src != "" {
				head += "; the credentials for this tenant come from the " + src
			}
		}
		l = head
		if hasFix {
			l += "; fix: " + fix
		}
		lines[g.at] = l
	}
	return lines
}

// parseTargets reads --target values (plan, apply, destroy).
func parseTargets(ts []string) ([]planner.Address, error) {
	targets := make([]planner.Address, 0, len(ts))
	for _, t := range ts {
		addr, err := planner.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("--target: %w", err)
		}
		targets = append(targets, addr)
	}
	return targets, nil
}

// countedOps lists call names once each, with a count when repeated:
// "GET application, GET imageVersion ×2".
func countedOps(ops []string) string {
	var order []string
	n := map[string]int{}
	for _, o := range ops {
		if n[o] == 0 {
			order = append(order, o)
		}
		n[o]++
	}
	for i, o := range order {
		if n[o] > 1 {
			order[i] = fmt.Sprintf("%s ×%d", o, n[o])
		}
	}
	return strings.Join(order, ", ")
}
