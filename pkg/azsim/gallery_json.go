package azsim

import (
	"time"
)

// JSON renderings of gallery resources in the 2025-12-03 shape. They copy everything out of the world so they can
// be encoded after the lock is released.

func copyGroups(gs []sharingGroup) []map[string]any {
	out := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		out = append(out, map[string]any{"type": g.Type, "ids": append([]string{}, g.IDs...)})
	}
	return out
}

// galleryJSON renders a gallery; sharingProfile.groups only appears with $expand=SharingProfile/Groups, as in
// Azure. sharingStatus reports InProgress while a share operation is pending.
func galleryJSON(subID, rgName string, g *gallery, expandGroups, sharePending bool) map[string]any {
	sp := map[string]any{"permissions": g.Permissions}
	if expandGroups {
		sp["groups"] = copyGroups(g.Groups)
	}
	props := map[string]any{
		"identifier":        map[string]any{"uniqueName": g.UniqueName},
		"provisioningState": "Succeeded",
		"sharingProfile":    sp,
	}
	if g.Description != "" {
		props["description"] = g.Description
	}
	if g.Permissions != "" && g.Permissions != "Private" {
		state := "Succeeded"
		if sharePending {
			state = "InProgress"
		}
		props["sharingStatus"] = map[string]any{
			"aggregatedState": state,
			"summary":         []map[string]any{{"region": g.Location, "state": state, "details": ""}},
		}
	}
	return map[string]any{
		"id":         galleryID(subID, rgName, g.Name),
		"name":       g.Name,
		"type":       "Microsoft.Compute/galleries",
		"location":   g.Location,
		"properties": props,
	}
}

func imageJSON(subID, rgName string, g *gallery, im *galleryImage) map[string]any {
	props := map[string]any{
		"osType":            im.OSType,
		"osState":           im.OSState,
		"hyperVGeneration":  im.HyperVGeneration,
		"identifier":        map[string]any{"publisher": im.Publisher, "offer": im.Offer, "sku": im.SKU},
		"provisioningState": "Succeeded",
	}
	if im.Architecture != "" {
		props["architecture"] = im.Architecture
	}
	return map[string]any{
		"id":         galleryID(subID, rgName, g.Name) + "/images/" + im.Name,
		"name":       im.Name,
		"type":       "Microsoft.Compute/galleries/images",
		"location":   im.Location,
		"properties": props,
	}
}

// versionJSON renders an image version; replicationStatus only appears with $expand=ReplicationStatus (lists never
// carry it).
func versionJSON(subID, rgName string, g *gallery, im *galleryImage, v *imageVersion, now time.Time, expandReplication bool) map[string]any {
	st := v.status(now)
	targets := make([]map[string]any, 0, len(v.Regions))
	for _, r := range v.Regions {
		targets = append(targets, map[string]any{
			"name":                 regionDisplayName(r),
			"regionalReplicaCount": max(1, v.ReplicaCount),
			"storageAccountType":   "Standard_LRS",
			"excludeFromLatest":    false,
		})
	}
	pp := map[string]any{
		"targetRegions":      targets,
		"replicaCount":       max(1, v.ReplicaCount),
		"excludeFromLatest":  v.ExcludeLatest,
		"publishedDate":      armTime(v.PublishedDate),
		"storageAccountType": "Standard_LRS",
	}
	if v.EndOfLifeDate != nil {
		pp["endOfLifeDate"] = armTime(*v.EndOfLifeDate)
	}
	props := map[string]any{
		"publishingProfile": pp,
		"provisioningState": st.ProvisioningState,
		"storageProfile": map[string]any{
			"osDiskImage": map[string]any{"sizeInGB": 30, "hostCaching": "ReadWrite"},
		},
		"safetyProfile": map[string]any{"allowDeletionOfReplicatedLocations": false},
	}
	if expandReplication {
		summary := make([]map[string]any, 0, len(st.Regions))
		for _, rr := range st.Regions {
			summary = append(summary, map[string]any{
				"region":   regionDisplayName(rr.Region),
				"state":    rr.State,
				"details":  rr.Details,
				"progress": rr.Progress,
			})
		}
		props["replicationStatus"] = map[string]any{"aggregatedState": st.AggregatedState, "summary": summary}
	}
	return map[string]any{
		"id":         galleryID(subID, rgName, g.Name) + "/images/" + im.Name + "/versions/" + v.Name,
		"name":       v.Name,
		"type":       "Microsoft.Compute/galleries/images/versions",
		"location":   v.Location,
		"properties": props,
	}
}
