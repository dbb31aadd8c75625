package azure

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/galshare/galshare/pkg/azsim"
)

// Tenants and ids of the integration world.
const (
	simPub        = "11111111-1111-1111-1111-111111111111" // publisher, operator is Owner on its subscription
	simCon        = "22222222-2222-2222-2222-222222222222" // consumer, operator is Owner on vm-rg
	simRestricted = "33333333-3333-3333-3333-333333333333" // consumer whose operator is only Contributor
	simSubPub     = "aaaaaaaa-0000-0000-0000-000000000001"
	simSubCon     = "aaaaaaaa-0000-0000-0000-000000000002"
	simSubRes     = "aaaaaaaa-0000-0000-0000-000000000003"
	simGallery    = "/subscriptions/" + simSubPub + "/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"
	simVMRG       = "/subscriptions/" + simSubCon + "/resourceGroups/vm-rg"
	simResRG      = "/subscriptions/" + simSubRes + "/resourceGroups/vm-rg"
)

func simSeed() *azsim.Seed {
	op := func(n, id string) []azsim.OperatorSeed {
		return []azsim.OperatorSeed{{Name: n, ClientID: id, ClientSecret: "op-secret-" + n + "-0123456789",
			GraphPermissions: []string{"Application.ReadWrite.All"}}}
	}
	return &azsim.Seed{
		Tenants: []azsim.TenantSeed{
			{ID: simPub, Domain: "contoso.example", DisplayName: "Contoso", Operators: op("pub", "c0000000-0000-0000-0000-000000000001")},
			{ID: simCon, Domain: "fabrikam.example", DisplayName: "Fabrikam", Operators: op("con", "c0000000-0000-0000-0000-000000000002")},
			{ID: simRestricted, Domain: "tailspin.example", DisplayName: "Tailspin", Operators: op("res", "c0000000-0000-0000-0000-000000000003")},
		},
		ARMSeed: azsim.ARMSeed{
			Subscriptions: []azsim.SubscriptionSeed{
				{ID: simSubPub, Tenant: simPub, ResourceGroups: []azsim.ResourceGroupSeed{{Name: "images-rg", Location: "westus",
					Galleries: []azsim.GallerySeed{{Name: "myGallery", Images: []azsim.ImageSeed{{Name: "ubuntu-2204",
						Versions: []azsim.VersionSeed{{Name: "1.0.0", Regions: []string{"westus", "eastus"}}}}}}}}}},
				{ID: simSubCon, Tenant: simCon, ResourceGroups: []azsim.ResourceGroupSeed{{Name: "vm-rg", Location: "westus"}}},
				{ID: simSubRes, Tenant: simRestricted, ResourceGroups: []azsim.ResourceGroupSeed{{Name: "vm-rg", Location: "westus"}}},
			},
			RoleAssignments: []azsim.RoleAssignmentSeed{
				{Scope: "/subscriptions/" + simSubPub, Role: "Owner", Principal: azsim.PrincipalSeed{Tenant: simPub, Operator: "pub"}},
				{Scope: simVMRG, Role: "Owner", Principal: azsim.PrincipalSeed{Tenant: simCon, Operator: "con"}},
				{Scope: simResRG, Role: "Contributor", Principal: azsim.PrincipalSeed{Tenant: simRestricted, Operator: "res"}},
			},
		},
	}
}

