package main

import (
	"testing"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/spec"
)

func TestAssignmentsMatchesScopePrincipalRole(t *testing.T) {
	const scope = "/subscriptions/s/resourceGroups/rg"
	contributor := spec.Role{Name: "Contributor", DefinitionGUID: "b24988ac-6180-42a0-ab88-20f7382dd24c"}
	all := []azsim.RoleAssignmentView{
		{Name: "1", Scope: scope, PrincipalID: "p", RoleID: contributor.DefinitionGUID},
		{Name: "2", Scope: "/SUBSCRIPTIONS/s/resourceGroups/RG/", PrincipalID: "P", RoleID: "B24988AC-6180-42A0-AB88-20F7382DD24C"},
		{Name: "3", Scope: scope + "/child", PrincipalID: "p", RoleID: contributor.DefinitionGUID},
		{Name: "4", Scope: scope, PrincipalID: "q", RoleID: contributor.DefinitionGUID},
		{Name: "5", Scope: scope, PrincipalID: "p", RoleID: "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
	}
	tests := []struct {
		name      string
		principal string
		role      spec.Role
		want      []string
	}{
		{"duplicates across case and trailing slash", "p", contributor, []string{"1", "2"}},
		{"other principal", "q", contributor, []string{"4"}},
		{"role by name only", "p", spec.Role{Name: "Contributor"}, nil}, // views here carry no RoleName
		{"nobody", "z", contributor, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, ra := range assignments(all, scope, tc.principal, tc.role) {
				got = append(got, ra.Name)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
