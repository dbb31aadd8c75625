package planner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

// fakeAzure is a hand-written fake of the pkg/azure interfaces: a tiny world
// plus call accounting (per call key, and the peak of calls in flight).
type fakeAzure struct {
	mu       sync.Mutex
	calls    map[string]int
	inflight atomic.Int32
	peak     atomic.Int32
	delay    time.Duration

	creds    map[string]bool // tenants with credentials
	badAuth  map[string]bool // tenants whose sign-in fails
	app      *azure.Application
	sps      map[string]*azure.ServicePrincipal // by tenant
	denied   map[string]bool                    // call keys answered 403
	versions map[string]*azure.ImageVersion
}

func newFake() *fakeAzure {
	return &fakeAzure{calls: map[string]int{}, creds: map[string]bool{}, badAuth: map[string]bool{},
		sps: map[string]*azure.ServicePrincipal{}, denied: map[string]bool{}, versions: map[string]*azure.ImageVersion{}}
}

func (f *fakeAzure) HasCredentials(t string) bool { return f.creds[t] }

func (f *fakeAzure) Directory(_ context.Context, t string) (azure.Directory, error) {
	if f.badAuth[t] {
		return nil, &azure.Error{Tenant: t, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS7000215"}
	}
	return &fakeDir{f: f, tenant: t}, nil
}

func (f *fakeAzure) Resources(_ context.Context, t string) (azure.Resources, error) {
	if f.badAuth[t] {
		return nil, &azure.Error{Tenant: t, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS7000215"}
	}
	return &fakeRes{f: f, tenant: t}, nil
}

// call records one call and answers 403 when the key is denied.
func (f *fakeAzure) call(tenant, key string) error {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	f.calls[key]++
	f.mu.Unlock()
	if f.denied[key] {
		return &azure.Error{Tenant: tenant, Op: key, StatusCode: 403, Code: "AuthorizationFailed", Kind: azure.KindPermissionDenied}
	}
	return nil
}

func notFound(t, key string) error {
	return &azure.Error{Tenant: t, Op: key, StatusCode: 404, Kind: azure.KindNotFound}
}

type fakeDir struct {
	azure.Directory // writes are not part of refresh: calling one panics
	f               *fakeAzure
	tenant          string
}

func (d *fakeDir) Tenant() string { return d.tenant }

func (d *fakeDir) GetApplicationByUniqueName(_ context.Context, n string) (*azure.Application, error) {
	key := "app:" + n
	if err := d.f.call(d.tenant, key); err != nil {
		return nil, err
	}
	if d.f.app != nil && d.f.app.UniqueName == n {
		return d.f.app, nil
	}
	return nil, notFound(d.tenant, key)
}

func (d *fakeDir) GetApplicationByAppID(_ context.Context, id string) (*azure.Application, error) {
	key := "appid:" + id
	if err := d.f.call(d.tenant, key); err != nil {
		return nil, err
	}
	return nil, notFound(d.tenant, key)
}

func (d *fakeDir) ListApplicationsByTag(_ context.Context, tag string) ([]azure.Application, error) {
	return nil, d.f.call(d.tenant, "tag:"+tag)
}

func (d *fakeDir) ListApplicationsByDisplayName(_ context.Context, n string) ([]azure.Application, error) {
	return nil, d.f.call(d.tenant, "name:"+n)
}

func (d *fakeDir) GetServicePrincipal(_ context.Context, appID string) (*azure.ServicePrincipal, error) {
	key := "sp:" + d.tenant
	if err := d.f.call(d.tenant, key); err != nil {
		return nil, err
	}
	if sp := d.f.sps[d.tenant]; sp != nil {
		return sp, nil
	}
	return nil, notFound(d.tenant, key)
}

type fakeRes struct {
	azure.Resources
	f      *fakeAzure
	tenant string
}

func (r *fakeRes) Tenant() string { return r.tenant }

func (r *fakeRes) GetGallery(_ context.Context, id string) (*azure.Gallery, error) {
	if err := r.f.call(r.tenant, "gallery:"+id); err != nil {
		return nil, err
	}
	return &azure.Gallery{ID: id}, nil
}

func (r *fakeRes) GetImageVersion(_ context.Context, g, i, v string) (*azure.ImageVersion, error) {
	key := "version:" + i + "/" + v
	if err := r.f.call(r.tenant, key); err != nil {
		return nil, err
	}
	if x := r.f.versions[i+"/"+v]; x != nil {
		return x, nil
	}
	return nil, notFound(r.tenant, key)
}

func (r *fakeRes) ListRoleAssignments(_ context.Context, scope, p string) ([]azure.RoleAssignment, error) {
	return nil, r.f.call(r.tenant, "list:"+scope+"|"+p)
}

func (r *fakeRes) GetRoleAssignment(_ context.Context, id string) (*azure.RoleAssignment, error) {
	key := "ra:" + id
	if err := r.f.call(r.tenant, key); err != nil {
		return nil, err
	}
	return nil, notFound(r.tenant, key)
}

func (r *fakeRes) CheckScope(_ context.Context, scope string) error {
	return r.f.call(r.tenant, "scope:"+scope)
}

// manyConsumers is the quickstart with n managed consumers sharing one scope
// pattern, plus a manual one without credentials.
func manyConsumers(n int) *spec.Manifest {
	m := withGamma(quickstart())
	for i := range n {
		m.Consumers = append(m.Consumers, spec.Consumer{Name: fmt.Sprintf("c%02d", i),
			Tenant: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Access: spec.AccessManaged,
			Grants: []spec.Grant{{Scope: fmt.Sprintf("/subscriptions/%08d-0000-4000-8000-00000000000f/resourceGroups/rg", i),
				Role: spec.Role{Name: "Contributor", DefinitionGUID: contribG}}}})
	}
	return m
}

func TestRefreshBoundedAndNoRepeats(t *testing.T) {
	m := manyConsumers(30)
	f := newFake()
	f.delay = 2 * time.Millisecond
	for _, c := range m.Consumers {
		if c.Access == spec.AccessManaged {
			f.creds[c.Tenant] = true
			f.sps[c.Tenant] = &azure.ServicePrincipal{Tenant: c.Tenant, ObjectID: "sp-" + c.Name, AppID: appID}
		}
	}
	f.creds[tPub] = true
	f.app = liveApp(MarkerTag(manifestN))
	f.sps[tPub] = &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID}
	f.versions["ubuntu-2204/1.0.0"] = readyVersion()

	snap, err := Refresh(t.Context(), m, nil, f, RefreshOptions{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if p := f.peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak calls in flight = %d; want 2..4 with --parallelism 4", p)
	}
	for k, n := range f.calls {
		if n != 1 {
			t.Errorf("%s read %d times", k, n)
		}
	}
	// app + gallery + version + (1 + 31 managed) SPs + 32 assignment lists.
	if want := 3 + 32 + 32; snap.Calls != want || len(f.calls) != want {
		t.Errorf("calls = %d (%d keys), want %d", snap.Calls, len(f.calls), want)
	}
	if o := snap.Tenants[TenantKey(tGamma)]; o.Readable || !strings.Contains(o.Note, "manual") {
		t.Errorf("manual tenant observation %+v", o)
	}
	if _, ok := f.calls["sp:"+tGamma]; ok {
		t.Error("the manual tenant without credentials was read")
	}
}

func TestRefreshClassifies(t *testing.T) {
	m := withGamma(quickstart())
	f := newFake()
	f.creds[tPub], f.creds[tFab], f.creds[tGamma] = true, true, true
	f.badAuth[tGamma] = true // a manual tenant the default chain cannot sign in to
	f.app = liveApp(MarkerTag(manifestN))
	f.sps[tPub] = &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID}
	f.denied["sp:"+tFab] = true

	snap, err := Refresh(t.Context(), m, nil, f, RefreshOptions{})
	if err != nil {
		t.Fatalf("a 403 and a manual tenant's sign-in failure must not fail refresh: %v", err)
	}
	if o := snap.SPs[TenantKey(tFab)]; o.Status != Denied || o.Err == nil {
		t.Errorf("fabrikam SP = %+v; want Denied", o)
	}
	if o := snap.Tenants[TenantKey(tGamma)]; o.Readable {
		t.Errorf("gamma readable after failed sign-in: %+v", o)
	}
	if o := snap.Versions[VersionKey(galleryID, "ubuntu-2204", "1.0.0")]; o.Status != Missing {
		t.Errorf("version = %+v; want Missing", o)
	}
	p, err := Build(m, snap, nil, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if c := mustChange(p, "sp[fabrikam]"); c.Action != Blocked || !strings.Contains(c.Blocked.Why, "HTTP 403") {
		t.Errorf("sp[fabrikam] = %s %+v", c.Action, c.Blocked)
	}

	// A managed tenant's sign-in failure is an error naming it.
	f.badAuth[tFab] = true
	_, err = Refresh(t.Context(), m, nil, f, RefreshOptions{})
	if err == nil || !strings.Contains(err.Error(), "tenant "+tFab) || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("err = %v", err)
	}
}

func TestRefreshCancelled(t *testing.T) {
	f := newFake()
	f.creds[tPub], f.creds[tFab] = true, true
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Refresh(ctx, quickstart(), nil, f, RefreshOptions{}); err == nil {
		t.Error("refresh with a cancelled context succeeded")
	}
}

func TestRefreshPublisherWithoutCredentials(t *testing.T) {
	f := newFake()
	f.creds[tFab] = true
	_, err := Refresh(t.Context(), quickstart(), nil, f, RefreshOptions{})
	if err == nil || !strings.Contains(err.Error(), "tenant "+tPub) || !strings.Contains(err.Error(), "fix:") {
		t.Fatalf("err = %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls made: %v", f.calls)
	}
}
