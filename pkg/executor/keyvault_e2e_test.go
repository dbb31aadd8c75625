package executor_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
)

// The vault and secret examples/keyvault.yaml delivers to.
const (
	kvVault  = "contoso-galshare"
	kvSecret = "myGalleryApp"
)

// checkVaultHolds asserts that the vault's current version is the app's only
// live password, the one state records, with its tags and expiry.
func (w *simWorld) checkVaultHolds(versions int) azsim.VaultSecretVersion {
	w.t.Helper()
	vs := w.sim.VaultSecretVersions(kvVault, kvSecret)
	if len(vs) != versions {
		w.t.Fatalf("vault holds %d versions, want %d", len(vs), versions)
	}
	cur := vs[len(vs)-1]
	appID, keyID, ok := w.sim.SecretKeyID(cur.Value)
	if !ok {
		w.t.Fatal("the vault's current version is not a live password of any app")
	}
	r, _ := readState(w.t, w.statePath).Get(planner.PasswordAddress("myGalleryApp").String())
	if keyID != r.ID || cur.Tags["keyId"] != keyID || cur.Tags["appId"] != appID ||
		cur.Tags["tenant"] != w.load().Publisher.Tenant || cur.ContentType != azure.KeyVaultContentType {
		w.t.Errorf("vault version tags %v type %q; live password %s of %s; state keyId %s", cur.Tags, cur.ContentType, keyID, appID, r.ID)
	}
	if end := r.Attributes["endDateTime"]; cur.Expires.Format(time.RFC3339) != end {
		w.t.Errorf("vault exp %s, state endDateTime %s", cur.Expires.Format(time.RFC3339), end)
	}
	if app, _ := w.sim.Application(appID); len(app.Passwords) != 1 || app.Passwords[0].KeyID != keyID {
		w.t.Errorf("app passwords %+v, want only %s", app.Passwords, keyID)
	}
	if got := r.Attributes["deliveredTo"]; got != "keyvault:https://"+kvVault+"."+azsim.KeyVaultDNSSuffix+"/secrets/"+kvSecret {
		w.t.Errorf("state deliveredTo = %q", got)
	}
	return cur
}

