package azsim

import (
	"slices"
	"testing"
)

func TestSortedAssignmentKeysWhere(t *testing.T) {
	a := &armWorld{RoleAssignments: map[string]*roleAssignment{
		"b": {Name: "b", Scope: "/subscriptions/S/resourceGroups/rg", PrincipalID: "p1"},
		"a": {Name: "a", Scope: "/subscriptions/s/resourcegroups/RG/", PrincipalID: "p2"},
		"c": {Name: "c", Scope: "/subscriptions/s", PrincipalID: "p1"},
		"d": {Name: "d", Scope: "/subscriptions/t", PrincipalID: "p2"},
	}}
	tests := []struct {
		name string
		keep func(*roleAssignment) bool
		want []string
	}{
		{"all, by normalised scope then name", nil, []string{"c", "a", "b", "d"}},
		{"one principal", func(ra *roleAssignment) bool { return ra.PrincipalID == "p2" }, []string{"a", "d"}},
		{"none", func(*roleAssignment) bool { return false }, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sortedAssignmentKeysWhere(a, tt.keep); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := sortedAssignmentKeys(a); !slices.Equal(got, tests[0].want) {
		t.Errorf("sortedAssignmentKeys = %v", got)
	}
}
