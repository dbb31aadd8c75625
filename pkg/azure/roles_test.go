package azure

import (
	"testing"

	"github.com/google/uuid"
)

func TestRoleAssignmentName(t *testing.T) {
	const scope = "/subscriptions/s1/resourceGroups/vm-rg"
	const p = "0f0f0f0f-1111-2222-3333-444444444444"
	reader, _ := BuiltinRoleGUID("Reader")
	contrib, _ := BuiltinRoleGUID("contributor")
	base := RoleAssignmentName(scope, p, contrib)
	if _, err := uuid.Parse(base); err != nil {
		t.Fatalf("not a GUID: %q", base)
	}
	if u := uuid.MustParse(base); u.Version() != 5 {
		t.Errorf("version = %d, want 5", u.Version())
	}
	same := []struct{ scope, principal, role string }{
		{scope, p, contrib},
		{"/SUBSCRIPTIONS/S1/resourcegroups/VM-RG", p, contrib},
		{scope + "/", p, contrib},
		{scope, "0F0F0F0F-1111-2222-3333-444444444444", "B24988AC-6180-42A0-AB88-20F7382DD24C"},
	}
	for _, s := range same {
		if got := RoleAssignmentName(s.scope, s.principal, s.role); got != base {
			t.Errorf("RoleAssignmentName(%q,%q,%q) = %s, want %s", s.scope, s.principal, s.role, got, base)
		}
	}
	different := []struct{ scope, principal, role string }{
		{scope + "2", p, contrib},
		{scope, "0f0f0f0f-1111-2222-3333-444444444445", contrib},
		{scope, p, reader},
	}
	for _, d := range different {
		if got := RoleAssignmentName(d.scope, d.principal, d.role); got == base {
			t.Errorf("RoleAssignmentName(%q,%q,%q) collides with base", d.scope, d.principal, d.role)
		}
	}
	// Pinned: changing the namespace or key format would orphan every existing assignment.
	if got, want := RoleAssignmentName("/subscriptions/s1/resourceGroups/vm-rg", p, contrib), uuid.NewSHA1(roleAssignmentNamespace,
		[]byte("/subscriptions/s1/resourcegroups/vm-rg|"+p+"|b24988ac-6180-42a0-ab88-20f7382dd24c")).String(); got != want {
		t.Errorf("key format changed: %s != %s", got, want)
	}
}

func TestBuiltinRolesAndIDs(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7", true},
		{"  contributor ", "b24988ac-6180-42a0-ab88-20f7382dd24c", true},
		{"Compute Gallery Sharing Admin", "1ef6a3be-d0ac-425d-8c01-acb62866290b", true},
		{"ACDD72A7-3385-48EF-BD42-F606FBA81AE7", "acdd72a7-3385-48ef-bd42-f606fba81ae7", true},
		{"My Custom Role", "", false},
	}
	for _, tt := range tests {
		got, ok := BuiltinRoleGUID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("BuiltinRoleGUID(%q) = %q,%v want %q,%v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for _, id := range []string{
		"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7-3385-48ef-bd42-f606fba81ae7",
		"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7/",
	} {
		if got := RoleDefinitionGUID(id); got != "acdd72a7-3385-48ef-bd42-f606fba81ae7" {
			t.Errorf("RoleDefinitionGUID(%q) = %q", id, got)
		}
	}
	if got := RoleDefinitionID("s1", "ACDD72A7-3385-48ef-bd42-f606fba81ae7"); got != "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" {
		t.Errorf("RoleDefinitionID = %q", got)
	}
}

func TestRoleAssignmentCLI(t *testing.T) {
	got := RoleAssignmentCLI("11111111-2222-3333-4444-555555555555", "User Access Administrator", "/subscriptions/s/resourceGroups/vm-rg")
	want := "az role assignment create --assignee 11111111-2222-3333-4444-555555555555 --role 'User Access Administrator' --scope /subscriptions/s/resourceGroups/vm-rg"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}
