package azsim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	sim1, err := Start(ctx, Options{Dir: dir, Seed: coreSeed(t)})
	if err != nil {
		t.Fatal(err)
	}
	g1 := coreGraphFor(t, sim1, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", multiTenantApp("persisted"), nil, 201).must(t)
	g1.do(t, "POST", "/servicePrincipals", map[string]any{"appId": app.str("appId")}, nil, 201).must(t)
	secret := g1.do(t, "POST", "/applications/"+app.str("id")+"/addPassword", map[string]any{}, nil, 200).must(t).str("secretText")
	tok, err := coreCred(t, sim1, coreT1, app.str("appId"), secret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	ca1 := sim1.CACertPEM()
	if err := sim1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{worldFile, caKeyFile, signingKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v mode %v", f, err, fi.Mode())
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, worldFile))
	if bytes.Contains(raw, []byte(secret)) {
		t.Error("world.json holds a Graph-issued secret in clear")
	}

	// Restart without a seed: the same world, CA and signing key.
	sim2 := coreStart(t, Options{Dir: dir, Seed: &Seed{}})
	if !bytes.Equal(ca1, sim2.CACertPEM()) {
		t.Error("CA changed across restart")
	}
	got, ok := sim2.Application(app.str("appId"))
	if !ok || got.DisplayName != "persisted" || len(got.Passwords) != 1 {
		t.Fatalf("app after restart: %+v %v", got, ok)
	}
	if _, err := coreCred(t, sim2, coreT1, app.str("appId"), secret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); err != nil {
		t.Errorf("secret after restart: %v", err)
	}
	// A token issued before the restart still verifies (the signing key persisted).
	sim2.srv.mu.Lock()
	_, err = sim2.srv.verifyToken(tok.Token, audGraph)
	sim2.srv.mu.Unlock()
	if err != nil {
		t.Errorf("old token after restart: %v", err)
	}
	if sim2.Lag() != 0 {
		t.Errorf("lag after restart = %v", sim2.Lag())
	}
	if len(sim2.Credentials()) != 4 {
		t.Errorf("operators after restart: %v", len(sim2.Credentials()))
	}
}

func TestPersistenceIsAsyncButComplete(t *testing.T) {
	dir := t.TempDir()
	sim := coreStart(t, Options{Dir: dir})
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", map[string]any{"displayName": "written"}, nil, 201).must(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, _ := os.ReadFile(filepath.Join(dir, worldFile))
		if bytes.Contains(raw, []byte(app.str("appId"))) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("world.json never got the new app")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloudFile(t *testing.T) {
	sim := coreStart(t, Options{})
	p := filepath.Join(t.TempDir(), "cloud.json")
	if err := sim.WriteCloudFile(p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cloud.json mode: %v %v", err, fi.Mode())
	}
	raw, _ := os.ReadFile(p)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m["version"] != float64(1) || m["name"] != "galshare-simulator" || m["authorityHost"] != sim.URL()+"/" {
		t.Errorf("header fields: %v", m)
	}
	rm := m["resourceManager"].(map[string]any)
	gr := m["graph"].(map[string]any)
	if rm["endpoint"] != sim.URL() || rm["audience"] != "https://management.core.windows.net/" ||
		gr["endpoint"] != sim.URL() || gr["audience"] != "https://graph.microsoft.com" {
		t.Errorf("endpoints: %v %v", rm, gr)
	}
	if m["caCertificate"] != string(sim.CACertPEM()) {
		t.Error("caCertificate differs")
	}
	creds := m["credentials"].(map[string]any)
	c1 := creds[coreT1].(map[string]any)
	if len(creds) != 4 || c1["clientId"] != coreOp1 || c1["clientSecret"] != coreSecrets[coreOp1] {
		t.Errorf("credentials: %v", creds)
	}
}

func TestEmptyWorld(t *testing.T) {
	sim, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	if len(sim.TenantIDs()) != 0 || len(sim.Credentials()) != 0 {
		t.Errorf("empty options gave tenants %v", sim.TenantIDs())
	}
	resp, err := sim.HTTPClient().Get(sim.URL() + "/" + coreT1 + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 400 || !contains(b, "AADSTS90002") {
		t.Errorf("discovery for unknown tenant: %d %s", resp.StatusCode, b)
	}
}

func TestSettingsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	seed := coreSeed(t)
	seed.Settings.Lag = 7 * time.Second
	sim1, err := Start(context.Background(), Options{Dir: dir, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	sim2 := coreStart(t, Options{Dir: dir, Seed: &Seed{}})
	if sim2.Lag() != 7*time.Second || sim2.srv.replicationTime != time.Second {
		t.Errorf("after restart lag=%v replicationTime=%v", sim2.Lag(), sim2.srv.replicationTime)
	}
}
