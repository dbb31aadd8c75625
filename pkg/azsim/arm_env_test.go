package azsim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// IDs of testdata/arm-world.yaml.
const (
	tenantA   = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	tenantB   = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
	subA      = "5a000000-0000-0000-0000-00000000000a"
	subB      = "5b000000-0000-0000-0000-00000000000b"
	imagesRG  = "images-rg"
	galleryA  = "/subscriptions/" + subA + "/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"
	imageName = "ubuntu-2204"
)

// testOperator is a seeded operator of arm-world.yaml.
type testOperator struct{ tenant, clientID, secret string }

var (
	opOwner     = testOperator{tenantA, "0a000000-0000-0000-0000-000000000001", "owner-secret-0001"}
	opContrib   = testOperator{tenantA, "0a000000-0000-0000-0000-000000000002", "contrib-secret-0002"}
	opNoRole    = testOperator{tenantA, "0a000000-0000-0000-0000-000000000003", "norole-secret-0003"}
	opSharer    = testOperator{tenantA, "0a000000-0000-0000-0000-000000000004", "sharer-secret-0004"}
	opRBACAdmin = testOperator{tenantA, "0a000000-0000-0000-0000-000000000005", "rbacadmin-secret-0005"}
	opOwnerB    = testOperator{tenantB, "0b000000-0000-0000-0000-000000000001", "ownerb-secret-0001"}
)

// testClock is real time plus an offset the test can advance, so tokens stay valid while replication moves on.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// armEnv is an in-process simulator seeded with testdata/arm-world.yaml.
type armEnv struct {
	sim   *Sim
	clock *testClock
}

func newARMEnv(t *testing.T) *armEnv { return newARMEnvTB(t) }

func newARMEnvTB(t testing.TB) *armEnv {
	t.Helper()
	clock := &testClock{}
	sim, err := Start(context.Background(), Options{SeedFile: "testdata/arm-world.yaml", Clock: clock.Now})
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sim.Close(ctx)
	})
	return &armEnv{sim: sim, clock: clock}
}

func (e *armEnv) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: e.sim.Cloud(), Transport: e.sim.HTTPClient(),
		Retry: policy.RetryOptions{MaxRetries: -1}}
}

// cred is a ClientSecretCredential for an app in a tenant, exactly as galshare builds it.
func (e *armEnv) cred(t testing.TB, tenant, clientID, secret string) azcore.TokenCredential {
	t.Helper()
	c, err := azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: e.clientOptions(), DisableInstanceDiscovery: true, AdditionallyAllowedTenants: []string{"*"},
	})
	if err != nil {
		t.Fatalf("credential: %v", err)
	}
	return c
}

func (e *armEnv) opCred(t testing.TB, op testOperator) azcore.TokenCredential {
	return e.cred(t, op.tenant, op.clientID, op.secret)
}

// armOptions are ARM client options for the simulator, optionally with auxiliary tenants.
func (e *armEnv) armOptions(aux ...string) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: e.clientOptions(), DisableRPRegistration: true, AuxiliaryTenants: aux}
}

// spID is the object id of an operator's service principal in its tenant.
func (e *armEnv) spID(t *testing.T, op testOperator) string {
	t.Helper()
	sp, ok := e.sim.ServicePrincipal(op.tenant, op.clientID)
	if !ok {
		t.Fatalf("no service principal for %s in %s", op.clientID, op.tenant)
	}
	return sp.ID
}
