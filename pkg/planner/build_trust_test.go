package planner

import (
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// TestBuildDeletesOnlyWhatIsGalshares: a delete that state asks for (an
// orphan record, or destroy) is planned only when the live object is
// galshare's: a role assignment of galshare's service principal with the
// marker description, a service principal or app with the marker tag, a
// password under the recorded name. Anything else is forgotten with the
// reason, never deleted (issue 12, item 6).
func TestBuildDeletesOnlyWhatIsGalshares(t *testing.T) {
	const operator = "99999999-0000-4000-8000-00000000a11a"
	sub := "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
	uaaAddr := "role[fabrikam:" + sub + ":User Access Administrator]"
	// withOrphanRA adds a state record at uaaAddr for the live assignment ra.
	withOrphanRA := func(ra azure.RoleAssignment) (func() *Snapshot, func() *state.State) {
		snap := func() *Snapshot {
			s := convergedWorld()
			s.AssignmentsByID[IDKey(ra.ID)] = AssignmentObs{Obs: Obs{Status: Found}, Assignment: &ra}
			return s
		}
		st := func() *state.State {
			s := convergedState()
			s.Resources = append(s.Resources, state.Resource{Address: uaaAddr, Type: "role_assignment", Tenant: tFab, ID: ra.ID,
				Origin: state.OriginCreated, Attributes: map[string]string{AttrScope: sub, AttrPrincipalID: ra.PrincipalID}})
			return s
		}
		return snap, st
	}
	operatorUAA := liveRA(sub, "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", operator, "0429a8d5-e072-5b30-b73f-2b15c9ffb6f3", false)
	operatorUAA.PrincipalType = "User"
	ours := liveRA(sub, "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", spFabObj, "0429a8d5-e072-5b30-b73f-2b15c9ffb6f3", true)
	unmarked := liveRA(sub, "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", spFabObj, "0429a8d5-e072-5b30-b73f-2b15c9ffb6f3", false)
	uaaSnap, uaaState := withOrphanRA(operatorUAA)
	oursSnap, oursState := withOrphanRA(ours)
	unmarkedSnap, unmarkedState := withOrphanRA(unmarked)

	tests := []struct {
		name    string
		snap    func() *Snapshot
		st      func() *state.State
		destroy bool
		addr    string
		refused []string // substrings of the reason; nil: a delete is planned
	}{
		{"orphan record of the operator's UAA assignment", uaaSnap, uaaState, false, uaaAddr,
			[]string{"refusing to delete", "of principal " + operator, "not of galshare's service principal", spFabObj}},
		{"orphan record of galshare's own assignment", oursSnap, oursState, false, uaaAddr, nil},
		{"orphan record of galshare's principal without the marker", unmarkedSnap, unmarkedState, false, uaaAddr,
			[]string{"refusing to delete", `has description ""`, MarkerDescription(manifestN)}},
		{"orphan SP record (consumer removed) without the marker tag", func() *Snapshot {
			s := convergedWorld()
			s.SPs[TenantKey(tFab)].SP.Tags = nil
			return s
		}, convergedState, false, "sp[fabrikam]", []string{"refusing to delete", "carries no galshare marker tag"}},
		{"orphan SP record (consumer removed) of galshare", convergedWorld, convergedState, false, "sp[fabrikam]", nil},
		{"destroy of a service principal without the marker tag", func() *Snapshot {
			s := convergedWorld()
			s.SPs[TenantKey(tFab)].SP.Tags = []string{"team:images"}
			return s
		}, convergedState, true, "sp[fabrikam]", []string{"refusing to delete", "service principal " + spFabObj}},
		{"destroy of an app without the marker tag", func() *Snapshot {
			s := convergedWorld()
			s.App.App.Tags = nil
			return s
		}, convergedState, true, "app.myGalleryApp", []string{"refusing to delete", "app " + appID}},
		{"destroy of galshare's app", convergedWorld, convergedState, true, "app.myGalleryApp", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := quickstart()
			if strings.HasPrefix(tt.name, "orphan SP record (consumer removed)") {
				m.Consumers = nil
			}
			p, err := Build(m, tt.snap(), tt.st(), Options{Now: testNow, Destroy: tt.destroy})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("invalid plan: %v", err)
			}
			c := mustChange(p, tt.addr)
			if tt.refused == nil {
				if c.Action != Delete {
					t.Errorf("%s = %s (%s); want delete", tt.addr, c.Action, c.Reason)
				}
				return
			}
			if c.Action != NoOp || !c.Forget {
				t.Errorf("%s = %s forget=%v (%s); want a forget", tt.addr, c.Action, c.Forget, c.Reason)
			}
			for _, w := range tt.refused {
				if !strings.Contains(c.Reason, w) {
					t.Errorf("reason %q\nwant it to mention %q", c.Reason, w)
				}
			}
		})
	}
}
