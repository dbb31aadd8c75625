package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
	"github.com/spf13/cobra"
)

// Environment variables for the flags shared by every command that talks to
// Azure (plan, apply, destroy). A flag given on the command line wins.
const (
	envCloud       = "GALSHARE_CLOUD"
	envCredentials = "GALSHARE_CREDENTIALS"
)

// azureFlags are the flags shared by plan, apply and destroy: which cloud,
// which credentials, which state file and how many calls at once. Each
// command constructor makes its own (no global flag variables).
type azureFlags struct {
	cloudFile       string
	credentialsFile string
	state           stateFlag
	forceState      bool
	parallelism     int
	// timeout is --timeout, the deadline of the whole command (0: none);
	// requestTimeout is --request-timeout, the bound of one HTTP request.
	timeout        time.Duration
	requestTimeout time.Duration
}

// Deadlines (README "Deadlines"). One HTTP request may take
// --request-timeout (20 s); a request that cannot reach its endpoint is
// retried twice within seconds, one that got no answer not at all, and later
// calls to that endpoint fail at once for a minute (pkg/azure network.go); throttling and server failures are retried within a 2 min
// budget per call. --timeout bounds the whole command: plan and verify stop
// after defaultTimeout, apply and destroy have no overall deadline by
// default (their replication waits have --wait-timeout and every call is
// bounded as above).
const defaultTimeout = 10 * time.Minute

// defaultTimeoutFor is the --timeout default of a command.
func defaultTimeoutFor(name string) time.Duration {
	switch name {
	case "plan", "verify":
		return defaultTimeout
	}
	return 0
}

func newAzureFlags() *azureFlags {
	return &azureFlags{state: stateFlag{value: state.DefaultPath}, parallelism: planner.DefaultParallelism}
}

func (f *azureFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.cloudFile, "cloud", "",
		"`FILE` with cloud endpoints and CA (e.g. the cloud.json galshare sim serve writes; env "+envCloud+"; default: Azure public cloud)")
	fs.StringVar(&f.credentialsFile, "credentials", "",
		"credentials `FILE` naming how to sign in to each tenant (env "+envCredentials+"; never the manifest)")
	f.state.register(fs)
	fs.BoolVar(&f.forceState, "force-state", false, "use the state even though it was written for a manifest of another name")
	fs.IntVar(&f.parallelism, "parallelism", planner.DefaultParallelism, "at most `N` requests to Azure on the wire at once (token requests included)")
	def := defaultTimeoutFor(cmd.Name())
	usage := "`DURATION` the whole command may take (0: no limit); what was still waiting is named when it is hit"
	if def == 0 {
		usage = "`DURATION` the whole command may take (default: no limit; every call is bounded by --request-timeout); what was still waiting is named when it is hit"
	}
	fs.DurationVar(&f.timeout, "timeout", def, usage)
	fs.DurationVar(&f.requestTimeout, "request-timeout", azure.DefaultRequestTimeout,
		"`DURATION` one HTTP request to Azure may take; an endpoint that does not answer in time is reported at once, and not called again for a minute")
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return f.withDeadline(cmd, args, run) }
	}
}

// withDeadline runs a command's RunE under --timeout. When the deadline
// cuts the command short its error says so, after the lines that name the
// calls that were still waiting (tenant, call, endpoint).
func (f *azureFlags) withDeadline(cmd *cobra.Command, args []string, run func(*cobra.Command, []string) error) error {
	d := f.timeout
	if d < 0 {
		return fmt.Errorf("--timeout must not be negative (got %s)", d)
	}
	// verify --retry-for longer than the default deadline asks for the time.
	if fl := cmd.Flags().Lookup("retry-for"); fl != nil && !cmd.Flags().Changed("timeout") {
		if rf, err := time.ParseDuration(fl.Value.String()); err == nil && d > 0 && rf+time.Minute > d {
			d = rf + time.Minute
		}
	}
	if d == 0 {
		return run(cmd, args)
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	cmd.SetContext(ctx)
	err := run(cmd, args)
	if err == nil || parent.Err() != nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	hit := fmt.Errorf("%s did not finish within --timeout %s; the calls still waiting are named above (raise --timeout, or check the endpoints they name)",
		cmd.Name(), d)
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return withExitCode(ee.code, hit)
	}
	return fmt.Errorf("%w; %s did not finish within --timeout %s (raise --timeout, or check the endpoint named)", err, cmd.Name(), d)
}