// checkPipelineReads signs in as the world's pipeline identity (Key Vault
// Secrets User on the secret) with the official SDK, as a consumer's
// pipeline would, and reads the current value; writing is refused.
func (w *simWorld) checkPipelineReads(want string) {
	w.t.Helper()
	ctx := w.t.Context()
	cred, err := azidentity.NewClientSecretCredential(w.load().Publisher.Tenant, "5e1f0001-0000-4000-8000-000000000011",
		"sim-contoso-pipeline-reader-secret", &azidentity.ClientSecretCredentialOptions{
			ClientOptions: w.sim.ClientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := azsecrets.NewClient(w.sim.VaultURL(kvVault), cred, &azsecrets.ClientOptions{ClientOptions: w.sim.ClientOptions()})
	if err != nil {
		w.t.Fatal(err)
	}
	got, err := c.GetSecret(ctx, kvSecret, "", nil)
	if err != nil {
		w.t.Fatalf("pipeline read: %v", err)
	}
	if *got.Value != want {
		w.t.Error("the pipeline read another value than the current version")
	}
	v := "x"
	if _, err := c.SetSecret(ctx, kvSecret, azsecrets.SetSecretParameters{Value: &v}, nil); err == nil {
		w.t.Error("Key Vault Secrets User could write the secret")
	}
}

func (w *simWorld) checkVerifyOK() {
	w.t.Helper()
	rep := w.verify(nil)
	if !rep.OK {
		for _, c := range rep.Checks {
			w.t.Logf("%s %s %s: %s %s %s", c.Party, c.Kind, c.Object, c.Result, c.Detail, c.Error)
		}
		w.t.Fatal("verify failed")
	}
	for _, c := range rep.Checks {
		if c.Kind == executor.CheckSecret && !strings.HasPrefix(c.Object, "keyvault:https://"+kvVault) {
			w.t.Errorf("the secret check read %s, want the vault", c.Object)
		}
	}
}

// TestE2EKeyVaultDelivery: apply delivers the secret as a vault version,
// verify signs in with the secret read from the vault, a rotation adds a
// version, and no secret value reaches state, plan files, logs or events.
func TestE2EKeyVaultDelivery(t *testing.T) {
	w := newSimWorld(t, "keyvault")
	w.replicateNow()
	var events bytes.Buffer
	w.events = &events
	w.converge()
	first := w.checkVaultHolds(1)
	w.checkVerifyOK()
	w.checkPipelineReads(first.Value)
	if _, err := os.Stat(filepath.Join(w.dir, "secrets")); !os.IsNotExist(err) {
		t.Errorf("a vault delivery wrote files: %v", err)
	}

	// A second plan has nothing to do.
	if p := w.plan(false); p.HasChanges() {
		t.Fatalf("second plan has changes:\n%s", changes(p))
	}

	// Rotation: a new version, the old password removed.
	p := w.planAt(false, time.Now().Add(8760*time.Hour-10*24*time.Hour))
	if c := p.Change(planner.PasswordAddress("myGalleryApp")); c == nil || c.Action != planner.Replace {
		t.Fatalf("no rotation planned:\n%s", changes(p))
	}
	if err := planner.WritePlanFile(filepath.Join(w.dir, "plan-rotate.json"), p); err != nil {
		t.Fatal(err)
	}
	if rep := w.apply(p); rep.ExitCode() != executor.ExitOK {
		t.Fatalf("rotation: %s", failures(rep))
	}
	second := w.checkVaultHolds(2)
	if second.Tags["keyId"] == first.Tags["keyId"] || second.Value == first.Value {
		t.Fatal("rotation did not deliver a new secret")
	}
	w.checkVerifyOK()
	if p := w.plan(false); p.HasChanges() {
		t.Errorf("plan after rotation has changes:\n%s", changes(p))
	}

	// Leak scan over everything galshare wrote.
	for i, destroy := range []bool{false, true} {
		p := w.plan(destroy)
		if err := planner.WritePlanFile(filepath.Join(w.dir, fmt.Sprintf("plan%d.json", i)), p); err != nil {
			t.Fatal(err)
		}
		w.apply(p)
	}
	// Destroy removed the password; the version holding it is disabled, not deleted.
	if vs := w.sim.VaultSecretVersions(kvVault, kvSecret); len(vs) != 2 || vs[1].Enabled || !vs[0].Enabled {
		t.Errorf("after destroy the vault holds %d versions, current enabled %v", len(vs), len(vs) == 2 && vs[1].Enabled)
	}
	secrets := append(w.sim.OperatorSecrets(), w.sim.VaultSecretValues()...)
	if len(secrets) < 2+len(w.sim.OperatorSecrets()) {
		t.Fatalf("the vault lists %d values, want both versions", len(secrets)-len(w.sim.OperatorSecrets()))
	}
	leaks, err := azsim.ScanDir(secrets, w.dir, func(rel string) bool { return rel == "cloud.json" })
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"events": events.Bytes(), "trace logs": w.logs.Bytes()} {
		leaks = append(leaks, azsim.ScanForSecrets(secrets, name, b)...)
		leaks = append(leaks, azsim.ScanForSecretShapes(name, b)...)
	}
	for _, l := range leaks {
		t.Errorf("leak: %s", l)
	}
	if events.Len() == 0 || !bytes.Contains(events.Bytes(), []byte("keyvault:https://"+kvVault)) {
		t.Errorf("events do not say where the secret went")
	}
}

// TestE2EKeyVaultDeliveryFailureRemovesPassword: when the vault refuses the
// write (the operator lacks Key Vault Secrets Officer), the new password is
// removed at once and nothing is recorded.
func TestE2EKeyVaultDeliveryFailureRemovesPassword(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "sim", "keyvault.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	officer := "    role: Key Vault Secrets Officer\n"
	if !bytes.Contains(src, []byte(officer)) {
		t.Fatal("the keyvault world has no Secrets Officer assignment")
	}
	seed := filepath.Join(t.TempDir(), "no-officer.yaml")
	if err := os.WriteFile(seed, bytes.Replace(src, []byte(officer), []byte("    role: Reader\n"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newSimWorldSeed(t, "keyvault", seed)
	w.replicateNow()
	rep := w.apply(w.plan(false))
	if rep.ExitCode() == executor.ExitOK {
		t.Fatal("apply succeeded without the right to write the vault")
	}
	if f := failures(rep); !strings.Contains(f, "new password was removed again") || !strings.Contains(f, "permission denied") {
		t.Errorf("failure does not say the password was removed: %s", f)
	}
	m := w.load()
	for _, a := range w.sim.Applications(m.Publisher.Tenant) {
		if a.UniqueName == m.Publisher.App.UniqueName && len(a.Passwords) != 0 {
			t.Errorf("undelivered passwords remain: %+v", a.Passwords)
		}
	}
	if _, ok := readState(t, w.statePath).Get(planner.PasswordAddress("myGalleryApp").String()); ok {
		t.Error("state records an undelivered password")
	}
	if vs := w.sim.VaultSecretVersions(kvVault, kvSecret); len(vs) != 0 {
		t.Errorf("vault holds %d versions", len(vs))
	}
}

// TestE2EKeyVaultCrashAfterDelivery: a crash after the vault write but
// before the state write; the next apply finds the password's keyId in the
// vault's current version, keeps that password and adds no other.
func TestE2EKeyVaultCrashAfterDelivery(t *testing.T) {
	w := newSimWorld(t, "keyvault")
	w.replicateNow()
	addr := planner.PasswordAddress("myGalleryApp").String()
	w.applyWithHooks(w.plan(false), &executor.Hooks{AfterDeliver: func(a string) {
		if a == addr {
			panic("simulated crash after delivery")
		}
	}})
	if vs := w.sim.VaultSecretVersions(kvVault, kvSecret); len(vs) != 1 {
		t.Fatalf("the crashed run delivered %d versions, want 1", len(vs))
	}
	w.sim.ResetStats()
	w.converge()
	if n := w.sim.Stats().Routes["POST addPassword"]; n != 0 {
		t.Errorf("recovery added %d passwords, want 0 (the delivered one is kept)", n)
	}
	vs := w.sim.VaultSecretVersions(kvVault, kvSecret)
	if len(vs) != 1 {
		t.Fatalf("vault holds %d versions after recovery, want 1", len(vs))
	}
	_, keyID, ok := w.sim.SecretKeyID(vs[0].Value)
	if r, _ := readState(t, w.statePath).Get(addr); !ok || keyID != r.ID || vs[0].Tags["keyId"] != keyID {
		t.Errorf("vault keyId %s (live %v %s), state %s", vs[0].Tags["keyId"], ok, keyID, r.ID)
	}
	w.checkExactlyOnce()
	if st := readState(t, w.statePath); len(st.Journal) != 0 {
		t.Errorf("journal left: %+v", st.Journal)
	}
}

// TestE2EKeyVaultWrongCloudAddsNoPassword: a vault outside the cloud's vault
// suffix is refused before any password is created.
func TestE2EKeyVaultWrongCloudAddsNoPassword(t *testing.T) {
	w := newSimWorld(t, "keyvault")
	src, err := os.ReadFile(w.manifest)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte(".vault.azsim.localhost/"), []byte(".vault.azure.net/"), 1)
	if err := os.WriteFile(w.manifest, src, 0o600); err != nil {
		t.Fatal(err)
	}
	w.replicateNow()
	w.sim.ResetStats()
	rep := w.apply(w.plan(false))
	if f := failures(rep); !strings.Contains(f, "not under this cloud's Key Vault suffix") {
		t.Fatalf("failures = %s", f)
	}
	if n := w.sim.Stats().Routes["POST addPassword"]; n != 0 {
		t.Errorf("%d passwords created for a target that cannot be written", n)
	}
}

// TestE2EKeyVaultUnderFaults: throttling and 5xx answers on the vault's
// write route are retried; the apply converges with exactly one delivered
// version, the app's only password. Only vault writes draw from the fault
// generator, one at a time, so each seed injects the same faults every run.
func TestE2EKeyVaultUnderFaults(t *testing.T) {
	var injected int64
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newSimWorld(t, "keyvault")
			w.replicateNow()
			w.sim.SetFaults(azsim.FaultProfile{Seed: seed, RetryAfter: 10 * time.Millisecond, Routes: []azsim.RouteFaults{
				{Route: "PUT secret", Rate429: 0.25, Rate5xx: 0.25}}})
			rep := w.apply(w.plan(false))
			for _, n := range w.sim.Stats().Faults {
				injected += n
			}
			w.sim.SetFaults(azsim.FaultProfile{})
			if rep.ExitCode() != executor.ExitOK {
				t.Fatalf("apply under vault faults: %s", failures(rep))
			}
			w.checkVaultHolds(1)
		})
	}
	if injected == 0 {
		t.Fatal("no fault was injected on the vault route: the test proved nothing")
	}
}
