package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

func TestRefreshOptionsProbe(t *testing.T) {
	conn, err := azure.NewConnector(azure.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	path := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(path, []byte(`{"clientId":"app-1","secret":"v"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := newApp(strings.NewReader(""), &logs, &logs, nil)
	az := newAzureFlags()
	m := &spec.Manifest{Publisher: spec.Publisher{App: spec.App{Secret: &spec.Secret{
		DeliverTo: spec.Delivery{Kind: spec.DeliveryFile, Path: path}}}}}

	// No manual consumer: no probe, no secret read.
	m.Consumers = []spec.Consumer{{Name: "a", Access: spec.AccessManaged}}
	opts, done := az.refreshOptions(t.Context(), a, conn, m)
	done()
	if opts.AppProbe != nil || opts.Parallelism != 10 {
		t.Errorf("opts = %+v", opts)
	}
	// A manual consumer and a delivered secret: probe as the app.
	m.Consumers = append(m.Consumers, spec.Consumer{Name: "b", Access: spec.AccessManual})
	opts, done = az.refreshOptions(t.Context(), a, conn, m)
	done()
	if opts.AppProbe == nil || opts.AppProbeAppID != "app-1" {
		t.Errorf("opts = %+v", opts)
	}
	// No delivered secret yet: plan goes on without the probe.
	m.Publisher.App.Secret.DeliverTo.Path = filepath.Join(t.TempDir(), "missing.json")
	opts, done = az.refreshOptions(t.Context(), a, conn, m)
	done()
	if opts.AppProbe != nil {
		t.Error("probe without a secret")
	}
}
