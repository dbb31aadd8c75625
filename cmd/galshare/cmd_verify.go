package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/termtext"
)

// verifyFlags are verify's own flags (the Azure ones are azureFlags).
type verifyFlags struct {
	jsonOut    bool
	secretFile string
	secretFrom string
	retryFor   time.Duration
}

func newVerifyCmd(a *app) *cobra.Command {
	var f verifyFlags
	az := newAzureFlags()
	cmd := &cobra.Command{
		Use:   "verify MANIFEST",
		Short: "Prove the sharing works the way a consumer will use it",
		Long: `verify signs in as the shared app itself, with the client secret apply
delivered (publisher.app.secret.deliverTo), and walks the consumer's path:

  - a token as the app in the publisher tenant and in every consumer tenant
    (a consumer without the app's service principal fails: consent missing);
  - every image version the manifest waits for (or the gallery itself) read
    from each consumer tenant with the publisher token sent as
    x-ms-authorization-auxiliary, as a VM create does, and ready to use;
  - every granted role present for the app's service principal: the gallery
    role in the publisher tenant, each grant in each consumer tenant (read as
    the app; as galshare's own credentials where the app may not read them).

It prints one row per check (ok, fail with what and why, or skip when a check
it needs failed) and changes nothing. The secret value is never printed. A
fix says "run galshare apply" only when the plan galshare would make now
(from Azure and the --state file) has something for apply to do there.

Exit codes: 0 every check passed; 3 the only failures are in manual
consumers' tenants (their administrator has yet to consent or grant the
role); 1 anything else failed.`,
		Example: `  galshare verify examples/quickstart.yaml
  galshare verify --json examples/quickstart.yaml | jq '.checks[] | select(.result != "ok")'
  galshare verify --retry-for 2m examples/quickstart.yaml   # right after apply: wait out replication lag
  galshare verify --secret-file ~/handover/myGalleryApp.json examples/quickstart.yaml
  galshare verify --secret-from keyvault:https://contoso-kv.vault.azure.net/secrets/copy examples/quickstart.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), a, az, &f, args[0])
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&f.jsonOut, "json", false, "print the report as JSON (format_version 1.0) for CI")
	fs.StringVar(&f.secretFile, "secret-file", "", "read the app's secret from this delivery `FILE` instead of the manifest's deliverTo")
	fs.StringVar(&f.secretFrom, "secret-from", "", "read the app's secret from this Key Vault secret (`keyvault:https://VAULT/secrets/NAME`) instead of the manifest's deliverTo")
	fs.DurationVar(&f.retryFor, "retry-for", 0, "retry failures that may be replication lag (new secret, service principal, role) for up to `DURATION`")
	az.register(cmd)
	return cmd
}

// runVerify loads the manifest, runs executor.Verify and renders the report.
func runVerify(ctx context.Context, a *app, az *azureFlags, f *verifyFlags, path string) error {
	m, diags, err := spec.Load(ctx, path)
	if err != nil || diags.HasErrors() {
		writeDiagnosticsText(a.stderr, diags, a.stderrColor())
		if err != nil && len(diags) == 0 {
			return err
		}
		return withExitCode(exitFailure, nil)
	}
	var from *planner.Delivery
	if f.secretFrom != "" {
		if f.secretFile != "" {
			return withExitCode(exitFailure, fmt.Errorf("give --secret-file or --secret-from, not both"))
		}
		d, err := spec.ParseKeyVaultTarget(f.secretFrom)
		if err != nil {
			return withExitCode(exitFailure, fmt.Errorf("--secret-from: %w", err))
		}
		from = &planner.Delivery{Kind: d.Kind, VaultURL: d.VaultURL, SecretName: d.SecretName}
	}
	conn, err := az.connector(a)
	if err != nil {
		return err
	}
	defer conn.Close()
	rep, err := executor.Verify(ctx, m, executor.VerifyOptions{
		AsApp: func(appID string, secret azure.Secret) executor.AppClients {
			return conn.AppClients(appID, secret)
		},
		Operator:      conn,
		SecretFile:    f.secretFile,
		SecretFrom:    from,
		Vaults:        conn,
		AuthorityHost: conn.Environment().AuthorityHost,
		Parallelism:   az.parallelism,
		RetryFor:      f.retryFor,
		Logger:        a.log,
		Plan:          planForVerify(ctx, a, az, conn, m),
	})
	if err != nil {
		return err
	}
	appendVerifyStepSummary(a, m, rep)
	if f.jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeVerifyText(a.stdout, m, rep, a.useColor())
	}
	if !rep.OK {
		if blockedOnManualTenants(m, rep) {
			return withExitCode(exitBlocked, nil)
		}
		return withExitCode(exitFailure, nil)
	}
	return nil
}

