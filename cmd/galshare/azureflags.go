package main

import (
	"fmt"

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
	parallelism     int
}

func newAzureFlags() *azureFlags {
	return &azureFlags{state: stateFlag{value: state.DefaultPath}, parallelism: planner.DefaultParallelism}
}

func (f *azureFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.cloudFile, "cloud", "",
		"`FILE` with cloud endpoints and CA (e.g. the cloud.json galshare sim serve writes; env "+envCloud+"; default: Azure public cloud)")
	fs.StringVar(&f.credentialsFile, "credentials", "",
		"credentials file naming how to sign in to each tenant (env "+envCredentials+"; never the manifest)")
	f.state.register(fs)
	fs.IntVar(&f.parallelism, "parallelism", planner.DefaultParallelism, "maximum Azure calls in flight")
}

// connector builds the pkg/azure connector from the flags (or their
// environment variables). It makes no network call.
func (f *azureFlags) connector(a *app) (*azure.Connector, error) {
	if f.parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1 (got %d)", f.parallelism)
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
// parallelism and, when the manifest has manual consumers and the app's
// secret was delivered to a file, a probe that signs in as the app so that
// plan (and apply) can see an administrator's consent and role grant in
// tenants galshare has no credentials for. The secret value stays in an
// azure.Secret in memory. Call the returned func when done.
func (f *azureFlags) refreshOptions(a *app, conn *azure.Connector, m *spec.Manifest) (planner.RefreshOptions, func()) {
	opts := planner.RefreshOptions{Parallelism: f.parallelism}
	manual := false
	for _, c := range m.Consumers {
		manual = manual || c.Access == spec.AccessManual
	}
	s := m.Publisher.App.Secret
	if !manual || s == nil || s.DeliverTo.Kind != spec.DeliveryFile || s.DeliverTo.Path == "" {
		return opts, func() {}
	}
	doc, err := azure.ReadDeliveredSecret(s.DeliverTo.Path)
	if err != nil {
		a.log.Debug("manual tenants are not checked as the app", "reason", err)
		return opts, func() {}
	}
	probe := conn.AppClients(doc.ClientID, doc.Secret)
	opts.AppProbe, opts.AppProbeAppID = probe, doc.ClientID
	return opts, probe.Close
}
