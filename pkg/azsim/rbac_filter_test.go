package azsim

import "testing"

func TestParseAssignmentFilter(t *testing.T) {
	tests := []struct {
		in      string
		want    assignmentFilter
		wantErr bool
	}{
		{in: ""},
		{in: "atScope()", want: assignmentFilter{AtScope: true}},
		{in: "principalId eq 'abc'", want: assignmentFilter{Principal: "abc"}},
		{in: "PrincipalId  EQ  'abc'", want: assignmentFilter{Principal: "abc"}},
		{in: "assignedTo('abc')", want: assignmentFilter{Principal: "abc"}},
		{in: "atScope() and assignedTo('abc')", want: assignmentFilter{AtScope: true, Principal: "abc"}},
		{in: "roleDefinitionId eq 'x'", wantErr: true},
		{in: "principalId eq 'a' and assignedTo('b')", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseAssignmentFilter(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseAssignmentFilter(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("parseAssignmentFilter(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestAssignmentFilterMatches(t *testing.T) {
	const sub = "/subscriptions/s"
	rg := sub + "/resourceGroups/rg"
	gal := rg + "/providers/Microsoft.Compute/galleries/g"
	above := &roleAssignment{Scope: sub, PrincipalID: "p"}
	at := &roleAssignment{Scope: rg, PrincipalID: "q"}
	below := &roleAssignment{Scope: gal, PrincipalID: "p"}
	other := &roleAssignment{Scope: sub + "/resourceGroups/rg2", PrincipalID: "p"}
	tests := []struct {
		name string
		f    assignmentFilter
		ra   *roleAssignment
		want bool
	}{
		{"none: above", assignmentFilter{}, above, true},
		{"none: at", assignmentFilter{}, at, true},
		{"none: below", assignmentFilter{}, below, true},
		{"none: sibling", assignmentFilter{}, other, false},
		{"atScope: above", assignmentFilter{AtScope: true}, above, true},
		{"atScope: below", assignmentFilter{AtScope: true}, below, false},
		{"principal: below", assignmentFilter{Principal: "P"}, below, true},
		{"principal: other principal", assignmentFilter{Principal: "p"}, at, false},
	}
	for _, tt := range tests {
		if got := tt.f.matches(tt.ra, rg); got != tt.want {
			t.Errorf("%s: matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}
