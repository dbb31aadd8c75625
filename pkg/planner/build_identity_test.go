package planner

import (
	"errors"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

const otherAppID = "ffff0000-0000-0000-0000-00000000000f"

// Issue 12 item 5: an answer that changes an object's immutable identity
// (an appId, an assignment's principal, scope or role) is an error naming
// the address, the field and both values, never a plan built on it.
func TestBuildRefusesChangedIdentity(t *testing.T) {
	roleFab := "role[fabrikam:" + vmRG + ":Contributor]"
	orphanID := raID(gammaRG, "33330000-0000-0000-0000-00000000000c")
	cases := []struct {
		name  string
		snap  func(*Snapshot)
		st    func() []func(map[string]string)
		want  IdentityError
		orphn bool
	}{
		{
			name: "the app object answers another appId",
			snap: func(s *Snapshot) { s.App.App.AppID = otherAppID },
			want: IdentityError{Address: "app.myGalleryApp", ID: appObj, Field: "appId", State: appID, Live: otherAppID},
		},
		{
			name: "a service principal answers another appId",
			snap: func(s *Snapshot) {
				sp := *s.SPs[TenantKey(tFab)].SP
				sp.AppID = otherAppID
				s.SPs[TenantKey(tFab)] = SPObs{Obs: Obs{Status: Found}, SP: &sp}
			},
			want: IdentityError{Address: "sp[fabrikam]", ID: spFabObj, Field: "appId", State: appID, Live: otherAppID},
		},
		{
			name: "a role assignment answers another principal",
			snap: func(s *Snapshot) {
				k := AssignmentsKey(vmRG, spFabObj)
				o := s.Assignments[k]
				ra := o.Assignments[0]
				ra.PrincipalID = "99999999-0000-0000-0000-000000000009"
				s.Assignments[k] = AssignmentsObs{Obs: o.Obs, Assignments: []azure.RoleAssignment{ra}}
			},
			want: IdentityError{Address: roleFab, ID: raID(vmRG, "22220000-0000-0000-0000-00000000000b"), Field: "principalId",
				State: spFabObj, Live: "99999999-0000-0000-0000-000000000009"},
		},
		{
			name: "a role assignment read by id answers another role",
			snap: func(s *Snapshot) {
				ra := liveRA(gammaRG, readerG, "77770000-0000-0000-0000-000000000007", "33330000-0000-0000-0000-00000000000c", true)
				s.AssignmentsByID[IDKey(orphanID)] = AssignmentObs{Obs: Obs{Status: Found}, Assignment: &ra}
			},
			orphn: true,
			want: IdentityError{Address: "role[gamma:" + gammaRG + ":Contributor]", ID: orphanID, Field: "roleDefinitionGuid",
				State: contribG, Live: readerG},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := convergedWorld()
			s.Delivered = &DeliveredKey{AppID: appID, KeyID: keyID}
			tc.snap(s)
			st := convergedState()
			if tc.orphn {
				st.Resources = append(st.Resources, stateRes("role[gamma:"+gammaRG+":Contributor]", "role_assignment", tGamma, orphanID,
					map[string]string{AttrScope: gammaRG, AttrRoleDefinitionGUID: contribG, AttrPrincipalID: "77770000-0000-0000-0000-000000000007"}))
			}
			p, err := Build(quickstart(), s, st, Options{Now: testNow})
			var ie *IdentityError
			if !errors.As(err, &ie) {
				var acts []string
				if p != nil {
					acts = actions(p)
				}
				t.Fatalf("Build = %v (plan %v); want an *IdentityError", err, acts)
			}
			if *ie != tc.want {
				t.Errorf("error %+v\nwant  %+v", *ie, tc.want)
			}
		})
	}
}

// The case end to end through Refresh: Graph answers the app object
// with another appId. Today's code then planned a new service principal and
// moved the gallery's Reader assignment to it.
func TestRefreshThenBuildRefusesChangedAppID(t *testing.T) {
	f := newFake()
	f.creds[tPub], f.creds[tFab] = true, true
	f.app = liveApp(MarkerTag(manifestN))
	f.app.AppID = otherAppID
	f.sps[tPub] = &azure.ServicePrincipal{Tenant: tPub, ObjectID: spPubObj, AppID: appID}
	f.sps[tFab] = &azure.ServicePrincipal{Tenant: tFab, ObjectID: spFabObj, AppID: appID}
	f.versions["ubuntu-2204/1.0.0"] = readyVersion()
	m := quickstart()
	snap, err := Refresh(t.Context(), m, convergedState(), f, RefreshOptions{NoPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(m, snap, convergedState(), Options{Now: testNow})
	var ie *IdentityError
	if !errors.As(err, &ie) || ie.Address != "app.myGalleryApp" || ie.Field != "appId" {
		var acts []string
		if p != nil {
			acts = actions(p)
		}
		t.Fatalf("Build = %v (plan %v); want an *IdentityError for app.myGalleryApp's appId", err, acts)
	}
}

func stateRes(addr, typ, tenant, id string, attrs map[string]string) state.Resource {
	return state.Resource{Address: addr, Type: typ, Tenant: tenant, ID: id, Origin: state.OriginCreated, Attributes: attrs}
}
