package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

const (
	tPub  = "11111111-1111-1111-1111-111111111111"
	tCons = "22222222-2222-2222-2222-222222222222"
	galID = "/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"
	rgID  = "/subscriptions/bbbbbbbb-0000-0000-0000-000000000002/resourceGroups/vm-rg"

	readerGUID      = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	contributorGUID = "b24988ac-6180-42a0-ab88-20f7382dd24c"
)

var (
	addrApp     = planner.AppAddress("myGalleryApp")
	addrPwd     = planner.PasswordAddress("myGalleryApp")
	addrSPPub   = planner.SPAddress(planner.PublisherKey)
	addrSPCons  = planner.SPAddress("fabrikam")
	addrGalRole = planner.GalleryRoleAddress("myGallery", "Reader")
	addrConRole = planner.ConsumerRoleAddress("fabrikam", rgID, "Contributor")
	addrWait    = planner.WaitAddress("myGallery", "ubuntu-2204", "1.0.0")
)

// quickstartPlan is the plan of the documented procedure on an empty world:
// every object created, plus a replication wait.
func quickstartPlan(deliverTo string) *planner.Plan {
	tags := []string{"galshare:contoso-golden-images"}
	return &planner.Plan{
		FormatVersion: planner.FormatVersion,
		Tenants: []planner.TenantInfo{
			{ID: tPub, Role: "publisher", Readable: true},
			{ID: tCons, Role: "consumer", Consumer: "fabrikam", Access: "managed", Readable: true},
		},
		Changes: []planner.Change{
			{Address: addrApp, Type: planner.TypeApplication, Tenant: tPub, Action: planner.Create, Origin: planner.OriginCreated, Reason: "missing",
				App: &planner.AppPayload{UniqueName: "contoso-golden-images-mygalleryapp", DisplayName: "myGalleryApp",
					SignInAudience: "AzureADandPersonalMicrosoftAccount", RedirectURIs: []string{"https://www.microsoft.com"},
					RequestedAccessTokenVersion: 2, Tags: tags}},
			{Address: addrPwd, Type: planner.TypePassword, Tenant: tPub, Action: planner.Create, Origin: planner.OriginCreated,
				DependsOn: []planner.Address{addrApp},
				Password: &planner.PasswordPayload{AppAddress: addrApp, DisplayName: "Shared image gallery cross-tenant app secret",
					Lifetime: 8760 * time.Hour, RenewBefore: 720 * time.Hour, DeliverTo: planner.Delivery{Kind: "file", Path: deliverTo}}},
			{Address: addrSPPub, Type: planner.TypeServicePrincipal, Tenant: tPub, Action: planner.Create, Origin: planner.OriginCreated,
				DependsOn:        []planner.Address{addrApp},
				ServicePrincipal: &planner.ServicePrincipalPayload{Consumer: planner.PublisherKey, AppAddress: addrApp, Tags: tags}},
			{Address: addrSPCons, Type: planner.TypeServicePrincipal, Tenant: tCons, Action: planner.Create, Origin: planner.OriginCreated,
				DependsOn:        []planner.Address{addrApp},
				ServicePrincipal: &planner.ServicePrincipalPayload{Consumer: "fabrikam", AppAddress: addrApp, Tags: tags}},
			{Address: addrGalRole, Type: planner.TypeRoleAssignment, Tenant: tPub, Action: planner.Create, Origin: planner.OriginCreated,
				DependsOn: []planner.Address{addrSPPub},
				RoleAssignment: &planner.RoleAssignmentPayload{Scope: galID, RoleGUID: readerGUID, RoleName: "Reader",
					PrincipalFrom: addrSPPub, Description: "managed by galshare (contoso-golden-images)"}},
			{Address: addrConRole, Type: planner.TypeRoleAssignment, Tenant: tCons, Action: planner.Create, Origin: planner.OriginCreated,
				DependsOn: []planner.Address{addrSPCons},
				RoleAssignment: &planner.RoleAssignmentPayload{Scope: rgID, RoleGUID: contributorGUID, RoleName: "Contributor",
					PrincipalFrom: addrSPCons, Description: "managed by galshare (contoso-golden-images)"}},
			{Address: addrWait, Type: planner.TypeWait, Tenant: tPub, Action: planner.Wait,
				Wait: &planner.WaitPayload{GalleryID: galID, Image: "ubuntu-2204", Version: "1.0.0"}},
		},
	}
}

