package azure

import (
	"slices"
	"testing"
)

func TestAllows(t *testing.T) {
	rbacAdmin := []Permission{{Actions: []string{"Microsoft.Authorization/roleAssignments/write",
		"Microsoft.Authorization/roleAssignments/delete", "*/read"}}}
	contributor := []Permission{{Actions: []string{"*"}, NotActions: []string{"Microsoft.Authorization/*/Delete",
		"Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"}}}
	reader := []Permission{{Actions: []string{"*/read"}}}
	const write, del = "Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"
	tests := []struct {
		name   string
		perms  []Permission
		action string
		want   bool
	}{
		{"RBAC admin writes", rbacAdmin, write, true},
		{"RBAC admin deletes", rbacAdmin, del, true},
		{"case does not matter", rbacAdmin, "microsoft.authorization/ROLEASSIGNMENTS/write", true},
		{"Contributor's notActions exclude the write", contributor, write, false},
		{"Contributor may do other things", contributor, "Microsoft.Compute/galleries/write", true},
		{"Reader reads", reader, "Microsoft.Authorization/roleAssignments/read", true},
		{"Reader cannot write", reader, write, false},
		{"no role at all", nil, write, false},
		{"a notAction applies only to its own role", append(contributor, rbacAdmin...), write, true},
		{"a wildcard in the middle", []Permission{{Actions: []string{"Microsoft.Authorization/*/write"}}}, write, true},
		{"a prefix is not a match", []Permission{{Actions: []string{"Microsoft.Authorization/roleAssignments"}}}, write, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Allows(tt.perms, tt.action); got != tt.want {
				t.Errorf("Allows(%v, %s) = %v, want %v", tt.perms, tt.action, got, tt.want)
			}
		})
	}
}

func TestTokenRoles(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		wantRoles []string
		wantKnown bool
	}{
		{"app token with roles", jwtWith(`{"oid":"o","roles":["Application.ReadWrite.OwnedBy"]}`), []string{"Application.ReadWrite.OwnedBy"}, true},
		{"app token without roles has none", jwtWith(`{"oid":"o","idtyp":"app"}`), nil, true},
		{"delegated token says nothing", jwtWith(`{"oid":"o","scp":"User.Read"}`), nil, false},
		{"not a JWT", "opaque", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roles, known := tokenRoles(tt.token)
			if known != tt.wantKnown || !slices.Equal(roles, tt.wantRoles) {
				t.Errorf("tokenRoles = %v, %v; want %v, %v", roles, known, tt.wantRoles, tt.wantKnown)
			}
		})
	}
}

// The effective-permission read and the Graph roles against the simulator.
func TestSimPermissionsAndGraphRoles(t *testing.T) {
	sim, c := startSim(t, Options{})
	ctx := t.Context()
	tests := []struct {
		tenant, scope string
		write         bool
	}{
		{simPub, simGallery, true},                     // Owner on the subscription, inherited
		{simPub, "/subscriptions/" + simSubPub, true},  // at subscription scope
		{simCon, simVMRG, true},                        // Owner on the resource group
		{simRestricted, simResRG, false},               // Contributor
		{simCon, "/subscriptions/" + simSubCon, false}, // nothing above vm-rg: an empty answer
	}
	for _, tt := range tests {
		r, err := c.Resources(ctx, tt.tenant)
		if err != nil {
			t.Fatal(err)
		}
		perms, err := r.(PermissionsReader).Permissions(ctx, tt.scope)
		if err != nil {
			t.Fatalf("%s: %v", tt.scope, err)
		}
		if got := Allows(perms, "Microsoft.Authorization/roleAssignments/write"); got != tt.write {
			t.Errorf("%s at %s: write allowed = %v, want %v (%v)", tt.tenant, tt.scope, got, tt.write, perms)
		}
	}
	if n := sim.Stats().Routes["GET permissions"]; n != int64(len(tests)) {
		t.Errorf("%d permission reads counted, want %d", n, len(tests))
	}
	roles, known, err := c.GraphRoles(ctx, simCon)
	if err != nil || !known || !slices.Equal(roles, []string{"Application.ReadWrite.All"}) {
		t.Errorf("GraphRoles = %v, %v, %v", roles, known, err)
	}
}