// connector builds the pkg/azure connector from the flags (or their
// environment variables). It makes no network call.
func (f *azureFlags) connector(a *app) (*azure.Connector, error) {
	if f.parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1 (got %d)", f.parallelism)
	}
	if f.requestTimeout <= 0 {
		return nil, fmt.Errorf("--request-timeout must be positive (got %s)", f.requestTimeout)
	}
	opts := azure.Options{
		LookupEnv: func(k string) (string, bool) {
			v := a.getenv(k)
			return v, v != ""
		},
		Logger:    a.log.Named("azure"),
		UserAgent: "galshare/" + version,
		// --parallelism is enforced where requests go on the wire, so it
		// counts every request (tokens included) and work waiting on
		// something else holds no slot (see azure.Options.MaxInFlight).
		MaxInFlight: f.parallelism,
		// The CLI's redactor: every credential value the connector reads or
		// receives is also removed from what galshare prints.
		Redactor:       a.redact,
		RequestTimeout: f.requestTimeout,
	}
	cloudFile := firstNonEmpty(f.cloudFile, a.getenv(envCloud))
	if cloudFile != "" {
		env, err := azure.LoadCloudFile(cloudFile)
		if err != nil {
			return nil, fmt.Errorf("--cloud: %w", err)
		}
		opts.Env = env
	}
	if credFile := firstNonEmpty(f.credentialsFile, a.getenv(envCredentials)); credFile != "" {
		cf, err := azure.LoadCredentialsFile(credFile)
		if err != nil {
			return nil, fmt.Errorf("--credentials: %w", err)
		}
		opts.Credentials = cf
	}
	conn, err := azure.NewConnector(opts)
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// ownFiles are the files this command reads or writes itself, which a
// secret must never be delivered into: the state's files, and the --cloud
// and --credentials files (flag or environment). Commands add their own
// (--out, the plan file).
//
// m is the manifest (nil: none loaded), whose state.url may name the state.
func (f *azureFlags) ownFiles(a *app, m *spec.Manifest) []spec.OwnFile {
	var own []spec.OwnFile
	if loc := f.state.location(m); !isStateURL(loc) {
		own = stateOwnFiles(loc)
	}
	if p := firstNonEmpty(f.cloudFile, a.getenv(envCloud)); p != "" {
		own = append(own, spec.OwnFile{What: "the --cloud file", Path: p})
	}
	if p := firstNonEmpty(f.credentialsFile, a.getenv(envCredentials)); p != "" {
		own = append(own, spec.OwnFile{What: "the --credentials file", Path: p})
	}
	return own
}

// stateOwnFiles are the files of the state at path, as spec.OwnFiles.
func stateOwnFiles(path string) []spec.OwnFile {
	cs := state.Companions(path)
	own := make([]spec.OwnFile, len(cs))
	for i, c := range cs {
		own[i] = spec.OwnFile{What: c.What, Path: c.Path, Prefix: c.Prefix}
	}
	return own
}

// actionsPerCallSlot is how many apply actions may run per --parallelism
// call slot. An action at 50 ms per call spends about a third of its time
// on its two state writes; 3 keeps every slot busy at that latency and
// leaves headroom for read-backs' waits and backoffs, while bounding the
// journal entries open at once (what a crash leaves to reconcile).
const actionsPerCallSlot = 3

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// refreshOptions are the planner.Refresh options for a command: the
// parallelism, the keyId of the delivered secret (the password galshare
// holds besides the one state records) and, when the manifest has manual
// consumers and the app's secret was delivered (to a file, or to Key Vault, read
// with the publisher's credentials), a probe that signs
// in as the app so that plan (and apply) can see an administrator's consent and role grant in
// tenants galshare has no credentials for. The secret value stays in an
// azure.Secret in memory. Call the returned func when done.
func (f *azureFlags) refreshOptions(ctx context.Context, a *app, conn *azure.Connector, m *spec.Manifest) (planner.RefreshOptions, func()) {
	opts := planner.RefreshOptions{Parallelism: f.parallelism, StatePath: f.state.location(m), ForceState: f.forceState,
		DeliveryCheck: checkDelivery}
	manual := false
	for _, c := range m.Consumers {
		manual = manual || c.Access == spec.AccessManual
	}
	s := m.Publisher.App.Secret
	if s == nil {
		return opts, func() {}
	}
	doc, err := readProbeSecret(ctx, conn, m.Publisher.Tenant, s.DeliverTo)
	if err != nil {
		a.log.Debug("no delivered secret: manual tenants are not checked as the app", "reason", err)
		return opts, func() {}
	}
	// Which password galshare holds the value of (never the value itself).
	opts.Delivered = &planner.DeliveredKey{AppID: doc.ClientID, KeyID: doc.KeyID}
	if !manual {
		return opts, func() {}
	}
	probe := conn.AppClients(doc.ClientID, doc.Secret)
	opts.AppProbe, opts.AppProbeAppID = probe, doc.ClientID
	return opts, probe.Close
}

// readProbeSecret reads the delivered secret from its target: the file, or
// the vault's current version.
func readProbeSecret(ctx context.Context, conn *azure.Connector, tenant string, to spec.Delivery) (azure.DeliveredSecret, error) {
	switch {
	case to.Kind == spec.DeliveryFile && to.Path != "":
		return azure.ReadDeliveredSecret(to.Path)
	case to.Kind == spec.DeliveryKeyVault && to.VaultURL != "":
		kv, err := conn.KeyVault(ctx, tenant, to.VaultURL)
		if err != nil {
			return azure.DeliveredSecret{}, err
		}
		return kv.GetClientSecret(ctx, to.SecretName)
	}
	return azure.DeliveredSecret{}, fmt.Errorf("delivery %q cannot be read back", to.Kind)
}

// checkDelivery is the preflight's delivery check: a file target must be
// writable now. A Key Vault target's rights cannot be read ahead (the vault
// URL does not name its ARM resource); apply removes the new password if the
// vault refuses the write.
func checkDelivery(d planner.Delivery) error {
	if d.Kind != spec.DeliveryFile || d.Path == "" {
		return nil
	}
	return azure.CheckDeliveryWritable(d.Path)
}
