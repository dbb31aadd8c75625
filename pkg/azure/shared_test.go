package azure

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/hashicorp/go-hclog"
)

// tenantCred is a credential whose token names its tenant, counting its
// token requests.
type tenantCred struct {
	tenant string
	calls  atomic.Int32
}

func (c *tenantCred) GetToken(_ context.Context, tro policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	return azcore.AccessToken{Token: "token-of-" + c.tenant + "-for-" + tro.Scopes[0], ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestSharedPipelinesAuthorisePerTenant sends Graph and raw ARM requests of
// two tenants, interleaved, through one connector's shared pipelines: each
// request must carry its own tenant's token, and each tenant's bearer policy
// must keep its token (one token request per tenant and audience).
func TestSharedPipelinesAuthorisePerTenant(t *testing.T) {
	tr := &fakeTransport{t: t, handler: func(r recorded) *http.Response {
		if r.Method == http.MethodGet && r.Path != "" && r.Path[len(r.Path)-1] != ')' {
			return jsonResp(http.StatusOK, map[string]any{})
		}
		return jsonResp(http.StatusNotFound, map[string]any{"error": map[string]any{"code": "Request_ResourceNotFound", "message": "no"}})
	}}
	env := PublicCloud()
	opts := testClientOptions(tr, hclog.NewNullLogger())
	shared, err := newSharedPipelines(env, opts)
	if err != nil {
		t.Fatal(err)
	}
	armOpts := &arm.ClientOptions{ClientOptions: opts, DisableRPRegistration: true}
	tenants := []string{"tenant-a", "tenant-b"}
	creds := map[string]*tenantCred{}
	dirs := map[string]*graphDirectory{}
	res := map[string]*armResources{}
	for _, tn := range tenants {
		creds[tn] = &tenantCred{tenant: tn}
		dirs[tn] = shared.directory(tn, env, creds[tn], hclog.NewNullLogger())
		res[tn] = newARMResourcesShared(tn, creds[tn], armOpts, shared)
	}
	ctx := context.Background()
	for range 2 {
		for _, tn := range tenants {
			if _, err := dirs[tn].GetServicePrincipal(ctx, "00000000-0000-0000-0000-000000000001"); !IsNotFound(err) {
				t.Fatalf("%s: GetServicePrincipal: %v, want not found", tn, err)
			}
			if err := res[tn].CheckScope(ctx, "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg-"+tn); err != nil {
				t.Fatalf("%s: CheckScope: %v", tn, err)
			}
		}
	}
	reqs := tr.requests()
	if len(reqs) != 8 {
		t.Fatalf("%d requests, want 8", len(reqs))
	}
	for i, r := range reqs {
		tn := tenants[(i/2)%2]
		scope := env.GraphScope()
		if i%2 == 1 {
			scope = env.ARMScope()
		}
		if got, want := r.Header.Get("Authorization"), "Bearer token-of-"+tn+"-for-"+scope; got != want {
			t.Errorf("request %d (%s %s): Authorization %q, want %q", i, r.Method, r.Path, got, want)
		}
	}
	for _, tn := range tenants {
		if n := creds[tn].calls.Load(); n != 2 {
			t.Errorf("%s: %d token requests, want 2 (one per audience, then cached)", tn, n)
		}
	}
}

// TestSharedPipelineRefusesRequestWithoutTenant checks that a request built
// without withAuth fails before anything is sent, rather than going out
// without (or with another tenant's) credentials.
func TestSharedPipelineRefusesRequestWithoutTenant(t *testing.T) {
	tr := &fakeTransport{t: t, handler: func(recorded) *http.Response { return jsonResp(http.StatusOK, map[string]any{}) }}
	shared, err := newSharedPipelines(PublicCloud(), testClientOptions(tr, hclog.NewNullLogger()))
	if err != nil {
		t.Fatal(err)
	}
	for name, pl := range map[string]interface {
		Do(*policy.Request) (*http.Response, error)
	}{"graph": shared.graph, "arm": shared.arm} {
		req, err := runtime.NewRequest(context.Background(), http.MethodGet, shared.armEP+"/subscriptions")
		if err != nil {
			t.Fatal(err)
		}
		_, err = pl.Do(req)
		if !errors.Is(err, errNoAuth) {
			t.Errorf("%s: error %v, want errNoAuth", name, err)
		}
	}
	if n := len(tr.requests()); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}

// TestConnectorSharesOptionsAcrossTenants checks that the per-tenant clients
// a Connector hands out share its options and pipelines instead of building
// their own (the point of shared.go), while auxiliary tenants get options of
// their own.
func TestConnectorSharesOptionsAcrossTenants(t *testing.T) {
	env := PublicCloud()
	env.Credentials = map[string]CredentialConfig{
		"tenant-a": {Method: MethodClientSecret, ClientID: "a", ClientSecret: NewSecret("s")},
		"tenant-b": {Method: MethodClientSecret, ClientID: "b", ClientSecret: NewSecret("s")},
	}
	c, err := NewConnector(Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ra := must(c.Resources(ctx, "tenant-a"))(t).(*armResources)
	rb := must(c.Resources(ctx, "tenant-b"))(t).(*armResources)
	rx := must(c.ResourcesWithAuxiliary(ctx, "tenant-a", "tenant-b"))(t).(*armResources)
	if ra.opts != rb.opts || ra.shared != rb.shared || ra.shared != c.shared {
		t.Errorf("tenants do not share options and pipelines")
	}
	if rx.opts == ra.opts || len(rx.opts.AuxiliaryTenants) != 1 || len(ra.opts.AuxiliaryTenants) != 0 {
		t.Errorf("auxiliary tenants leaked into the shared options: %v / %v", rx.opts.AuxiliaryTenants, ra.opts.AuxiliaryTenants)
	}
	da := must(c.Directory(ctx, "tenant-a"))(t).(*graphDirectory)
	db := must(c.Directory(ctx, "tenant-b"))(t).(*graphDirectory)
	if da.g.base != db.g.base || da.g.auth == db.g.auth {
		t.Errorf("Graph clients: base shared %v, auth shared %v; want base shared, auth per tenant", da.g.base == db.g.base, da.g.auth == db.g.auth)
	}
	app := c.AppClients("app", NewSecret("s"))
	if app.shared == c.shared {
		t.Errorf("AppClients shares the operator connector's pipelines (and so its call counter)")
	}
}
