package main

import (
	"fmt"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
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
	statePath       string
	parallelism     int
}

func newAzureFlags() *azureFlags {
	return &azureFlags{statePath: state.DefaultPath, parallelism: planner.DefaultParallelism}
}

func (f *azureFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.cloudFile, "cloud", "",
		"cloud file with endpoints and CA (e.g. the one `galshare sim serve` writes; env "+envCloud+"; default: Azure public cloud)")
	fs.StringVar(&f.credentialsFile, "credentials", "",
		"credentials file naming how to sign in to each tenant (env "+envCredentials+"; never the manifest)")
	fs.StringVar(&f.statePath, "state", state.DefaultPath, "path of the state file")
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

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
