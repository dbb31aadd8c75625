package executor

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

// verifyFake is a scripted AppClients/azure.Clients: per tenant a sign-in
// result, role assignments, and image versions. Unscripted calls panic
// through the nil embedded interface.
type verifyFake struct {
	mu sync.Mutex
	// signInErrs are returned by successive sign-ins in a tenant, then success.
	signInErrs map[string][]error
	signIns    map[string]int
	// roles are the assignments per scope; listErr is returned instead when set.
	roles   map[string][]azure.RoleAssignment
	listErr error
	version *azure.ImageVersion
	// aux records the auxiliary tenants of each cross-tenant client.
	aux []string
}

func (f *verifyFake) SignInIdentity(_ context.Context, tenant string) (azure.TokenIdentity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.signIns[tenant]
	f.signIns[tenant]++
	if errs := f.signInErrs[tenant]; n < len(errs) {
		return azure.TokenIdentity{}, errs[n]
	}
	return azure.TokenIdentity{Tenant: tenant, ObjectID: "sp-" + tenant[:1], AppID: vtApp}, nil
}

func (f *verifyFake) Resources(_ context.Context, tenant string) (azure.Resources, error) {
	return &verifyFakeRes{f: f, tenant: tenant, listErr: f.listErr}, nil
}

func (f *verifyFake) ResourcesWithAuxiliary(_ context.Context, tenant string, aux ...string) (azure.Resources, error) {
	f.mu.Lock()
	f.aux = append(f.aux, tenant+"<-"+strings.Join(aux, ","))
	f.mu.Unlock()
	return &verifyFakeRes{f: f, tenant: tenant}, nil
}

func (f *verifyFake) Directory(context.Context, string) (azure.Directory, error) { return nil, nil }

type verifyFakeRes struct {
	azure.Resources
	f       *verifyFake
	tenant  string
	listErr error
}

func (r *verifyFakeRes) ListRoleAssignments(_ context.Context, scope, principal string) ([]azure.RoleAssignment, error) {
	if r.listErr != nil {
		return nil, r.listErr
	}
	var out []azure.RoleAssignment
	for _, ra := range r.f.roles[scope] {
		if ra.PrincipalID == principal {
			out = append(out, ra)
		}
	}
	return out, nil
}

func (r *verifyFakeRes) GetImageVersion(_ context.Context, galleryID, image, version string) (*azure.ImageVersion, error) {
	v := *r.f.version
	return &v, nil
}

const vtGallery = "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"

func newVerifyFixture(t *testing.T) (*verifyFake, VerifyOptions, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret.json")
	writeSecretDoc(t, path, map[string]any{"tenant": vtPub, "clientId": vtApp, "secret": "the-value", "keyId": "k",
		"endDateTime": time.Now().Add(300 * 24 * time.Hour)})
	f := &verifyFake{signInErrs: map[string][]error{}, signIns: map[string]int{}, roles: map[string][]azure.RoleAssignment{},
		version: &azure.ImageVersion{ProvisioningState: "Succeeded", AggregatedReplication: "Completed",
			Regions: []azure.RegionStatus{{Region: "eastus", State: "Completed"}}, TargetRegions: []string{"eastus"}}}
	opts := VerifyOptions{AsApp: func(appID string, s azure.Secret) AppClients {
		if appID != vtApp || s.Reveal() != "the-value" {
			t.Errorf("AsApp(%q, secret ok=%v)", appID, s.Reveal() == "the-value")
		}
		return f
	}}
	return f, opts, path
}

