package planner

import (
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
	"github.com/google/go-cmp/cmp"
)

// otherManifestsApp is the quickstart's app as another manifest
// ("contoso-golden-images") created it, seen by a manifest named other-team.
func otherManifestsApp() azure.Application {
	return *liveApp(MarkerTag(manifestN))
}

// otherTeam is the quickstart under another manifest name (so another
// default uniqueName and marker) with the same displayName.
func otherTeam() *spec.Manifest {
	m := quickstart()
	m.Name = "other-team"
	m.Publisher.App.UniqueName = spec.DefaultUniqueName(m.Name, m.Publisher.App.DisplayName)
	return m
}

// handMadeApp is an app registered in the portal: no uniqueName, no marker,
// one password someone made and holds.
func handMadeApp() *azure.Application {
	a := liveApp()
	a.UniqueName = ""
	a.Passwords[0].DisplayName = "made by hand"
	return a
}

const strayKeyID = "5a5a0000-0000-0000-0000-00000000005a"

// Issue 12 items 2 and 3: what galshare adopts, what it reports as a
// conflict, and which passwords it holds.
func TestBuildOwnership(t *testing.T) {
	strayAddr := "app.myGalleryApp.secret[" + strayKeyID + "]"
	stray := azure.PasswordCredential{KeyID: strayKeyID, DisplayName: "Shared image gallery cross-tenant app secret",
		Hint: "zz9", Start: testNow.AddDate(0, 0, -1), End: testNow.AddDate(1, 0, 0)}
	tests := []struct {
		name  string
		m     func() *spec.Manifest
		snap  func() *Snapshot
		st    func() *state.State
		want  []string
		check func(t *testing.T, p *Plan)
	}{
		{
			name: "another manifest's app with the same displayName is left alone: create our own",
			m:    otherTeam,
			snap: func() *Snapshot {
				s := emptyWorld()
				s.App = AppObs{Obs: Obs{Status: Missing}, SameName: []azure.Application{otherManifestsApp()}}
				return s
			},
			st: func() *state.State { return nil },
			want: []string{
				"app.myGalleryApp create", "app.myGalleryApp.secret[primary] create", "sp[publisher] create",
				"gallery[myGallery].role[Reader] create", "wait[myGallery/ubuntu-2204/1.0.0] wait",
				"sp[fabrikam] create", "role[fabrikam:" + vmRG + ":Contributor] create",
			},
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp")
				if !strings.Contains(c.Reason, "galshare manifest "+manifestN) || c.App.UniqueName != "other-team-mygalleryapp" {
					t.Errorf("reason %q, uniqueName %q", c.Reason, c.App.UniqueName)
				}
			},
		},
		{
			name: "a hand-made app found only by displayName is a conflict with both fixes",
			m:    quickstart,
			snap: func() *Snapshot {
				s := emptyWorld()
				s.App = AppObs{Obs: Obs{Status: Missing}, SameName: []azure.Application{*handMadeApp()}}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp")
				if c.Action != Blocked || !strings.Contains(c.Blocked.Why, appID) || !strings.Contains(c.Blocked.Why, "never adopts an app by its display name") {
					t.Fatalf("app = %s %+v; want blocked naming the appId", c.Action, c.Blocked)
				}
				fix := strings.Join(c.Blocked.Instructions, "\n")
				for _, w := range []string{"adopt: {appId: " + appID + "}", "publisher.app.uniqueName"} {
					if !strings.Contains(fix, w) {
						t.Errorf("instructions lack %q:\n%s", w, fix)
					}
				}
				for _, c := range p.Changes {
					if c.Adopt || (c.Type != TypeWait && c.Action != Blocked) {
						t.Errorf("%s = %s adopt=%v; want everything but the wait blocked", c.Address, c.Action, c.Adopt)
					}
				}
			},
		},
		{
			name: "an app found by uniqueName that carries another manifest's marker is never taken over",
			m: func() *spec.Manifest {
				m := otherTeam()
				m.Publisher.App.UniqueName, m.Publisher.App.UniqueNameSet = "contoso-golden-images-mygalleryapp", true
				return m
			},
			snap: func() *Snapshot {
				s := convergedWorld()
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp")
				if c.Action != Blocked || !strings.Contains(c.Blocked.Why, "belongs to galshare manifest "+manifestN) {
					t.Fatalf("app = %s %+v; want blocked naming the owner", c.Action, c.Blocked)
				}
				for _, c := range p.Changes {
					if c.Adopt {
						t.Errorf("%s adopted", c.Address)
					}
				}
			},
		},
		{
			name: "adopt names an app: adopted, its own passwords left alone, galshare makes its own",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Publisher.App.Adopt = &spec.Adopt{AppID: appID}
				return m
			},
			snap: func() *Snapshot {
				s := emptyWorld()
				s.App = AppObs{Obs: Obs{Status: Found}, App: handMadeApp(), FoundBy: FoundByAdopt}
				s.SPs[TenantKey(tPub)] = SPObs{Obs: Obs{Status: Missing}}
				s.SPs[TenantKey(tFab)] = SPObs{Obs: Obs{Status: Missing}}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				app := mustChange(p, "app.myGalleryApp")
				if !app.Adopt || app.Origin != OriginAdopted || !strings.Contains(app.Reason, "publisher.app.adopt") {
					t.Errorf("app = %s adopt=%v origin=%s %q", app.Action, app.Adopt, app.Origin, app.Reason)
				}
				pw := mustChange(p, "app.myGalleryApp.secret[primary]")
				if pw.Action != Create || pw.Adopt || !strings.Contains(pw.Reason, keyID) || !strings.Contains(pw.Reason, "left alone") {
					t.Errorf("secret = %s adopt=%v %q; want a create that names the hand-made password as left alone", pw.Action, pw.Adopt, pw.Reason)
				}
				for _, c := range p.Changes {
					if c.Action == Delete {
						t.Errorf("%s is deleted on an adopted app", c.Address)
					}
				}
			},
		},
		{
			name: "adopt names an app that does not exist: blocked with the fix",
			m: func() *spec.Manifest {
				m := quickstart()
				m.Publisher.App.Adopt = &spec.Adopt{AppID: appID}
				return m
			},
			snap: emptyWorld,
			st:   func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp")
				if c.Action != Blocked || !strings.Contains(c.Blocked.Why, appID) {
					t.Errorf("app = %s %+v", c.Action, c.Blocked)
				}
			},
		},
		{
			name: "adopt names another manifest's app: never taken over",
			m: func() *spec.Manifest {
				m := otherTeam()
				m.Publisher.App.Adopt = &spec.Adopt{AppID: appID}
				return m
			},
			snap: func() *Snapshot {
				s := emptyWorld()
				a := otherManifestsApp()
				s.App = AppObs{Obs: Obs{Status: Found}, App: &a, FoundBy: FoundByAdopt}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				c := mustChange(p, "app.myGalleryApp")
				if c.Action != Blocked || !strings.Contains(c.Blocked.Why, MarkerTag(manifestN)) ||
					!strings.Contains(strings.Join(c.Blocked.Instructions, " "), "publisher.app.adopt") {
					t.Errorf("app = %s %+v", c.Action, c.Blocked)
				}
			},
		},
		{
			name: "lost state, nothing delivered: a password galshare does not hold is replaced, not adopted",
			m:    quickstart, snap: convergedWorld, st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				pw := mustChange(p, "app.myGalleryApp.secret[primary]")
				if pw.Action != Create || pw.Adopt {
					t.Errorf("secret = %s adopt=%v; want a create", pw.Action, pw.Adopt)
				}
				old := mustChange(p, "app.myGalleryApp.secret["+keyID+"]")
				if old.Action != Delete || old.Reason != unknownPasswordReason || old.Password.KeyID != keyID ||
					!cmp.Equal(old.DependsOn, []Address{PasswordAddress("myGalleryApp")}) {
					t.Errorf("old password = %s %q deps %v", old.Action, old.Reason, old.DependsOn)
				}
			},
		},
		{
			name: "the delivered document is for another app: not held",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.Delivered = &DeliveredKey{AppID: otherAppID, KeyID: keyID}
				return s
			},
			st: func() *state.State { return nil },
			check: func(t *testing.T, p *Plan) {
				if pw := mustChange(p, "app.myGalleryApp.secret[primary]"); pw.Action != Create {
					t.Errorf("secret = %s; want a create", pw.Action)
				}
			},
		},
		{
			name: "a stray password on galshare's app is removed, the secret kept",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.App.App.Passwords = append(s.App.App.Passwords, stray)
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				if pw := mustChange(p, "app.myGalleryApp.secret[primary]"); pw.Action != NoOp || pw.Password.KeyID != keyID {
					t.Errorf("secret = %s %s", pw.Action, pw.Password.KeyID)
				}
				c := mustChange(p, strayAddr)
				if c.Action != Delete || c.Password.KeyID != strayKeyID || c.Password.AppObjectID != appObj ||
					c.Before["hint"] != "zz9" || p.Summary().Destroy != 1 {
					t.Errorf("stray = %s %+v before %v summary %+v", c.Action, c.Password, c.Before, p.Summary())
				}
			},
		},
		{
			name: "the delivered password is held even when state records another",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.App.App.Passwords = append(s.App.App.Passwords, stray)
				s.Delivered = &DeliveredKey{AppID: appID, KeyID: strayKeyID}
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				if c := p.Change(MustParseAddress(strayAddr)); c != nil {
					t.Errorf("the delivered password is planned: %s", c.Action)
				}
			},
		},
		{
			name: "a stray password is removed only after a rotation delivered the new secret",
			m:    quickstart,
			snap: func() *Snapshot {
				s := convergedWorld()
				s.App.App.Passwords[0].End = testNow.AddDate(0, 0, 3)
				s.App.App.Passwords = append(s.App.App.Passwords, stray)
				return s
			},
			st: convergedState,
			check: func(t *testing.T, p *Plan) {
				if pw := mustChange(p, "app.myGalleryApp.secret[primary]"); pw.Action != Replace {
					t.Fatalf("secret = %s; want a rotation", pw.Action)
				}
				c := mustChange(p, strayAddr)
				if !cmp.Equal(c.DependsOn, []Address{PasswordAddress("myGalleryApp")}) {
					t.Errorf("stray removal deps %v", c.DependsOn)
				}
				pos := map[string]int{}
				for i, c := range p.Changes {
					pos[c.Address.String()] = i
				}
				if pos[strayAddr] < pos["app.myGalleryApp.secret[primary]"] {
					t.Errorf("stray removed before the rotation: %v", actions(p))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Build(tt.m(), tt.snap(), tt.st(), Options{Now: testNow})
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