// startSim starts an in-process simulator and a Connector reading its cloud file
// exactly as `galshare --cloud FILE` would.
func startSim(t *testing.T, opts Options) (*azsim.Sim, *Connector) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	sim, err := azsim.Start(ctx, azsim.Options{Seed: simSeed()})
	if err != nil {
		t.Skipf("simulator not ready: %v", err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	path := filepath.Join(t.TempDir(), "cloud.json")
	if err := sim.WriteCloudFile(path); err != nil {
		t.Fatal(err)
	}
	env, err := LoadCloudFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts.Env = env
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if opts.Retry.RetryDelay == 0 {
		opts.Retry = policy.RetryOptions{MaxRetries: 2, RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 200 * time.Millisecond}
	}
	c, err := NewConnector(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close) // runs before sim.Close (cleanups are LIFO)
	return sim, c
}

// must takes a (value, error) result and fails the test on error:
// must(f())(t). (Go forbids must(f())(t) with a multi-value f.)
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestSimLifecycle(t *testing.T) {
	sim, c := startSim(t, Options{})
	ctx := t.Context()
	pub := must(c.Directory(ctx, simPub))(t)
	if again := must(c.Directory(ctx, strings.ToUpper(simPub)))(t); again != pub {
		t.Error("Directory not cached per tenant")
	}

	// App: absent, created, updated, found by every key.
	if _, err := pub.GetApplicationByUniqueName(ctx, "galshare-contoso"); !IsNotFound(err) {
		t.Fatalf("absent app: %v", err)
	}
	spec := ApplicationSpec{UniqueName: "galshare-contoso", DisplayName: "myGalleryApp", SignInAudience: "AzureADandPersonalMicrosoftAccount",
		RedirectURIs: []string{"https://www.microsoft.com"}, Tags: []string{"galshare:contoso"}}
	app, created, err := pub.UpsertApplication(ctx, spec)
	if err != nil || !created || app.AppID == "" || app.ObjectID == "" {
		t.Fatalf("upsert create: %+v %v %v", app, created, err)
	}
	if app.RequestedAccessTokenVersion != 2 || app.SignInAudience != spec.SignInAudience || len(app.RedirectURIs) != 1 {
		t.Errorf("created app: %+v", app)
	}
	app2, created, err := pub.UpsertApplication(ctx, spec)
	if err != nil || created || app2.ObjectID != app.ObjectID {
		t.Fatalf("upsert again: %+v %v %v", app2, created, err)
	}
	spec.RedirectURIs = []string{"https://www.microsoft.com", "https://example.com/cb"}
	if err := pub.UpdateApplication(ctx, app.ObjectID, spec); err != nil {
		t.Fatal(err)
	}
	byAppID := must(pub.GetApplicationByAppID(ctx, app.AppID))(t)
	if len(byAppID.RedirectURIs) != 2 || byAppID.UniqueName != "galshare-contoso" {
		t.Errorf("after update: %+v", byAppID)
	}
	if tagged := must(pub.ListApplicationsByTag(ctx, "galshare:contoso"))(t); len(tagged) != 1 || tagged[0].AppID != app.AppID {
		t.Errorf("by tag: %+v", tagged)
	}
	if named := must(pub.ListApplicationsByDisplayName(ctx, "myGalleryApp"))(t); len(named) != 1 {
		t.Errorf("by name: %+v", named)
	}

	// Passwords: the value once, metadata afterwards.
	end := time.Now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	np := must(pub.AddPassword(ctx, app.ObjectID, "Shared image gallery cross-tenant app secret", end))(t)
	if np.Secret.IsZero() || np.KeyID == "" || !np.End.Equal(end) || !strings.HasPrefix(np.Secret.Reveal(), np.Hint) {
		t.Errorf("new password: %+v (end %v)", np, end)
	}
	withPw := must(pub.GetApplicationByUniqueName(ctx, "galshare-contoso"))(t)
	if len(withPw.Passwords) != 1 || withPw.Passwords[0].KeyID != np.KeyID {
		t.Errorf("passwords: %+v", withPw.Passwords)
	}

	// Service principals in both tenants; a repeat adopts.
	if _, err := pub.GetServicePrincipal(ctx, app.AppID); !IsNotFound(err) {
		t.Fatalf("absent SP: %v", err)
	}
	spPub, adopted, err := pub.CreateServicePrincipal(ctx, app.AppID, []string{"galshare:contoso"})
	if err != nil || adopted || spPub.ObjectID == "" || spPub.Tenant != simPub {
		t.Fatalf("create SP: %+v %v %v", spPub, adopted, err)
	}
	if again, adopted, err := pub.CreateServicePrincipal(ctx, app.AppID, nil); err != nil || !adopted || again.ObjectID != spPub.ObjectID {
		t.Errorf("SP adopt: %+v %v %v", again, adopted, err)
	}
	con := must(c.Directory(ctx, simCon))(t)
	spCon, _, err := con.CreateServicePrincipal(ctx, app.AppID, []string{"galshare:contoso"})
	if err != nil || spCon.ObjectID == spPub.ObjectID || !strings.EqualFold(spCon.AppOwnerOrganizationID, simPub) {
		t.Fatalf("consumer SP: %+v %v", spCon, err)
	}

	// Publisher ARM: gallery, readiness, Reader on the gallery (idempotent).
	resPub := must(c.Resources(ctx, simPub))(t)
	g := must(resPub.GetGallery(ctx, simGallery))(t)
	if !strings.EqualFold(g.Name, "myGallery") || g.UniqueName == "" {
		t.Errorf("gallery: %+v", g)
	}
	v := must(resPub.GetImageVersion(ctx, simGallery, "ubuntu-2204", "1.0.0"))(t)
	if !v.Ready() {
		t.Errorf("seeded completed version not ready: %+v", v)
	}
	if _, err := resPub.GetImageVersion(ctx, simGallery, "ubuntu-2204", "9.9.9"); !IsNotFound(err) {
		t.Errorf("missing version: %v", err)
	}
	reader := RoleAssignmentSpec{Scope: simGallery, RoleDefinitionGUID: "acdd72a7-3385-48ef-bd42-f606fba81ae7", PrincipalID: spPub.ObjectID, Description: "managed by galshare (contoso)"}
	ra, adopted, err := resPub.CreateRoleAssignment(ctx, reader)
	if err != nil || adopted || ra.Name != RoleAssignmentName(simGallery, spPub.ObjectID, reader.RoleDefinitionGUID) {
		t.Fatalf("reader: %+v %v %v", ra, adopted, err)
	}
	if ra2, adopted, err := resPub.CreateRoleAssignment(ctx, reader); err != nil || adopted || ra2.ID != ra.ID {
		t.Errorf("re-PUT: %+v %v %v", ra2, adopted, err)
	}
	if list := must(resPub.ListRoleAssignments(ctx, simGallery, spPub.ObjectID))(t); len(list) != 1 || list[0].ID != ra.ID {
		t.Errorf("list: %+v", list)
	}
	if got := must(resPub.GetRoleAssignment(ctx, ra.ID))(t); got.RoleDefinitionGUID != reader.RoleDefinitionGUID || got.PrincipalType != "ServicePrincipal" {
		t.Errorf("get: %+v", got)
	}

	if g, err := resPub.ResolveRoleDefinition(ctx, simGallery, "Virtual Machine Contributor"); err != nil || g != "9980e02c-c2be-4d73-94e8-173b1dc7cf3c" {
		t.Errorf("resolve built-in: %s %v", g, err)
	}
	if _, err := resPub.ResolveRoleDefinition(ctx, "/subscriptions/"+simSubPub, "No Such Custom Role"); !IsNotFound(err) {
		t.Errorf("resolve unknown role: %v", err)
	}

	// Consumer ARM: scope checks, Contributor on vm-rg, adoption of a hand-made duplicate.
	resCon := must(c.Resources(ctx, simCon))(t)
	if err := resCon.CheckScope(ctx, simVMRG); err != nil {
		t.Errorf("CheckScope rg: %v", err)
	}
	// A missing group reads as 404 only with rights above it (the publisher operator
	// owns its subscription); below, ARM answers 403 as for any unreadable scope.
	if err := resPub.CheckScope(ctx, "/subscriptions/"+simSubPub+"/resourceGroups/nope-rg"); !IsNotFound(err) {
		t.Errorf("CheckScope missing rg: %v", err)
	}
	if err := resCon.CheckScope(ctx, "/subscriptions/"+simSubCon+"/resourceGroups/nope-rg"); KindOf(err) != KindPermissionDenied {
		t.Errorf("CheckScope unreadable rg: %v", err)
	}
	if err := resPub.CheckScope(ctx, "/subscriptions/"+simSubPub); err != nil {
		t.Errorf("CheckScope subscription: %v", err)
	}
	contrib := RoleAssignmentSpec{Scope: simVMRG, RoleDefinitionGUID: "b24988ac-6180-42a0-ab88-20f7382dd24c", PrincipalID: spCon.ObjectID}
	handID, err := sim.GrantRole(simVMRG, "Contributor", spCon.ObjectID)
	if err != nil {
		t.Fatalf("hand-made grant: %v", err)
	}
	adoptedRA, adopted, err := resCon.CreateRoleAssignment(ctx, contrib)
	if err != nil || !adopted || !strings.HasSuffix(strings.ToLower(handID), strings.ToLower(adoptedRA.Name)) {
		t.Errorf("adopt hand-made: %+v %v %v (hand id %s)", adoptedRA, adopted, err, handID)
	}

	// Deletes, each twice (the second is a no-op).
	for i := 0; i < 2; i++ {
		if err := resPub.DeleteRoleAssignment(ctx, ra.ID); err != nil {
			t.Errorf("delete RA #%d: %v", i, err)
		}
		if err := con.DeleteServicePrincipal(ctx, spCon.ObjectID); err != nil {
			t.Errorf("delete SP #%d: %v", i, err)
		}
		if err := pub.RemovePassword(ctx, app.ObjectID, np.KeyID); err != nil {
			t.Errorf("remove password #%d: %v", i, err)
		}
	}
	if _, err := resPub.GetRoleAssignment(ctx, ra.ID); !IsNotFound(err) {
		t.Errorf("deleted RA still readable: %v", err)
	}
	if err := pub.DeleteApplication(ctx, app.ObjectID); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.GetApplicationByAppID(ctx, app.AppID); !IsNotFound(err) {
		t.Errorf("deleted app still readable: %v", err)
	}
	st := sim.Stats()
	t.Logf("lifecycle: %d simulator calls (%d writes), %d connector attempts; routes %v", st.Total, st.Writes, c.Calls(), st.Routes)
}

func TestSimPermissionDenied(t *testing.T) {
	_, c := startSim(t, Options{})
	ctx := t.Context()
	res := must(c.Resources(ctx, simRestricted))(t)
	_, _, err := res.CreateRoleAssignment(ctx, RoleAssignmentSpec{Scope: simResRG, RoleDefinitionGUID: "b24988ac-6180-42a0-ab88-20f7382dd24c",
		PrincipalID: "c0000000-0000-0000-0000-00000000ffff"})
	var e *Error
	if !asError(err, &e) || e.Kind != KindPermissionDenied || !strings.EqualFold(e.MissingAction, "Microsoft.Authorization/roleAssignments/write") {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, "error line", e.Error(), "tenant "+simRestricted, "PUT roleAssignment", "User Access Administrator")
}

func TestSimBadSecretAndUnknownTenant(t *testing.T) {
	const unknown = "99999999-9999-9999-9999-999999999999"
	vars := map[string]string{
		envPrefix(simCon) + "CLIENT_ID":      "c0000000-0000-0000-0000-000000000002",
		envPrefix(simCon) + "CLIENT_SECRET":  "definitely-wrong-secret",
		envPrefix(unknown) + "CLIENT_ID":     "c0000000-0000-0000-0000-000000000002",
		envPrefix(unknown) + "CLIENT_SECRET": "whatever",
	}
	_, c := startSim(t, Options{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	ctx := t.Context()
	d := must(c.Directory(ctx, simCon))(t)
	_, err := d.GetServicePrincipal(ctx, "00000000-0000-0000-0000-000000000000")
	var e *Error
	if !asError(err, &e) || e.Kind != KindAuthFailed || e.Code != "AADSTS7000215" || e.Tenant != simCon {
		t.Errorf("bad secret: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "definitely-wrong-secret") {
		t.Error("error leaks the secret")
	}
	r := must(c.Resources(ctx, unknown))(t)
	err = r.CheckScope(ctx, "/subscriptions/"+simSubCon)
	if !asError(err, &e) || e.Kind != KindAuthFailed || (e.Code != "AADSTS90002" && e.Code != "AADSTS900023") {
		t.Errorf("unknown tenant: %v", err)
	}
	if err := c.SignIn(ctx, unknown); KindOf(err) != KindAuthFailed {
		t.Errorf("SignIn unknown tenant: %v", err)
	}
}

func TestSimThrottlingPastRetries(t *testing.T) {
	sim, c := startSim(t, Options{})
	ctx := t.Context()
	d := must(c.Directory(ctx, simPub))(t)
	if _, err := d.GetServicePrincipal(ctx, "00000000-0000-0000-0000-000000000000"); !IsNotFound(err) {
		t.Fatalf("warm-up: %v", err)
	}
	sim.SetFaults(azsim.FaultProfile{Rate429: 1, RetryAfter: time.Second})
	start := time.Now()
	_, err := d.GetServicePrincipal(ctx, "00000000-0000-0000-0000-000000000000")
	var e *Error
	if !asError(err, &e) || e.Kind != KindThrottled || e.RetryAfter < time.Second || !IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s: Retry-After above MaxRetryDelay should fail fast", time.Since(start))
	}
	mustContain(t, "error line", e.Error(), "throttled", "--parallelism")
}

func TestSimConcurrentClientsShareTokens(t *testing.T) {
	sim, c := startSim(t, Options{})
	ctx := t.Context()
	sim.ResetStats()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Resources(ctx, simPub)
			if err == nil {
				_, err = r.GetGallery(ctx, simGallery)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := sim.Stats()
	t.Logf("routes: %v faults %v", st.Routes, st.Faults)
	routeSum := func(part string) (n int64) {
		for label, v := range st.Routes {
			if strings.Contains(strings.ToLower(label), part) {
				n += v
			}
		}
		return n
	}
	if got := routeSum("galler"); got != 20 {
		t.Errorf("gallery reads = %d, want 20", got)
	}
	// One credential per tenant: token requests must not scale with calls.
	if tok := routeSum("token"); tok < 1 || tok > 2 {
		t.Errorf("%d token requests for 20 calls in one tenant", tok)
	}
}

func TestSimSharedAppCrossTenantRead(t *testing.T) {
	_, c := startSim(t, Options{})
	ctx := t.Context()
	pub := must(c.Directory(ctx, simPub))(t)
	app, _, err := pub.UpsertApplication(ctx, ApplicationSpec{UniqueName: "galshare-x", DisplayName: "myGalleryApp",
		SignInAudience: "AzureADMultipleOrgs", RedirectURIs: []string{"https://www.microsoft.com"}})
	if err != nil {
		t.Fatal(err)
	}
	np := must(pub.AddPassword(ctx, app.ObjectID, "galshare", time.Now().Add(24*time.Hour)))(t)
	spPub, _ := must2(pub.CreateServicePrincipal(ctx, app.AppID, nil))(t)
	con := must(c.Directory(ctx, simCon))(t)
	must2(con.CreateServicePrincipal(ctx, app.AppID, nil))(t)

	shared := c.AppClients(app.AppID, np.Secret)
	for _, tenant := range []string{simPub, simCon} {
		if err := shared.SignIn(ctx, tenant); err != nil {
			t.Fatalf("sign in as the app in %s: %v", tenant, err)
		}
	}
	cross := must(shared.ResourcesWithAuxiliary(ctx, simCon, simPub))(t)
	// Before the Reader grant the app cannot read the gallery.
	if _, err := cross.GetImageVersion(ctx, simGallery, "ubuntu-2204", "1.0.0"); KindOf(err) != KindPermissionDenied {
		t.Errorf("read without Reader: %v", err)
	}
	res := must(c.Resources(ctx, simPub))(t)
	must2(res.CreateRoleAssignment(ctx, RoleAssignmentSpec{Scope: simGallery, RoleDefinitionGUID: "acdd72a7-3385-48ef-bd42-f606fba81ae7", PrincipalID: spPub.ObjectID}))(t)
	v, err := cross.GetImageVersion(ctx, simGallery, "ubuntu-2204", "1.0.0")
	if err != nil || !v.Ready() {
		t.Fatalf("cross-tenant read as the app: %+v %v", v, err)
	}
	// A wrong app secret is an auth failure naming the tenant.
	bad := c.AppClients(app.AppID, NewSecret("not-the-secret"))
	if err := bad.SignIn(ctx, simCon); KindOf(err) != KindAuthFailed || !strings.Contains(err.Error(), simCon) {
		t.Errorf("bad app secret: %v", err)
	}
}

// must2 is must for (value, bool, error) results.
func must2[T any](v T, b bool, err error) func(*testing.T) (T, bool) {
	return func(t *testing.T) (T, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, b
	}
}

func TestSimDroppedConnectionsAndServerErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults azsim.FaultProfile
	}{
		{"reset", azsim.FaultProfile{RateReset: 1}},
		{"5xx", azsim.FaultProfile{Rate5xx: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := startSim(t, Options{})
			ctx := t.Context()
			r := must(c.Resources(ctx, simPub))(t)
			must(r.GetGallery(ctx, simGallery))(t) // token acquired before the faults start
			sim.SetFaults(tt.faults)
			sim.ResetStats()
			_, err := r.GetGallery(ctx, simGallery)
			var e *Error
			if !asError(err, &e) || e.Kind != KindTransient || !IsRetryable(err) || e.Tenant != simPub || e.Op != "GET gallery" {
				t.Fatalf("err = %v (kind %v)", err, KindOf(err))
			}
			// 1 + MaxRetries 2; net/http may itself retry a GET once on a reused
			// connection that dropped before answering.
			if got := sim.Stats().Total; got < 3 || got > 6 {
				t.Errorf("%d attempts, want 3 to 6", got)
			}
			t.Log(err)
		})
	}
}

func TestSimUntrustedCertificate(t *testing.T) {
	sim, c := startSim(t, Options{})
	env := c.Environment()
	env.CACertPEM = nil // trust only the system roots, as without --cloud's CA
	env.Credentials = c.Environment().Credentials
	plain, err := NewConnector(Options{Env: env, Retry: policy.RetryOptions{MaxRetries: -1}, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	err = plain.SignIn(t.Context(), simPub)
	var e *Error
	if !asError(err, &e) || e.Kind != KindNetwork || !strings.Contains(e.Fix, "--cloud") || !strings.Contains(e.Message, "TLS certificate not trusted") {
		t.Fatalf("err = %v (kind %v)", err, KindOf(err))
	}
	t.Log(err)
	_ = sim
}
