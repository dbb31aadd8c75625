package planner

import (
	"fmt"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// Fixed identifiers of the quickstart world used by the table tests.
const (
	tPub      = "11111111-1111-1111-1111-111111111111"
	tFab      = "22222222-2222-2222-2222-222222222222"
	tGamma    = "66666666-6666-6666-6666-666666666666"
	galleryID = "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"
	vmRG      = "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg"
	gammaRG   = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/gamma-vms"
	readerG   = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	contribG  = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	appObj    = "aaaa0000-0000-0000-0000-000000000001"
	appID     = "bbbb0000-0000-0000-0000-000000000002"
	spPubObj  = "cccc0000-0000-0000-0000-000000000003"
	spFabObj  = "dddd0000-0000-0000-0000-000000000004"
	keyID     = "eeee0000-0000-0000-0000-000000000005"
	manifestN = "contoso-golden-images"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// quickstart is examples/quickstart.yaml as the spec package decodes it.
func quickstart() *spec.Manifest {
	return &spec.Manifest{
		Version: 1,
		Name:    manifestN,
		Path:    "/work/examples/quickstart.yaml",
		SHA256:  "0123456789abcdef",
		Publisher: spec.Publisher{
			Tenant: tPub,
			App: spec.App{
				DisplayName:    "myGalleryApp",
				UniqueName:     "contoso-golden-images-mygalleryapp",
				SignInAudience: "AzureADandPersonalMicrosoftAccount",
				RedirectURIs:   []string{"https://www.microsoft.com"},
				Secret: &spec.Secret{
					Description: "Shared image gallery cross-tenant app secret",
					Lifetime:    8760 * time.Hour,
					RenewBefore: 720 * time.Hour,
					DeliverTo:   spec.Delivery{Kind: "file", Path: "/work/examples/secrets/myGalleryApp.json"},
				},
			},
			Galleries: []spec.Gallery{{
				ID: galleryID, SubscriptionID: "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", ResourceGroup: "images-rg",
				Name: "myGallery", Role: spec.Role{Name: "Reader", DefinitionGUID: readerG},
				WaitFor: []spec.ImageVersionRef{{Image: "ubuntu-2204", Version: "1.0.0"}},
			}},
		},
		Consumers: []spec.Consumer{{
			Name: "fabrikam", Tenant: tFab, Access: spec.AccessManaged,
			Grants: []spec.Grant{{Scope: vmRG, Role: spec.Role{Name: "Contributor", DefinitionGUID: contribG}}},
		}},
	}
}

// withGamma adds a manual consumer.
func withGamma(m *spec.Manifest) *spec.Manifest {
	m.Consumers = append(m.Consumers, spec.Consumer{
		Name: "gamma", Tenant: tGamma, Access: spec.AccessManual,
		Grants: []spec.Grant{{Scope: gammaRG, Role: spec.Role{Name: "Contributor", DefinitionGUID: contribG}}},
	})
	return m
}

func liveApp(tags ...string) *azure.Application {
	return &azure.Application{
		ObjectID: appObj, AppID: appID, DisplayName: "myGalleryApp",
		UniqueName: "contoso-golden-images-mygalleryapp", SignInAudience: "AzureADandPersonalMicrosoftAccount",
		RedirectURIs: []string{"https://www.microsoft.com"}, Tags: tags, RequestedAccessTokenVersion: 2,
		Passwords: []azure.PasswordCredential{{KeyID: keyID, DisplayName: "Shared image gallery cross-tenant app secret",
			Hint: "abc", Start: testNow.AddDate(0, -1, 0), End: testNow.AddDate(0, 11, 0)}},
	}
}

func raID(scope, name string) string {
	return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name
}

func liveRA(scope, roleGUID, principal, name string, marked bool) azure.RoleAssignment {
	d := ""
	if marked {
		d = MarkerDescription(manifestN)
	}
	return azure.RoleAssignment{ID: raID(scope, name), Name: name, Scope: scope,
		RoleDefinitionID: "/providers/Microsoft.Authorization/roleDefinitions/" + roleGUID, RoleDefinitionGUID: roleGUID,
		PrincipalID: principal, PrincipalType: "ServicePrincipal", Description: d}
}

func readyVersion() *azure.ImageVersion {
	return &azure.ImageVersion{ID: galleryID + "/images/ubuntu-2204/versions/1.0.0", GalleryID: galleryID,
		Image: "ubuntu-2204", Version: "1.0.0", ProvisioningState: "Succeeded", AggregatedReplication: "Completed",
		TargetRegions: []string{"eastus", "westeurope"},
		Regions:       []azure.RegionStatus{{Region: "eastus", State: "Completed", Progress: 100}, {Region: "westeurope", State: "Completed", Progress: 100}}}
}

func replicatingVersion() *azure.ImageVersion {
	v := readyVersion()
	v.AggregatedReplication = "InProgress"
	v.Regions[1] = azure.RegionStatus{Region: "westeurope", State: "Replicating", Progress: 40}
	return v
}

// emptyWorld is the quickstart world before anything was done: gallery and
// image version exist, nothing else.
func emptyWorld() *Snapshot {
	s := NewSnapshot()
	s.App = AppObs{Obs: Obs{Status: Missing}}
	s.Galleries[IDKey(galleryID)] = GalleryObs{Obs: Obs{Status: Found}, Gallery: &azure.Gallery{ID: galleryID, Name: "myGallery"}}
	s.Versions[VersionKey(galleryID, "ubuntu-2204", "1.0.0")] = VersionObs{Obs: Obs{Status: Found}, Version: replicatingVersion()}
	s.Scopes[IDKey(vmRG)] = ScopeObs{Obs: Obs{Status: Found}}
	return s
}

// convergedWorld is the quickstart world after apply.
func convergedWorld() *Snapshot {
	s := emptyWorld()
	s.App = AppObs{Obs: Obs{Status: Found}, App: liveApp(MarkerTag(manifestN)), FoundBy: "uniqueName"}
	s.Versions[VersionKey(galleryID, "ubuntu-2204", "1.0.0")] = VersionObs{Obs: Obs{Status: Found}, Version: readyVersion()}
	s.SPs[TenantKey(tPub)] = SPObs{Obs: Obs{Status: Found}, SP: &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID, Tags: []string{MarkerTag(manifestN)}}}
	s.SPs[TenantKey(tFab)] = SPObs{Obs: Obs{Status: Found}, SP: &azure.ServicePrincipal{Tenant: tFab, ObjectID: spFabObj, AppID: appID, Tags: []string{MarkerTag(manifestN)}}}
	s.Assignments[AssignmentsKey(galleryID, spPubObj)] = AssignmentsObs{Obs: Obs{Status: Found},
		Assignments: []azure.RoleAssignment{liveRA(galleryID, readerG, spPubObj, "11110000-0000-0000-0000-00000000000a", true)}}
	s.Assignments[AssignmentsKey(vmRG, spFabObj)] = AssignmentsObs{Obs: Obs{Status: Found},
		Assignments: []azure.RoleAssignment{liveRA(vmRG, contribG, spFabObj, "22220000-0000-0000-0000-00000000000b", true)}}
	return s
}

// convergedState is the state apply leaves for convergedWorld.
func convergedState() *state.State {
	res := func(addr, typ, tenant, id string, attrs map[string]string) state.Resource {
		return state.Resource{Address: addr, Type: typ, Tenant: tenant, ID: id, Origin: state.OriginCreated, Attributes: attrs}
	}
	return &state.State{Version: 1, Lineage: "5c0ffee0-0000-4000-8000-000000000000", Serial: 7, Resources: []state.Resource{
		res("app.myGalleryApp", "application", tPub, appObj, map[string]string{AttrAppID: appID, AttrDisplayName: "myGalleryApp"}),
		res("app.myGalleryApp.secret[primary]", "password", tPub, keyID, map[string]string{AttrAppObjectID: appObj}),
		res("sp[publisher]", "service_principal", tPub, spPubObj, map[string]string{AttrAppID: appID}),
		res("gallery[myGallery].role[Reader]", "role_assignment", tPub, raID(galleryID, "11110000-0000-0000-0000-00000000000a"),
			map[string]string{AttrScope: galleryID, AttrRoleDefinitionGUID: readerG, AttrPrincipalID: spPubObj}),
		res("sp[fabrikam]", "service_principal", tFab, spFabObj, map[string]string{AttrAppID: appID}),
		res("role[fabrikam:"+vmRG+":Contributor]", "role_assignment", tFab, raID(vmRG, "22220000-0000-0000-0000-00000000000b"),
			map[string]string{AttrScope: vmRG, AttrRoleDefinitionGUID: contribG, AttrPrincipalID: spFabObj}),
	}}
}

// actions renders a plan as "address action" lines for compact assertions.
func actions(p *Plan) []string {
	out := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		s := c.Address.String() + " " + c.Action.String()
		if c.Adopt {
			s += " adopt:" + c.Origin
		}
		if c.Forget {
			s += " forget"
		}
		out[i] = s
	}
	return out
}

func mustChange(p *Plan, addr string) *Change {
	c := p.Change(MustParseAddress(addr))
	if c == nil {
		panic(fmt.Sprintf("no change at %s in %v", addr, actions(p)))
	}
	return c
}