// galleryWithVersion is the quickstart gallery, Reader, waiting for one version.
func galleryWithVersion() spec.Gallery {
	return spec.Gallery{ID: vtGallery, Name: "myGallery",
		Role:    spec.Role{Name: "Reader", DefinitionGUID: "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
		WaitFor: []spec.ImageVersionRef{{Image: "ubuntu-2204", Version: "1.0.0"}}}
}

func TestVerifyWithFakes(t *testing.T) {
	scope := "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg"
	contributor := "b24988ac-6180-42a0-ab88-20f7382dd24c"
	grantAll := func(f *verifyFake, _ *VerifyOptions) {
		f.roles[scope] = []azure.RoleAssignment{
			{Name: "ra-2", PrincipalID: "sp-2", RoleDefinitionGUID: contributor},
			{Name: "ra-6", PrincipalID: "sp-6", RoleDefinitionGUID: contributor},
		}
	}
	cases := []struct {
		name    string
		arrange func(f *verifyFake, o *VerifyOptions)
		wantOK  bool
		check   func(t *testing.T, f *verifyFake, rep *VerifyReport)
	}{
		{"all ok, cross-tenant reads carry the publisher as auxiliary", grantAll, true, func(t *testing.T, f *verifyFake, rep *VerifyReport) {
			if len(f.aux) != 2 || !strings.HasSuffix(f.aux[0], "<-"+vtPub) {
				t.Errorf("auxiliary clients %v, want one per consumer with the publisher tenant", f.aux)
			}
		}},
		{"lag on sign-in is retried with --retry-for", func(f *verifyFake, o *VerifyOptions) {
			grantAll(f, o)
			o.RetryFor, o.retryInitial = 5*time.Second, time.Millisecond
			lag := &azure.Error{Tenant: vtMgd, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS700016"}
			f.signInErrs[vtMgd] = []error{lag, lag}
		}, true, func(t *testing.T, f *verifyFake, rep *VerifyReport) {
			if f.signIns[vtMgd] != 3 {
				t.Errorf("%d sign-ins in the consumer tenant, want 3", f.signIns[vtMgd])
			}
		}},
		{"without --retry-for lag is reported at once", func(f *verifyFake, o *VerifyOptions) {
			grantAll(f, o)
			f.signInErrs[vtMgd] = []error{&azure.Error{Tenant: vtMgd, Op: "sign in", Kind: azure.KindAuthFailed, Code: "AADSTS700016"}}
		}, false, func(t *testing.T, f *verifyFake, rep *VerifyReport) {
			if f.signIns[vtMgd] != 1 || rep.Summary.Failed != 1 || rep.Summary.Skipped != 2 {
				t.Errorf("%d sign-ins, summary %+v; want 1 sign-in, 1 failed, 2 skipped", f.signIns[vtMgd], rep.Summary)
			}
		}},
		{"role of another definition does not count", func(f *verifyFake, o *VerifyOptions) {
			f.roles[scope] = []azure.RoleAssignment{
				{Name: "ra-2", PrincipalID: "sp-2", RoleDefinitionGUID: "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
				{Name: "ra-6", PrincipalID: "sp-6", RoleDefinitionGUID: contributor},
			}
		}, false, func(t *testing.T, f *verifyFake, rep *VerifyReport) {
			for _, c := range rep.Checks {
				if c.Kind == CheckRole && c.Party == "managed" && (c.Result != ResultFail || !strings.Contains(c.Detail, "not assigned")) {
					t.Errorf("managed role row: %s %q", c.Result, c.Detail)
				}
			}
		}},
		{"app may not list: operator answers", func(f *verifyFake, o *VerifyOptions) {
			grantAll(f, o)
			f.listErr = &azure.Error{Kind: azure.KindPermissionDenied, Code: "AuthorizationFailed"}
			o.Operator = &verifyFakeOperator{f: f}
		}, true, func(t *testing.T, f *verifyFake, rep *VerifyReport) {
			for _, c := range rep.Checks {
				if c.Kind == CheckRole && c.Via != "operator" {
					t.Errorf("%s role row via %q, want operator", c.Party, c.Via)
				}
			}
		}},
		{"version not replicated", func(f *verifyFake, o *VerifyOptions) {
			grantAll(f, o)
			f.version.AggregatedReplication = "InProgress"
			f.version.Regions[0].State, f.version.Regions[0].Progress = "Replicating", 40
		}, false, func(t *testing.T, f *verifyFake, rep *VerifyReport) {
			if rep.Summary.Failed != 2 {
				t.Errorf("summary %+v, want both consumers' image rows failing", rep.Summary)
			}
			for _, c := range rep.Checks {
				if c.Kind == CheckImage && !strings.Contains(c.Detail, "not ready: Succeeded, replication InProgress (eastus Replicating 40%)") {
					t.Errorf("image row detail %q", c.Detail)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, opts, path := newVerifyFixture(t)
			tc.arrange(f, &opts)
			m := verifyManifest(path)
			m.Publisher.Galleries = []spec.Gallery{galleryWithVersion()}
			f.roles[vtGallery] = []azure.RoleAssignment{{Name: "ra-1", PrincipalID: "sp-1", RoleDefinitionGUID: "acdd72a7-3385-48ef-bd42-f606fba81ae7"}}
			rep, err := Verify(context.Background(), m, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK != tc.wantOK {
				t.Fatalf("OK = %v, want %v: %+v", rep.OK, tc.wantOK, rep.Checks)
			}
			// secret + 3 sign-ins + gallery role + 2×(image + grant)
			if rep.Summary.Total != 9 {
				t.Fatalf("%d checks, want 9", rep.Summary.Total)
			}
			tc.check(t, f, rep)
		})
	}
}

// verifyFakeOperator is galshare's own credentials in the fake: it can list.
type verifyFakeOperator struct{ f *verifyFake }

func (o *verifyFakeOperator) Directory(context.Context, string) (azure.Directory, error) {
	return nil, nil
}
func (o *verifyFakeOperator) Resources(_ context.Context, tenant string) (azure.Resources, error) {
	return &verifyFakeRes{f: o.f, tenant: tenant}, nil
}
