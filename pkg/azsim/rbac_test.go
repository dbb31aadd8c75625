package azsim

import "testing"

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.Compute/galleries/read", true},
		{"*/read", "Microsoft.Compute/galleries/read", true},
		{"*/read", "Microsoft.Compute/galleries/write", false},
		{"Microsoft.Authorization/*/Write", "microsoft.authorization/roleAssignments/write", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/read", false},
		{"Microsoft.Authorization/*", "Microsoft.Authorization/roleAssignments/delete", true},
		{"Microsoft.Compute/galleries/share/action", "Microsoft.Compute/galleries/share/action", true},
		{"Microsoft.Compute/galleries/share/action", "Microsoft.Compute/galleries/read", false},
		{"Microsoft.Compute/*/read", "Microsoft.Compute/galleries/images/versions/read", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
	}
	for _, tt := range tests {
		if got := actionMatches(tt.pattern, tt.action); got != tt.want {
			t.Errorf("actionMatches(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestScopeContains(t *testing.T) {
	const sub = "/subscriptions/11111111-1111-1111-1111-111111111111"
	tests := []struct {
		parent, child string
		want          bool
	}{
		{"/", sub, true},
		{sub, sub, true},
		{sub, sub + "/resourceGroups/rg", true},
		{sub + "/resourceGroups/RG", sub + "/resourcegroups/rg/providers/Microsoft.Compute/galleries/g", true},
		{sub + "/resourceGroups/rg", sub + "/resourceGroups/rg2", false},
		{sub + "/resourceGroups/rg/", sub + "/resourceGroups/rg", true},
		{sub + "/resourceGroups/rg", sub, false},
	}
	for _, tt := range tests {
		if got := scopeContains(tt.parent, tt.child); got != tt.want {
			t.Errorf("scopeContains(%q, %q) = %v, want %v", tt.parent, tt.child, got, tt.want)
		}
	}
}

func TestBuiltinRolePermissions(t *testing.T) {
	tests := []struct {
		role, action string
		want         bool
	}{
		{"Reader", actGalleryRead, true},
		{"Reader", actRARead, true},
		{"Reader", actGalleryShare, false},
		{"Reader", actRAWrite, false},
		{"Contributor", actGalleryWrite, true},
		{"Contributor", actRGWrite, true},
		{"Contributor", actRAWrite, false},
		{"Contributor", actRADelete, false},
		{"Contributor", actGalleryShare, false},
		{"Owner", actRAWrite, true},
		{"Owner", actGalleryShare, true},
		{"User Access Administrator", actRAWrite, true},
		{"User Access Administrator", actGalleryWrite, false},
		{"Role Based Access Control Administrator", actRAWrite, true},
		{"Role Based Access Control Administrator", actGalleryShare, false},
		{"Compute Gallery Sharing Admin", actGalleryShare, true},
		{"Compute Gallery Sharing Admin", actGalleryRead, false},
		{"Compute Gallery Image Reader", actVersionRead, true},
		{"Compute Gallery Image Reader", actGalleryRead, false},
		{"Virtual Machine Contributor", "Microsoft.Compute/virtualMachines/write", true},
		{"Virtual Machine Contributor", actRAWrite, false},
	}
	for _, tt := range tests {
		r, ok := roleByName(tt.role)
		if !ok {
			t.Fatalf("role %q missing", tt.role)
		}
		if got := rolePermits(r, tt.action); got != tt.want {
			t.Errorf("%s permits %s = %v, want %v", tt.role, tt.action, got, tt.want)
		}
	}
}

func TestAuthorizeInheritance(t *testing.T) {
	const sub = "/subscriptions/11111111-1111-1111-1111-111111111111"
	const tenant = "22222222-2222-2222-2222-222222222222"
	gal := sub + "/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/g"
	a := newARMWorld()
	a.RoleAssignments["a"] = &roleAssignment{Name: "a", Scope: gal, RoleDefinitionGUID: roleReader, PrincipalID: "p1", Tenant: tenant}
	a.RoleAssignments["b"] = &roleAssignment{Name: "b", Scope: sub + "/resourceGroups/images-rg", RoleDefinitionGUID: roleContributor, PrincipalID: "p2", Tenant: tenant}
	p1 := principalKey{Tenant: tenant, ObjectID: "p1"}
	p2 := principalKey{Tenant: tenant, ObjectID: "p2"}
	tests := []struct {
		name   string
		p      principalKey
		action string
		scope  string
		want   bool
	}{
		{"reader at gallery reads gallery", p1, actGalleryRead, gal, true},
		{"reader at gallery reads version below", p1, actVersionRead, gal + "/images/i/versions/1.0.0", true},
		{"reader at gallery cannot read rg", p1, actRGRead, sub + "/resourceGroups/images-rg", false},
		{"contributor at rg writes gallery", p2, actGalleryWrite, gal, true},
		{"contributor cannot share", p2, actGalleryShare, gal, false},
		{"contributor cannot assign roles", p2, actRAWrite, gal, false},
		{"contributor nothing at subscription", p2, actRGRead, sub, false},
		{"same oid in another tenant has nothing", principalKey{Tenant: "other", ObjectID: "p1"}, actGalleryRead, gal, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.authorize(tt.p, tt.action, tt.scope); got != tt.want {
				t.Errorf("authorize = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResolveRole(t *testing.T) {
	for _, ref := range []string{"Reader", "reader", roleReader, "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/" + roleReader} {
		r, ok := resolveRole(ref)
		if !ok || r.ID != roleReader {
			t.Errorf("resolveRole(%q) = %v, %v", ref, r, ok)
		}
	}
	if _, ok := resolveRole("Galactic Emperor"); ok {
		t.Error("unknown role resolved")
	}
}
