package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

// TestRefreshOptionsProbeFromKeyVault: with a manual consumer and the secret
// delivered to Key Vault, plan's consent probe signs in as the app with the
// vault's current version; before delivery it goes on without a probe.
func TestRefreshOptionsProbeFromKeyVault(t *testing.T) {
	w := newCLIWorld(t, "keyvault")
	env, err := azure.LoadCloudFile(w.cloud)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := azure.NewConnector(azure.Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	m := w.load()
	m.Consumers = append(m.Consumers, spec.Consumer{Name: "manual", Access: spec.AccessManual,
		Tenant: "33333333-3333-3333-3333-333333333333"})
	var logs bytes.Buffer
	a := newApp(strings.NewReader(""), &logs, &logs, nil)
	az := newAzureFlags()

	opts, done := az.refreshOptions(t.Context(), a, conn, m)
	done()
	if opts.AppProbe != nil {
		t.Fatal("probe before anything was delivered")
	}

	d := m.Publisher.App.Secret.DeliverTo
	kv, err := conn.KeyVault(t.Context(), m.Publisher.Tenant, d.VaultURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutClientSecret(t.Context(), d.SecretName, azure.DeliveredSecret{Tenant: m.Publisher.Tenant,
		ClientID: "app-from-vault", Secret: azure.NewSecret("probe-secret-value"), KeyID: "k"}); err != nil {
		t.Fatal(err)
	}
	opts, done = az.refreshOptions(t.Context(), a, conn, m)
	done()
	if opts.AppProbe == nil || opts.AppProbeAppID != "app-from-vault" {
		t.Errorf("probe %v for %q, want one for app-from-vault", opts.AppProbe != nil, opts.AppProbeAppID)
	}
	if strings.Contains(logs.String(), "probe-secret-value") {
		t.Error("the secret reached the logs")
	}
}