// blockedOnManualTenants reports whether every failed check is in a manual
// consumer's tenant: what is missing there is the consent or the role
// grant that tenant's administrator was asked for, so verify exits 3 (a
// human must act) like plan and apply, not 1.
func blockedOnManualTenants(m *spec.Manifest, rep *executor.VerifyReport) bool {
	manual := map[string]bool{}
	for _, c := range m.Consumers {
		if c.Access == spec.AccessManual {
			manual[c.Name] = true
		}
	}
	failed := 0
	for _, c := range rep.Checks {
		if c.Result != executor.ResultFail {
			continue
		}
		failed++
		if !manual[c.Party] {
			return false
		}
	}
	return failed > 0
}

// writeVerifyText renders the report as a table, then each failure with its
// full error and fix, then a summary line.
func writeVerifyText(w io.Writer, m *spec.Manifest, rep *executor.VerifyReport, color bool) {
	app := rep.AppID
	if app == "" {
		app = "(unknown: no usable secret)"
	}
	termtext.Fprintf(w, "Verifying %s as app %s, the way consumers use it.\n", m.Name, app)
	termtext.Fprintf(w, "Tenants: publisher %s", m.Publisher.Tenant)
	for _, c := range m.Consumers {
		termtext.Fprintf(w, ", %s %s", c.Name, c.Tenant)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tCHECK\tRESULT\tDETAIL")
	for _, c := range rep.Checks {
		termtext.Fprintf(tw, "%s\t%s %s\t%s\t%s\n", c.Party, c.Kind, verifyObjectText(c), termtext.Safe(verifyResultText(c.Result, color)), c.Detail)
	}
	_ = tw.Flush()

	var failed []executor.Check
	for _, c := range rep.Checks {
		if c.Result == executor.ResultFail {
			failed = append(failed, c)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "What fails and how to fix it:")
		for _, c := range failed {
			termtext.Fprintf(w, "  %s %s %s:\n", c.Party, c.Kind, c.Object)
			if c.Error != "" {
				termtext.Fprintf(w, "    error: %s\n", c.Error)
			}
			if c.Fix != "" {
				termtext.Fprintf(w, "    fix:   %s\n", c.Fix)
			}
		}
	}
	fmt.Fprintln(w)
	s := rep.Summary
	verdict := "the sharing works."
	if !rep.OK {
		verdict = "the sharing does NOT work yet."
	}
	termtext.Fprintf(w, "Verify: %d checks, %d ok, %d failed, %d skipped: %s\n", s.Total, s.OK, s.Failed, s.Skipped, verdict)
}

// verifyObjectText shortens the secret file's path to one relative to the
// working directory when it is below it.
func verifyObjectText(c executor.Check) string {
	if c.Kind != executor.CheckSecret || !filepath.IsAbs(c.Object) {
		return c.Object
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, c.Object); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return c.Object
}

// verifyResultText is the RESULT cell, coloured on a terminal. Every colour
// code has the same length, so the table stays aligned.
func verifyResultText(r executor.Result, color bool) string {
	text := strings.ToUpper(string(r))
	if !color {
		return text
	}
	code := map[executor.Result]string{executor.ResultOK: "32", executor.ResultFail: "31", executor.ResultSkip: "33"}[r]
	if code == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
