package azsim

import (
	"context"
	"strings"
	"testing"
)

const seedTenants = `
tenants:
  - id: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa
    operators: [{name: op, clientId: 0a000000-0000-0000-0000-000000000001, clientSecret: s1}]
  - id: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb
    operators: [{name: op, clientId: 0b000000-0000-0000-0000-000000000001, clientSecret: s2}]
`

func TestARMSeedErrors(t *testing.T) {
	sub := "\nsubscriptions:\n  - id: 5a000000-0000-0000-0000-00000000000a\n    tenant: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa\n"
	gal := sub + "    resourceGroups:\n      - name: rg\n        location: eastus\n        galleries:\n"
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"ok", gal + "          - {name: g, sharing: Groups, sharedWith: [{type: AADTenants, ids: [bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb]}]}\n", ""},
		{"unknown tenant", "\nsubscriptions:\n  - {id: 5a000000-0000-0000-0000-00000000000a, tenant: nowhere.example}\n", "unknown tenant"},
		{"bad subscription id", "\nsubscriptions:\n  - {id: sub1, tenant: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa}\n", "GUID"},
		{"bad sharing", gal + "          - {name: g, sharing: Public}\n", "sharing must be"},
		{"sharedWith on private", gal + "          - {name: g, sharedWith: [{type: AADTenants, ids: [bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb]}]}\n", "needs sharing: Groups"},
		{"bad replication", gal + "          - {name: g, images: [{name: i, versions: [{name: 1.0.0, replication: soon}]}]}\n", "replication must be"},
		{"unknown role", sub + "roleAssignments:\n  - {scope: /subscriptions/5a000000-0000-0000-0000-00000000000a, role: Emperor, principal: {operator: op}}\n", "unknown built-in role"},
		{"principal of another tenant", sub + "roleAssignments:\n  - {scope: /subscriptions/5a000000-0000-0000-0000-00000000000a, role: Reader, principal: {tenant: bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb, operator: op}}\n", "belongs to tenant"},
		{"unknown gallery scope", gal + "          - {name: g}\nroleAssignments:\n  - {scope: /subscriptions/5a000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.Compute/galleries/nope, role: Reader, principal: {operator: op}}\n", "unknown gallery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed, err := ParseSeed([]byte(seedTenants + tt.yaml))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			sim, err := Start(context.Background(), Options{Seed: seed})
			if err == nil {
				defer sim.Close(context.Background())
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestARMSeedIsIdempotent(t *testing.T) {
	e := newARMEnv(t)
	seed, err := LoadSeedFile("testdata/arm-world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.sim.RoleAssignments())
	s := e.sim.srv
	s.mu.Lock()
	err = s.applyARMSeed(seed.ARMSeed)
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if after := len(e.sim.RoleAssignments()); after != before {
		t.Errorf("re-applying the seed changed assignments: %d → %d", before, after)
	}
}

func TestARMInspection(t *testing.T) {
	e := newARMEnv(t)
	subs := e.sim.Subscriptions()
	if len(subs) != 2 || subs[0].ID != subA || subs[0].Tenant != tenantA || strings.Join(subs[0].ResourceGroups, ",") != "empty-rg,images-rg" {
		t.Errorf("subscriptions = %+v", subs)
	}
	gs := e.sim.Galleries()
	if len(gs) != 2 || gs[0].ID != galleryA || gs[0].Permissions != "Groups" || gs[1].Permissions != "Private" {
		t.Errorf("galleries = %+v", gs)
	}
	if _, ok := e.sim.Gallery(galleryA + "x"); ok {
		t.Error("unknown gallery found")
	}
	if err := e.sim.SetVersionReplication(galleryA+"/images/"+imageName+"/versions/9.9.9", "completed", 0); err == nil {
		t.Error("SetVersionReplication on a missing version succeeded")
	}
}
