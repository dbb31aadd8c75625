package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/galshare/galshare/pkg/azsim"
	"gopkg.in/yaml.v3"
)

// maxSeedFileBytes mirrors the simulator's limit on seed files (pkg/azsim maxSeedSize, 4 MiB). Larger worlds are
// initialised through the Go API instead (see writeWorld).
const maxSeedFileBytes = 4 << 20

// Seed builds the simulator world matching Manifest: the publisher tenant and every consumer tenant get an
// operator with Application.ReadWrite.All (the identity galshare signs in as; `sim serve` writes its credentials to
// cloud.json); the publisher operator is Owner of the galleries' resource group and each consumer operator is User
// Access Administrator of its subscription, as in examples/sim/quickstart.yaml. Image versions are already
// replicated, so wait actions end at their first read.
func (f Fleet) Seed() *azsim.Seed {
	seed := &azsim.Seed{}
	op := func(tenant string, i int) azsim.TenantSeed {
		return azsim.TenantSeed{ID: tenant, Operators: []azsim.OperatorSeed{{
			Name: operatorName, ClientID: guid(pfxOperator, i), ClientSecret: fmt.Sprintf("sim-fleet-operator-%d", i),
			GraphPermissions: []string{"Application.ReadWrite.All"},
		}}}
	}
	seed.Tenants = append(seed.Tenants, op(f.PublisherTenant(), 0))
	var galleries []azsim.GallerySeed
	for g := range f.Galleries {
		galleries = append(galleries, azsim.GallerySeed{
			Name: fmt.Sprintf("gallery%d", g+1), Location: "eastus",
			Images: []azsim.ImageSeed{{
				Name: imageName, OSType: "Linux", HyperVGeneration: "V2",
				Identifier: azsim.ImageIdentifierSeed{Publisher: "fleet", Offer: "bench", SKU: fmt.Sprintf("g%d", g+1)},
				Versions:   []azsim.VersionSeed{{Name: imageVersion, Regions: []string{"eastus"}, Replication: "completed"}},
			}},
		})
	}
	seed.Subscriptions = append(seed.Subscriptions, azsim.SubscriptionSeed{
		ID: f.PublisherSubscription(), Tenant: f.PublisherTenant(),
		ResourceGroups: []azsim.ResourceGroupSeed{{Name: publisherRG, Location: "eastus", Galleries: galleries}},
	})
	seed.RoleAssignments = append(seed.RoleAssignments, azsim.RoleAssignmentSeed{
		Scope: fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", f.PublisherSubscription(), publisherRG),
		Role:  "Owner", Principal: azsim.PrincipalSeed{Tenant: f.PublisherTenant(), Operator: operatorName},
	})
	for i := range f.Consumers {
		t := f.ConsumerTenant(i)
		seed.Tenants = append(seed.Tenants, op(t, i+1))
		rgs := make([]azsim.ResourceGroupSeed, 0, f.Grants+1)
		for j := 0; j <= f.Grants; j++ {
			rgs = append(rgs, azsim.ResourceGroupSeed{Name: fmt.Sprintf("rg%d", j+1), Location: "eastus"})
		}
		seed.Subscriptions = append(seed.Subscriptions, azsim.SubscriptionSeed{
			ID: f.ConsumerSubscription(i), Tenant: t, ResourceGroups: rgs,
		})
		seed.RoleAssignments = append(seed.RoleAssignments, azsim.RoleAssignmentSeed{
			Scope: "/subscriptions/" + f.ConsumerSubscription(i), Role: "User Access Administrator",
			Principal: azsim.PrincipalSeed{Tenant: t, Operator: operatorName},
		})
	}
	return seed
}

// writeWorld prepares the simulator directory simDir for `galshare sim serve`. It always writes the seed as YAML to
// seedPath (to reproduce a run by hand). When the file is within the simulator's seed-file limit it returns the path
// to pass as --seed; otherwise it initialises simDir/world.json through azsim.Start (the Go API takes a seed of any
// size) and returns "" — `sim serve` then serves the persisted world.
func writeWorld(ctx context.Context, seed *azsim.Seed, seedPath, simDir string) (string, error) {
	data, err := yaml.Marshal(seed)
	if err != nil {
		return "", fmt.Errorf("marshal seed: %w", err)
	}
	if err := os.WriteFile(seedPath, data, 0o600); err != nil {
		return "", fmt.Errorf("write seed: %w", err)
	}
	if len(data) <= maxSeedFileBytes {
		return seedPath, nil
	}
	sim, err := azsim.Start(ctx, azsim.Options{Seed: seed, Dir: simDir})
	if err != nil {
		return "", fmt.Errorf("initialise simulator world in %s: %w", simDir, err)
	}
	if err := sim.Close(ctx); err != nil {
		return "", fmt.Errorf("persist simulator world in %s: %w", simDir, err)
	}
	if _, err := os.Stat(filepath.Join(simDir, "world.json")); err != nil {
		return "", fmt.Errorf("simulator world not persisted: %w", err)
	}
	return "", nil
}
