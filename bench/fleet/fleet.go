package main

import (
	"fmt"
	"strings"
)

// Fleet describes the generated world: one publisher tenant with Galleries galleries (one image version each, to
// wait for) and Consumers managed consumer tenants, each with its own subscription holding Grants+1 resource groups
// (the extra one is where the change phase adds a grant). Every ID is derived from an index, so a manifest and a
// seed generated from the same Fleet always match.
type Fleet struct {
	Consumers int
	Grants    int
	Galleries int
}

// Fixed names of the generated world.
const (
	manifestName   = "fleet-bench"
	appDisplayName = "fleetBenchApp"
	imageName      = "img"
	imageVersion   = "1.0.0"
	publisherRG    = "images-rg"
	operatorName   = "galshare"
	// grantRole is what consumers grant the app; the change phase adds extraRole on the extra resource group.
	grantRole = "Contributor"
	extraRole = "Reader"
	// galleryRole is the app's role on every gallery.
	galleryRole = "Reader"
)

// guid formats a deterministic GUID from a kind prefix (8 hex digits) and an index.
func guid(prefix uint32, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", prefix, i)
}

// Prefixes keep the kinds of IDs apart.
const (
	pfxTenant       = 0x7e000000
	pfxSubscription = 0x5b000000
	pfxOperator     = 0x0c000000
)

// PublisherTenant is tenant 0.
func (Fleet) PublisherTenant() string { return guid(pfxTenant, 0) }

// PublisherSubscription holds the galleries.
func (Fleet) PublisherSubscription() string { return guid(pfxSubscription, 0) }

// ConsumerTenant is the tenant of consumer i (0-based).
func (Fleet) ConsumerTenant(i int) string { return guid(pfxTenant, i+1) }

// ConsumerSubscription is consumer i's subscription.
func (Fleet) ConsumerSubscription(i int) string { return guid(pfxSubscription, i+1) }

// ConsumerName is consumer i's manifest name.
func (Fleet) ConsumerName(i int) string { return fmt.Sprintf("c%05d", i+1) }

// GalleryID is the ARM id of gallery g (0-based).
func (f Fleet) GalleryID(g int) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/galleries/gallery%d",
		f.PublisherSubscription(), publisherRG, g+1)
}

// GrantScope is resource group j (0-based) of consumer i; j == Grants is the extra group of the change phase.
func (f Fleet) GrantScope(i, j int) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/rg%d", f.ConsumerSubscription(i), j+1)
}

// Change says how the change phase edits the manifest: every tenth consumer is changed; of those, the ones with an
// even index get one more grant (on the extra resource group) and the others are removed from the manifest.
type Change struct {
	Added   []int // consumers that get one more grant
	Removed []int // consumers removed from the manifest
}

// TenPercent picks 10% of the consumers (at least one when there are any) and splits them between added grants
// and removals.
func (f Fleet) TenPercent() Change {
	var c Change
	n := 0
	for i := 0; i < f.Consumers; i += 10 {
		if n%2 == 0 {
			c.Added = append(c.Added, i)
		} else {
			c.Removed = append(c.Removed, i)
		}
		n++
	}
	return c
}

// Manifest renders the galshare manifest, applying change when it is not nil. It is written by hand rather than
// through yaml.Marshal so that it stays compact (flow style per consumer) and stable.
func (f Fleet) Manifest(change *Change) string {
	added, removed := map[int]bool{}, map[int]bool{}
	if change != nil {
		for _, i := range change.Added {
			added[i] = true
		}
		for _, i := range change.Removed {
			removed[i] = true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: %s\npublisher:\n  tenant: %s\n", manifestName, f.PublisherTenant())
	fmt.Fprintf(&b, "  app:\n    displayName: %s\n    signInAudience: AzureADMultipleOrgs\n", appDisplayName)
	b.WriteString("    redirectUris: [https://www.microsoft.com]\n")
	b.WriteString("    secret:\n      description: fleet benchmark secret\n      lifetime: 8760h\n")
	b.WriteString("      renewBefore: 720h\n      deliverTo: file:secrets/app.json\n")
	b.WriteString("  galleries:\n")
	for g := range f.Galleries {
		fmt.Fprintf(&b, "    - id: %s\n      role: %s\n      waitFor: [{image: %s, version: %s}]\n",
			f.GalleryID(g), galleryRole, imageName, imageVersion)
	}
	if f.Consumers > 0 {
		b.WriteString("consumers:\n")
	}
	for i := range f.Consumers {
		if removed[i] {
			continue
		}
		fmt.Fprintf(&b, "  - {name: %s, tenant: %s, grants: [", f.ConsumerName(i), f.ConsumerTenant(i))
		for j := range f.Grants {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{scope: %s, role: %s}", f.GrantScope(i, j), grantRole)
		}
		if added[i] {
			fmt.Fprintf(&b, ", {scope: %s, role: %s}", f.GrantScope(i, f.Grants), extraRole)
		}
		b.WriteString("]}\n")
	}
	return b.String()
}
