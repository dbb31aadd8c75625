package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/spf13/pflag"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// stateFlag is --state on every command that reads or writes the state: a
// path, or a blob URL. Given on the command line it overrides the
// manifest's state.url; otherwise the manifest decides, and without
// state.url the state is galshare.state.json.
type stateFlag struct {
	value string
	flags *pflag.FlagSet
}

func (s *stateFlag) register(fs *pflag.FlagSet) {
	s.flags = fs
	fs.StringVar(&s.value, "state", state.DefaultPath,
		"`PATH or URL` of the state: a file, or a blob https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH.json (overrides the manifest's state.url)")
}

// location is where the state is for manifest m (nil: none loaded).
func (s *stateFlag) location(m *spec.Manifest) string {
	if (s.flags == nil || !s.flags.Changed("state")) && m != nil && m.State.URL != "" {
		return m.State.URL
	}
	return s.value
}

// isStateURL reports whether a state location names a blob.
func isStateURL(loc string) bool {
	return strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://")
}

// stateBackend is the backend for loc. A blob is authorised by
// AZURE_STORAGE_CONNECTION_STRING, GALSHARE_STATE_SAS, or else the Entra
// token of the publisher tenant's operator; credential supplies that token
// and is only called when neither variable is set (nil: none available).
func stateBackend(a *app, loc string, credential func() (azcore.TokenCredential, error)) (state.Backend, error) {
	if !isStateURL(loc) {
		return state.FileBackend(loc), nil
	}
	lookup := func(k string) (string, bool) {
		v := a.getenv(k)
		return v, v != ""
	}
	opts := azure.BlobStateOptions{URL: loc, LookupEnv: lookup, Client: azcore.ClientOptions{
		Telemetry: policy.TelemetryOptions{ApplicationID: "galshare/" + version},
	}}
	if a.getenv(azure.EnvStorageConnectionString) == "" && a.getenv(azure.EnvStateSAS) == "" && credential != nil {
		cred, err := credential()
		if err != nil {
			return nil, fmt.Errorf("state %s: signing in to the publisher tenant for the state blob: %w", loc, err)
		}
		opts.Credential = cred
	}
	store, err := azure.NewBlobState(opts)
	if err != nil {
		return nil, err
	}
	return state.NewBlobBackend(store), nil
}

// publisherCredential is the Entra credential of m's publisher tenant from
// conn, for the state blob.
func publisherCredential(conn *azure.Connector, m *spec.Manifest) func() (azcore.TokenCredential, error) {
	if conn == nil || m == nil || m.Publisher.Tenant == "" {
		return nil
	}
	return func() (azcore.TokenCredential, error) { return conn.StorageCredential(m.Publisher.Tenant) }
}

// backend is the state backend for manifest m (nil: none loaded), signing
// in through conn when a blob needs an Entra token.
func (f *azureFlags) backend(a *app, conn *azure.Connector, m *spec.Manifest) (state.Backend, error) {
	return stateBackend(a, f.state.location(m), publisherCredential(conn, m))
}

// readState reads the state for m lock-free, as plan does.
func (f *azureFlags) readState(ctx context.Context, a *app, m *spec.Manifest) (*state.State, error) {
	loc := f.state.location(m)
	var conn *azure.Connector
	if isStateURL(loc) {
		c, err := f.connector(a)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		conn = c
	}
	be, err := stateBackend(a, loc, publisherCredential(conn, m))
	if err != nil {
		return nil, err
	}
	return state.ReadFrom(ctx, be)
}
