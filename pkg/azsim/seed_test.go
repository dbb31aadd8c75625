package azsim

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/spec"
)

func TestParseSeedErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown key", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n    colour: red\n", "colour"},
		{"bad tenant id", "tenants:\n  - id: nope\n", "not a GUID"},
		{"duplicate tenant", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n  - id: 11111111-1111-1111-1111-111111111111\n", "duplicate tenant"},
		{"bad operator client id", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n    operators: [{name: a, clientId: x, clientSecret: s}]\n", "clientId"},
		{"operator without secret", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n    operators: [{name: a, clientId: 11111111-1111-1111-1111-111111111112}]\n", "clientSecret is required"},
		{"unknown permission", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n    operators: [{name: a, clientId: 11111111-1111-1111-1111-111111111112, clientSecret: s, graphPermissions: [Mail.Send]}]\n", "unknown permission"},
		{"unknown directory role", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n    users: [{upn: a@b.c, password: p, directoryRoles: [Emperor]}]\n", "unknown role"},
		{"bad upn", "tenants:\n  - id: 11111111-1111-1111-1111-111111111111\n    users: [{upn: nobody, password: p}]\n", "user principal name"},
		{"bad lag", "settings:\n  lag: soon\n", "time.Duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSeed([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestExampleSeedsMatchManifests loads every examples/sim seed and checks it is the world its example manifest
// refers to: the publisher and managed consumers have operator credentials, manual consumers have a Global
// Administrator for the consent page, and every gallery, waited-for image version and grant scope exists.
func TestExampleSeedsMatchManifests(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example manifests")
	}
	for _, mf := range files {
		name := strings.TrimSuffix(filepath.Base(mf), ".yaml")
		t.Run(name, func(t *testing.T) {
			m, diags, err := spec.Load(context.Background(), mf)
			if err != nil || diags.HasErrors() {
				t.Fatalf("load manifest: %v %v", err, diags)
			}
			seed, err := LoadSeedFile(filepath.Join("../../examples/sim", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			sim := coreStart(t, Options{Seed: seed})
			creds := sim.Credentials()
			if _, ok := creds[m.Publisher.Tenant]; !ok {
				t.Errorf("publisher tenant %s has no operator", m.Publisher.Tenant)
			}
			for _, g := range m.Publisher.Galleries {
				if _, ok := sim.Gallery(g.ID); !ok {
					t.Errorf("gallery %s missing", g.ID)
				}
				for _, w := range g.WaitFor {
					id := g.ID + "/images/" + w.Image + "/versions/" + w.Version
					if _, ok := sim.ImageVersion(id); !ok {
						t.Errorf("image version %s missing", id)
					}
				}
			}
			for _, c := range m.Consumers {
				_, hasOp := creds[c.Tenant]
				switch c.Access {
				case spec.AccessManaged:
					if !hasOp {
						t.Errorf("managed consumer %s has no operator", c.Name)
					}
				case spec.AccessManual:
					if hasOp {
						t.Errorf("manual consumer %s has an operator", c.Name)
					}
					if !hasGlobalAdmin(sim, c.Tenant) {
						t.Errorf("manual consumer %s has no Global Administrator", c.Name)
					}
				}
				for _, gr := range c.Grants {
					if !scopeExists(sim, gr.Scope) {
						t.Errorf("grant scope %s missing", gr.Scope)
					}
				}
			}
		})
	}
}

func hasGlobalAdmin(sim *Sim, tenantID string) bool {
	sim.srv.mu.Lock()
	defer sim.srv.mu.Unlock()
	t := sim.srv.w.Directory.tenant(tenantID)
	if t == nil {
		return false
	}
	for _, u := range t.Users {
		for _, r := range u.DirectoryRoles {
			if strings.EqualFold(r, "Global Administrator") {
				return true
			}
		}
	}
	return false
}

// scopeExists reports whether /subscriptions/{s}[/resourceGroups/{rg}] exists in the simulator.
func scopeExists(sim *Sim, scope string) bool {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	sim.srv.mu.Lock()
	defer sim.srv.mu.Unlock()
	if len(parts) < 2 || !strings.EqualFold(parts[0], "subscriptions") {
		return false
	}
	sub := sim.srv.arm().subscription(parts[1])
	if sub == nil {
		return false
	}
	if len(parts) == 2 {
		return true
	}
	return len(parts) == 4 && sub.group(parts[3]) != nil
}