// harness is one test world: a fake Azure, a real state file in a temp dir,
// a fake clock, and every output (events, logs) captured for secret scans.
type harness struct {
	t         *testing.T
	dir       string
	statePath string
	deliverTo string
	fake      *fakeAzure
	clock     *fakeClock

	mu     sync.Mutex
	events []Event
	logs   bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{
		t: t, dir: dir,
		statePath: filepath.Join(dir, "galshare.state.json"),
		deliverTo: filepath.Join(dir, "secrets", "myGalleryApp.json"),
		fake:      newFakeAzure(),
		clock:     &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
	}
	h.fake.vers[planner.VersionKey(galID, "ubuntu-2204", "1.0.0")] = []*azure.ImageVersion{version("Succeeded", "Completed", "Completed")}
	return h
}

// version is an image version replicating to westus and eastus; eastus is in
// state eastState.
func version(prov, agg, eastState string) *azure.ImageVersion {
	return &azure.ImageVersion{
		ID: galID + "/images/ubuntu-2204/versions/1.0.0", GalleryID: galID, Image: "ubuntu-2204", Version: "1.0.0",
		ProvisioningState: prov, AggregatedReplication: agg,
		Regions:       []azure.RegionStatus{{Region: "westus", State: "Completed"}, {Region: "eastus", State: eastState, Progress: 40}},
		TargetRegions: []string{"westus", "eastus"},
	}
}

func (h *harness) apply(plan *planner.Plan, mutate func(*Options)) *Report {
	h.t.Helper()
	return h.applyCtx(context.Background(), plan, mutate)
}

// applyCtx is apply under ctx, whose cancellation is the second Ctrl-C.
func (h *harness) applyCtx(ctx context.Context, plan *planner.Plan, mutate func(*Options)) *Report {
	h.t.Helper()
	hd, err := state.Open(context.Background(), h.statePath, state.LockOptions{Operation: "apply"})
	if err != nil {
		h.t.Fatalf("open state: %v", err)
	}
	defer func() {
		if err := hd.Close(); err != nil {
			h.t.Errorf("close state: %v", err)
		}
	}()
	opts := Options{
		Clients:      h.fake.clients(),
		State:        hd,
		Parallelism:  4,
		WaitInterval: 10 * time.Second,
		WaitTimeout:  time.Minute,
		Retry:        Retrier{Now: h.clock.now, Sleep: h.clock.sleep, Jitter: func() float64 { return 0.5 }},
		Now:          h.clock.now,
		Events: func(e Event) {
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
		},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &h.logs}),
	}
	if mutate != nil {
		mutate(&opts)
	}
	rep, err := Apply(ctx, plan, opts)
	if err != nil {
		h.t.Fatalf("Apply: %v", err)
	}
	return rep
}

func (h *harness) state() *state.State {
	h.t.Helper()
	s, err := state.Read(h.statePath)
	if err != nil {
		h.t.Fatalf("read state: %v", err)
	}
	return s
}

// eventsJSON is the --json stream the events would make.
func (h *harness) eventsJSON() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, e := range h.events {
		if err := enc.Encode(e); err != nil {
			h.t.Fatal(err)
		}
	}
	return b.Bytes()
}

func (h *harness) progressFor(addr planner.Address) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		if e.Type == EventProgress && e.Address == addr.String() {
			out = append(out, e.Message)
		}
	}
	return out
}

// scanForSecrets fails the test if any secret value the fake issued appears
// in the state file, its backup, events or logs.
func (h *harness) scanForSecrets() {
	h.t.Helper()
	outputs := map[string][]byte{
		"events": h.eventsJSON(),
		"logs":   h.logs.Bytes(),
	}
	for _, p := range []string{h.statePath, h.statePath + ".backup"} {
		if b, err := os.ReadFile(p); err == nil {
			outputs[filepath.Base(p)] = b
		}
	}
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if len(h.fake.secrets) == 0 {
		return
	}
	for key, v := range h.fake.secrets {
		for name, b := range outputs {
			if bytes.Contains(b, []byte(v)) {
				h.t.Errorf("secret of %s found in %s", key, name)
			}
		}
	}
}

func readDelivered(t *testing.T, path string) azure.DeliveredSecret {
	t.Helper()
	d, err := azure.ReadDeliveredSecret(path)
	if err != nil {
		t.Fatalf("read delivered secret: %v", err)
	}
	return d
}
