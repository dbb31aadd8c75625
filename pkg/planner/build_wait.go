package planner

import (
	"fmt"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
)

// buildWait plans the readiness gate of one image version (step 6). A ready
// version is a no-op; one still building or replicating, or not there yet,
// is a wait; a failed one needs a human. Waits depend on nothing and nothing
// depends on them: role grants are useful before the image is ready, and the
// wait only tells the consumer when they can create VMs.
func (b *builder) buildWait(g spec.Gallery, w spec.ImageVersionRef) {
	addr := WaitAddress(g.Name, w.Image, w.Version)
	c := &Change{Address: addr, Tenant: b.m.Publisher.Tenant,
		Wait: &WaitPayload{GalleryID: g.ID, Image: w.Image, Version: w.Version}}
	after := map[string]string{"provisioningState": "Succeeded", "replication": "Completed in every target region"}
	if gobs := b.snap.Galleries[IDKey(g.ID)]; gobs.Status == Missing || gobs.Status == Denied {
		c.Action = Blocked
		c.Blocked = &BlockedInfo{Why: "gallery " + g.ID + " cannot be read", Instructions: []string{
			"Fix the gallery first (see " + GalleryRoleAddress(g.Name, g.Role.String()).String() + ")."}}
		if gobs.Err != nil {
			c.Blocked.Why = gobs.Err.Error()
		}
		b.add(c)
		return
	}
	obs := b.snap.Versions[VersionKey(g.ID, w.Image, w.Version)]
	switch obs.Status {
	case Found:
		v := obs.Version
		c.Before = map[string]string{
			"provisioningState": v.ProvisioningState,
			"replication":       replicationSummary(v.AggregatedReplication, v.TargetRegions, v.Regions),
		}
		switch {
		case v.Ready():
			c.Action = NoOp
			c.After = c.Before
		case v.Failed():
			c.Action = Blocked
			c.Blocked = &BlockedInfo{Why: "image version " + w.Image + "/" + w.Version + " failed: " + c.Before["replication"],
				Instructions: []string{"Fix or rebuild the image version in the gallery, then plan again."}}
		default:
			c.Action = Wait
			c.After = after
			c.Reason = "not ready: provisioning " + v.ProvisioningState + ", " + c.Before["replication"]
		}
	case Missing:
		c.Action = Wait
		c.After = after
		c.Reason = "image version not found yet; apply waits for it to be published"
	case Denied:
		c.Action = Blocked
		c.Blocked = deniedBlock(obs.Obs, "read image version "+w.Image+"/"+w.Version,
			"Give the operator Reader on the gallery.")
	default:
		c.Action = Wait
		c.After = after
		c.Reason = "not read during plan; apply checks it"
	}
	b.add(c)
}

// replicationSummary renders "2/2 regions completed" style text.
func replicationSummary(agg string, targets []string, regions []azure.RegionStatus) string {
	done := 0
	var failed []string
	for _, r := range regions {
		switch strings.ToLower(r.State) {
		case "completed":
			done++
		case "failed":
			failed = append(failed, r.Region)
		}
	}
	n := len(targets)
	if n < len(regions) {
		n = len(regions)
	}
	s := fmt.Sprintf("replication %s (%d/%d regions completed)", agg, done, n)
	if len(failed) > 0 {
		s += ", failed in " + strings.Join(failed, ", ")
	}
	return s
}
