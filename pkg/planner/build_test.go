package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
	"github.com/google/go-cmp/cmp"
)

func TestBuild(t *testing.T) {
	roleFab := "role[fabrikam:" + vmRG + ":Contributor]"
	roleGamma := "role[gamma:" + gammaRG + ":Contributor]"
	tests := []struct {
		name  string
		m     func() *spec.Manifest
		snap  func() *Snapshot
		st    func() *state.State
		opts  Options
		want  []string
		check func(t *testing.T, p *Plan)
	}{
		{
			name: "empty world plans every step in procedure order",
			m:    quickstart, snap: emptyWorld, st: func() *state.State { return nil },
			want: []string{
				"app.myGalleryApp create", "app.myGalleryApp.secret[primary] create", "sp[publisher] create",
				"gallery[myGallery].role[Reader] create", "wait[myGallery/ubuntu-2204/1.0.0] wait",
				"sp[fabrikam] create", roleFab + " create",
			},
			check: func(t *testing.T, p *Plan) {
				deps := map[string][]Address{
					"app.myGalleryApp.secret[primary]": {AppAddress("myGalleryApp")},
					"sp[publisher]":                    {AppAddress("myGalleryApp")},
					"gallery[myGallery].role[Reader]":  {SPAddress("publisher")},
					"sp[fabrikam]":                     {AppAddress("myGalleryApp")},
					roleFab:                            {SPAddress("fabrikam")},
				}
				for a, want := range deps {
					if diff := cmp.Diff(want, mustChange(p, a).DependsOn); diff != "" {
						t.Errorf("%s depends_on (-want +got):\n%s", a, diff)
					}
				}
				if w := mustChange(p, "wait[myGallery/ubuntu-2204/1.0.0]"); len(w.DependsOn) != 0 {
					t.Errorf("wait has dependencies %v; want none", w.DependsOn)
				}
				app := mustChange(p, "app.myGalleryApp")
				if app.Reason != "missing" || app.Origin != OriginCreated || app.App.RequestedAccessTokenVersion != 2 {
					t.Errorf("app change = %+v", app)
				}
				if !slices.Contains(app.App.Tags, "galshare:"+manifestN) {
					t.Errorf("app tags %v lack the galshare marker", app.App.Tags)
				}
				if got := app.After["appId"]; got != KnownAfterApply {
					t.Errorf("after.appId = %q", got)
				}
				s := p.Summary()
				if s.Add != 6 || s.Wait != 1 || s.Change != 0 || s.Destroy != 0 || !p.HasChanges() || p.IsBlocked() {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name: "converged world has no changes",
			m:    quickstart, snap: convergedWorld, st: convergedState,
			want: []string{
				"app.myGalleryApp no-op", "app.myGalleryApp.secret[primary] no-op", "sp[publisher] no-op",
				"gallery[myGallery].role[Reader] no-op", "wait[myGallery/ubuntu-2204/1.0.0] no-op",
				"sp[fabrikam] no-op", roleFab + " no-op",
			},
			check: func(t *testing.T, p *Plan) {
				if p.HasChanges() || p.IsBlocked() {
					t.Errorf("HasChanges=%v IsBlocked=%v; want false", p.HasChanges(), p.IsBlocked())
				}
				for _, c := range p.Changes {
					if c.Type != TypeWait && c.Fingerprint == "" {
						t.Errorf("%s has no fingerprint", c.Address)
					}
				}
				if p.State.Lineage == "" || p.State.Serial != 7 {
					t.Errorf("state ref %+v", p.State)
				}
			},
		},
		{
			name: "partly done by hand: adopt what exists, create the rest",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Publisher.App.Adopt = &spec.Adopt{AppID: appID}
				return m
			},
			snap: func() *Snapshot {
				s := emptyWorld()
				app := liveApp() // no galshare tag, no uniqueName: registered in the portal
				app.UniqueName = ""
				app.Passwords = nil
				s.App = AppObs{Obs: Obs{Status: Found}, App: app, FoundBy: FoundByAdopt}
				s.SPs[TenantKey(tPub)] = SPObs{Obs: Obs{Status: Found}, SP: &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID}}
				s.SPs[TenantKey(tFab)] = SPObs{Obs: Obs{Status: Missing}}
				s.Assignments[AssignmentsKey(galleryID, spPubObj)] = AssignmentsObs{Obs: Obs{Status: Found},
					Assignments: []azure.RoleAssignment{liveRA(galleryID, readerG, spPubObj, "99990000-0000-0000-0000-000000000009", false)}}
				return s
			},
			st: func() *state.State { return nil },
			want: []string{
				"app.myGalleryApp no-op adopt:adopted", "app.myGalleryApp.secret[primary] create",
				"sp[publisher] no-op adopt:adopted", "gallery[myGallery].role[Reader] no-op adopt:adopted",
				"wait[myGallery/ubuntu-2204/1.0.0] wait", "sp[fabrikam] create", roleFab + " create",
			},
			check: func(t *testing.T, p *Plan) {
				app := mustChange(p, "app.myGalleryApp")
				if slices.Contains(app.App.Tags, MarkerTag(manifestN)) {
					t.Errorf("adopted app would get the galshare marker: %v", app.App.Tags)
				}
				if app.App.ObjectID != appObj || app.App.UniqueName != "" {
					t.Errorf("adopted app payload %+v", app.App)
				}
				pw := mustChange(p, "app.myGalleryApp.secret[primary]")
				if pw.Password.AppObjectID != appObj || pw.Password.AppID != appID {
					t.Errorf("password payload lacks the known app ids: %+v", pw.Password)
				}
				sp := mustChange(p, "sp[fabrikam]")
				if sp.ServicePrincipal.AppID != appID || sp.After["appId"] != appID {
					t.Errorf("sp payload %+v after %v", sp.ServicePrincipal, sp.After)
				}
				if !strings.Contains(mustChange(p, "sp[publisher]").Reason, "adopting") {
					t.Errorf("reason %q", mustChange(p, "sp[publisher]").Reason)
				}
				if p.Summary().Adopt != 3 {
					t.Errorf("summary %+v", p.Summary())
				}
			},
		},
		{
			name: "drift on the app is an update naming the field",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.App.App.RedirectURIs = []string{"https://evil.example.com"}
				return s
			},
			st:   convergedState,
			want: nil,
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp")
				if c.Action != Update || c.Reason != "changed outside galshare: redirectUris" {
					t.Errorf("app = %s %q", c.Action, c.Reason)
				}
				if diff := cmp.Diff([]string{"redirectUris"}, c.App.Changed); diff != "" {
					t.Errorf("changed (-want +got):\n%s", diff)
				}
				if c.Before["redirectUris"] != `["https://evil.example.com"]` || c.After["redirectUris"] != `["https://www.microsoft.com"]` {
					t.Errorf("before/after %v / %v", c.Before, c.After)
				}
				if s := p.Summary(); s.Change != 1 || s.Add != 0 {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name: "secret inside renewBefore is rotated",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.App.App.Passwords[0].End = testNow.Add(12*24*time.Hour + time.Hour)
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp.secret[primary]")
				if c.Action != Replace || c.Reason != "secret expires in 12 days" {
					t.Errorf("password = %s %q", c.Action, c.Reason)
				}
				if c.Password.ReplacesKeyID != keyID || c.Password.KeyID != "" || c.Password.Lifetime != 8760*time.Hour {
					t.Errorf("payload %+v", c.Password)
				}
				for k, v := range c.Before {
					if strings.Contains(strings.ToLower(k), "secret") || strings.Contains(strings.ToLower(v), "secrettext") {
						t.Errorf("before has a secret-like field %s=%s", k, v)
					}
				}
				if s := p.Summary(); s.Add != 1 || s.Destroy != 1 {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name: "expired secret is rotated",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.App.App.Passwords[0].End = testNow.Add(-3 * 24 * time.Hour)
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp.secret[primary]")
				if c.Action != Replace || c.Reason != "secret expired 3 days ago" {
					t.Errorf("password = %s %q", c.Action, c.Reason)
				}
			},
		},
		{
			name: "removed consumer plans its deletions in reverse order",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Consumers = nil
				return m
			},
			snap: func() *Snapshot {
				s := convergedWorld()
				s.AssignmentsByID[IDKey(raID(vmRG, "22220000-0000-0000-0000-00000000000b"))] = AssignmentObs{Obs: Obs{Status: Found},
					Assignment: &s.Assignments[AssignmentsKey(vmRG, spFabObj)].Assignments[0]}
				return s
			},
			st: convergedState,
			want: []string{
				"app.myGalleryApp no-op", "app.myGalleryApp.secret[primary] no-op", "sp[publisher] no-op",
				"gallery[myGallery].role[Reader] no-op", "wait[myGallery/ubuntu-2204/1.0.0] no-op",
				roleFab + " delete", "sp[fabrikam] delete",
			},
			check: func(t *testing.T, p *Plan) {
				sp := mustChange(p, "sp[fabrikam]")
				if diff := cmp.Diff([]Address{MustParseAddress(roleFab)}, sp.DependsOn); diff != "" {
					t.Errorf("sp delete deps (-want +got):\n%s", diff)
				}
				if sp.Reason != "no longer in manifest" || sp.ServicePrincipal.ObjectID != spFabObj {
					t.Errorf("sp = %q %+v", sp.Reason, sp.ServicePrincipal)
				}
				if ra := mustChange(p, roleFab); ra.RoleAssignment.ExistingID == "" {
					t.Errorf("role delete without id")
				}
				if s := p.Summary(); s.Destroy != 2 {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name: "removed consumer whose objects were adopted is only forgotten",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Consumers = nil
				return m
			},
			snap: convergedWorld,
			st: func() *state.State {
				st := convergedState()
				for i := range st.Resources {
					if st.Resources[i].Tenant == tFab {
						st.Resources[i].Origin = state.OriginAdopted
					}
				}
				return st
			},
			check: func(t *testing.T, p *Plan) {
				for _, a := range []string{"sp[fabrikam]", roleFab} {
					c := mustChange(p, a)
					if c.Action != NoOp || !c.Forget {
						t.Errorf("%s = %s forget=%v; want a forget", a, c.Action, c.Forget)
					}
				}
				if p.Summary().Destroy != 0 {
					t.Errorf("adopted objects would be destroyed: %+v", p.Summary())
				}
			},
		},
		{
			name: "removed consumer in a tenant galshare can no longer read: blocked deletes with commands",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Consumers = nil
				return m
			},
			snap: func() *Snapshot {
				s := convergedWorld()
				note := Obs{Status: NotRead, Note: "no credentials configured for tenant " + tFab}
				s.SPs[TenantKey(tFab)] = SPObs{Obs: note}
				s.AssignmentsByID[IDKey(raID(vmRG, "22220000-0000-0000-0000-00000000000b"))] = AssignmentObs{Obs: note}
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				sp, ra := mustChange(p, "sp[fabrikam]"), mustChange(p, roleFab)
				if sp.Action != Blocked || sp.Blocked.Command != "az ad sp delete --id "+spFabObj {
					t.Errorf("sp = %s %+v", sp.Action, sp.Blocked)
				}
				if ra.Action != Blocked || !strings.HasPrefix(ra.Blocked.Command, "az role assignment delete --ids /subscriptions/") {
					t.Errorf("role = %s %+v", ra.Action, ra.Blocked)
				}
				if mustChange(p, "app.myGalleryApp").Action != NoOp {
					t.Error("unrelated change affected")
				}
			},
		},
		{
			name: "destroy removes what galshare created in reverse order and forgets adopted",
			m:    quickstart,
			snap: convergedWorld,
			st: func() *state.State {
				st := convergedState()
				st.Resources[2].Origin = state.OriginAdopted // sp[publisher] was made by hand
				return st
			},
			opts: Options{Destroy: true},
			want: []string{
				"app.myGalleryApp.secret[primary] delete", "sp[publisher] no-op forget",
				"gallery[myGallery].role[Reader] delete", roleFab + " delete", "sp[fabrikam] delete", "app.myGalleryApp delete",
			},
			check: func(t *testing.T, p *Plan) {
				app := mustChange(p, "app.myGalleryApp")
				if diff := cmp.Diff([]Address{PasswordAddress("myGalleryApp"), SPAddress("fabrikam")}, app.DependsOn); diff != "" {
					t.Errorf("app delete deps (-want +got):\n%s", diff)
				}
				if !p.Destroy {
					t.Error("plan not marked destroy")
				}
			},
		},
		{
			name: "target keeps the object and what it depends on",
			m:    quickstart, snap: emptyWorld, st: func() *state.State { return nil },
			opts: Options{Targets: []Address{MustParseAddress(roleFab)}},
			want: []string{"app.myGalleryApp create", "sp[fabrikam] create", roleFab + " create"},
		},
		{
			name: "journal: an interrupted create is adopted as created",
			m:    quickstart,
			snap: func() *Snapshot {
				s := emptyWorld()
				app := liveApp() // created, but the crash came before tags were checked
				app.Passwords = nil
				s.App = AppObs{Obs: Obs{Status: Found}, App: app, FoundBy: "uniqueName"}
				s.SPs[TenantKey(tPub)] = SPObs{Obs: Obs{Status: Missing}}
				s.SPs[TenantKey(tFab)] = SPObs{Obs: Obs{Status: Missing}}
				return s
			},
			st: func() *state.State {
				return &state.State{Version: 1, Lineage: "l", Serial: 1, Journal: []state.JournalEntry{
					{ID: "j1", Address: "app.myGalleryApp", Type: "application", Tenant: tPub, Operation: state.OpCreate}}}
			},
			check: func(t *testing.T, p *Plan) {
				app := mustChange(p, "app.myGalleryApp")
				if !app.Adopt || app.Origin != OriginCreated || !strings.Contains(app.Reason, "interrupted apply") {
					t.Errorf("app = %+v", app)
				}
				// galshare made it, so it gets the marker back.
				if app.Action != Update || !slices.Contains(app.App.Changed, "tags") {
					t.Errorf("app action %s changed %v", app.Action, app.App.Changed)
				}
			},
		},
		{
			name: "lost state: marked objects are recorded as created, nothing duplicated",
			m:    quickstart, st: func() *state.State { return nil },
			snap: func() *Snapshot {
				s := convergedWorld()
				s.Delivered = &DeliveredKey{AppID: appID, KeyID: keyID} // the delivery file survived
				return s
			},
			want: []string{
				"app.myGalleryApp no-op adopt:created", "app.myGalleryApp.secret[primary] no-op adopt:created",
				"sp[publisher] no-op adopt:created", "gallery[myGallery].role[Reader] no-op adopt:created",
				"wait[myGallery/ubuntu-2204/1.0.0] no-op", "sp[fabrikam] no-op adopt:created", roleFab + " no-op adopt:created",
			},
		},
		{
			name: "manual consumer without credentials is blocked with exact URLs and command",
			m:    func() *spec.Manifest { return withGamma(quickstart()) },
			snap: func() *Snapshot {
				s := convergedWorld()
				s.Tenants[TenantKey(tGamma)] = TenantObs{Readable: false, Note: "manual consumer; galshare has no credentials there"}
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				sp := mustChange(p, "sp[gamma]")
				if sp.Action != Blocked || sp.Blocked == nil {
					t.Fatalf("sp[gamma] = %s", sp.Action)
				}
				wantURL := "https://login.microsoftonline.com/" + tGamma + "/oauth2/authorize?client_id=" + appID +
					"&response_type=code&redirect_uri=https%3A%2F%2Fwww.microsoft.com"
				if sp.Blocked.ConsentURL != wantURL {
					t.Errorf("consent URL\n got %s\nwant %s", sp.Blocked.ConsentURL, wantURL)
				}
				if want := "https://login.microsoftonline.com/" + tGamma + "/adminconsent?client_id=" + appID; sp.Blocked.AdminConsentURL != want {
					t.Errorf("admin consent URL %s", sp.Blocked.AdminConsentURL)
				}
				ra := mustChange(p, roleGamma)
				wantCmd := `az role assignment create --assignee ` + appID + ` --role "Contributor" --scope ` + gammaRG
				if ra.Action != Blocked || ra.Blocked.Command != wantCmd {
					t.Errorf("role = %s %+v", ra.Action, ra.Blocked)
				}
				if !p.IsBlocked() || p.HasChanges() {
					t.Errorf("IsBlocked=%v HasChanges=%v", p.IsBlocked(), p.HasChanges())
				}
				if mustChange(p, roleFab).Action != NoOp {
					t.Error("an unrelated consumer was affected by the blocked one")
				}
			},
		},
		{
			name: "manual consumer before the app exists: appId known after apply",
			m:    func() *spec.Manifest { return withGamma(quickstart()) },
			snap: func() *Snapshot {
				s := emptyWorld()
				s.Tenants[TenantKey(tGamma)] = TenantObs{Readable: false, Note: "manual"}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				sp := mustChange(p, "sp[gamma]")
				if !strings.Contains(sp.Blocked.ConsentURL, "client_id=<appId>") ||
					!strings.Contains(strings.Join(sp.Blocked.Instructions, " "), "known after apply") {
					t.Errorf("blocked %+v", sp.Blocked)
				}
				if mustChange(p, "sp[fabrikam]").Action != Create {
					t.Error("managed consumer not planned")
				}
				if s := p.Summary(); s.Blocked != 2 || s.Add != 6 {
					t.Errorf("summary %+v", s)
				}
			},
		},
		{
			name: "manual consumer after consent and grant is a no-op",
			m:    func() *spec.Manifest { return withGamma(quickstart()) },
			snap: func() *Snapshot {
				s := convergedWorld()
				s.SPs[TenantKey(tGamma)] = SPObs{Obs: Obs{Status: Found}, SP: &azure.ServicePrincipal{Tenant: tGamma, ObjectID: "gg", AppID: appID}}
				s.Assignments[AssignmentsKey(gammaRG, "gg")] = AssignmentsObs{Obs: Obs{Status: Found},
					Assignments: []azure.RoleAssignment{liveRA(gammaRG, contribG, "gg", "33330000-0000-0000-0000-00000000000c", false)}}
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				if p.IsBlocked() {
					t.Errorf("still blocked: %v", actions(p))
				}
				if c := mustChange(p, "sp[gamma]"); !c.Adopt || c.Origin != OriginAdopted {
					t.Errorf("sp[gamma] = %+v", c)
				}
			},
		},
		{
			name: "403 on the consumer's role assignments blocks only that grant",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.Assignments[AssignmentsKey(vmRG, spFabObj)] = AssignmentsObs{Obs: Obs{Status: Denied, Err: &azure.Error{
					Tenant: tFab, Op: "GET roleAssignments", Object: vmRG, StatusCode: 403, Code: "AuthorizationFailed",
					Kind: azure.KindPermissionDenied, MissingAction: "Microsoft.Authorization/roleAssignments/read"}}}
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, roleFab)
				if c.Action != Blocked || !strings.Contains(c.Blocked.Why, "Microsoft.Authorization/roleAssignments/read") ||
					!strings.HasPrefix(c.Blocked.Command, "az role assignment create") {
					t.Errorf("role = %s %+v", c.Action, c.Blocked)
				}
				if mustChange(p, "sp[fabrikam]").Action != NoOp {
					t.Error("sp affected")
				}
			},
		},
		{
			name: "service principal re-created by hand: adopt it, replace its grant",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.SPs[TenantKey(tFab)] = SPObs{Obs: Obs{Status: Found}, SP: &azure.ServicePrincipal{Tenant: tFab, ObjectID: "new-sp", AppID: appID}}
				s.Assignments[AssignmentsKey(vmRG, "new-sp")] = AssignmentsObs{Obs: Obs{Status: Found}}
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				sp := mustChange(p, "sp[fabrikam]")
				if !sp.Adopt || sp.Origin != OriginAdopted || sp.ServicePrincipal.ObjectID != "new-sp" {
					t.Errorf("sp = %+v", sp)
				}
				ra := mustChange(p, roleFab)
				if ra.Action != Replace || ra.RoleAssignment.PrincipalID != "new-sp" ||
					ra.RoleAssignment.ExistingID != raID(vmRG, "22220000-0000-0000-0000-00000000000b") {
					t.Errorf("role = %s %+v", ra.Action, ra.RoleAssignment)
				}
			},
		},
		{
			name: "role changed on the same scope is a replace",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Consumers[0].Grants[0].Role = spec.Role{Name: "Reader", DefinitionGUID: readerG}
				return m
			},
			snap: convergedWorld,
			st:   convergedState,
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "role[fabrikam:"+vmRG+":Reader]")
				if c.Action != Replace || c.PreviousAddress.String() != roleFab || c.RoleAssignment.ExistingID == "" {
					t.Errorf("role = %s prev=%s payload=%+v", c.Action, c.PreviousAddress, c.RoleAssignment)
				}
				if p.Change(MustParseAddress(roleFab)) != nil {
					t.Error("the old address is also planned separately")
				}
			},
		},
		{
			name: "hand-made duplicate grant listed first: destroy deletes galshare's recorded one",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				own := s.Assignments[AssignmentsKey(vmRG, spFabObj)].Assignments[0]
				hand := liveRA(vmRG, contribG, spFabObj, "00000000-0000-0000-0000-0000000000ff", true) // even with the marker copied
				s.Assignments[AssignmentsKey(vmRG, spFabObj)] = AssignmentsObs{Obs: Obs{Status: Found},
					Assignments: []azure.RoleAssignment{hand, own}}
				return s
			},
			st:   convergedState,
			opts: Options{Destroy: true},
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, roleFab)
				if c.Action != Delete || c.RoleAssignment.ExistingID != raID(vmRG, "22220000-0000-0000-0000-00000000000b") {
					t.Errorf("%s = %s of %q; want delete of the recorded assignment", roleFab, c.Action, c.RoleAssignment.ExistingID)
				}
			},
		},
		{
			name: "lost state, hand-made duplicate listed first: adopt galshare's deterministic name as created",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				own := liveRA(vmRG, contribG, spFabObj, azure.RoleAssignmentName(vmRG, spFabObj, contribG), false)
				hand := liveRA(vmRG, contribG, spFabObj, "00000000-0000-0000-0000-0000000000ff", false)
				s.Assignments[AssignmentsKey(vmRG, spFabObj)] = AssignmentsObs{Obs: Obs{Status: Found},
					Assignments: []azure.RoleAssignment{hand, own}}
				marked := liveRA(galleryID, readerG, spPubObj, "00000000-0000-0000-0000-0000000000fe", true)
				other := liveRA(galleryID, readerG, spPubObj, "00000000-0000-0000-0000-0000000000fd", false)
				s.Assignments[AssignmentsKey(galleryID, spPubObj)] = AssignmentsObs{Obs: Obs{Status: Found},
					Assignments: []azure.RoleAssignment{other, marked}}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, roleFab)
				if want := raID(vmRG, azure.RoleAssignmentName(vmRG, spFabObj, contribG)); c.RoleAssignment.ExistingID != want {
					t.Errorf("consumer grant adopts %q; want galshare's %q", c.RoleAssignment.ExistingID, want)
				}
				g := mustChange(p, "gallery[myGallery].role[Reader]")
				if g.RoleAssignment.ExistingID != raID(galleryID, "00000000-0000-0000-0000-0000000000fe") || g.Origin != OriginCreated {
					t.Errorf("gallery role adopts %q (origin %s); want the marked one as created", g.RoleAssignment.ExistingID, g.Origin)
				}
			},
		},
		{
			name: "several hand-made apps with the name: blocked, no guess",
			m:    quickstart,
			snap: func() *Snapshot {
				s := emptyWorld()
				s.App = AppObs{Obs: Obs{Status: Missing}, SameName: []azure.Application{{AppID: "x1"}, {AppID: "x2"}}}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				for _, c := range p.Changes {
					if c.Type != TypeWait && c.Action != Blocked {
						t.Errorf("%s = %s; want blocked", c.Address, c.Action)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Now = testNow
			p, err := Build(tt.m(), tt.snap(), tt.st(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, actions(p)); diff != "" {
					t.Errorf("actions (-want +got):\n%s", diff)
				}
			}
			if err := p.Validate(); err != nil {
				t.Errorf("invalid plan: %v", err)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestBuildUnknownTarget(t *testing.T) {
	_, err := Build(quickstart(), emptyWorld(), nil, Options{Now: testNow, Targets: []Address{SPAddress("nobody")}})
	if !errors.Is(err, ErrUnknownTarget) || !strings.Contains(err.Error(), "sp[fabrikam]") {
		t.Fatalf("err = %v; want ErrUnknownTarget listing addresses", err)
	}
	if strings.Contains(err.Error(), "did you mean") {
		t.Errorf("a did-you-mean for a name nothing resembles: %v", err)
	}
	// A typo gets the nearest address.
	_, err = Build(quickstart(), emptyWorld(), nil, Options{Now: testNow, Targets: []Address{SPAddress("fabrikan")}})
	if !errors.Is(err, ErrUnknownTarget) || !strings.Contains(err.Error(), "did you mean sp[fabrikam]?") {
		t.Fatalf("err = %v; want a did-you-mean sp[fabrikam]", err)
	}
}

func TestBuildDuplicateGrant(t *testing.T) {
	m := quickstart()
	m.Consumers[0].Grants = append(m.Consumers[0].Grants, m.Consumers[0].Grants[0])
	if _, err := Build(m, emptyWorld(), nil, Options{Now: testNow}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("err = %v; want a duplicate error", err)
	}
}

// TestDriftReasonAfterManifestEdit: a field that differs after the manifest
// was edited since the last apply is not blamed on someone outside
// galshare; with the same manifest it is.
func TestDriftReasonAfterManifestEdit(t *testing.T) {
	for _, tt := range []struct {
		name, stateSHA, want string
	}{
		{"same manifest", "", "changed outside galshare: redirectUris"},
		{"edited manifest", "0000000000000000000000000000000000000000000000000000000000000000", "differs from manifest (edited since the last apply): redirectUris"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := quickstart()
			m.SHA256 = "1111111111111111111111111111111111111111111111111111111111111111"
			st := convergedState()
			st.Manifest.SHA256 = tt.stateSHA
			if tt.stateSHA == "" {
				st.Manifest.SHA256 = m.SHA256
			}
			s := convergedWorld()
			s.App.App.RedirectURIs = []string{"https://other.example.com"}
			p, err := Build(m, s, st, Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if c := mustChange(p, "app.myGalleryApp"); c.Reason != tt.want {
				t.Errorf("reason %q, want %q", c.Reason, tt.want)
			}
		})
	}
}
