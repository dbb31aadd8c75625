package azsim

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The consumer side of direct sharing: a subscription or tenant a gallery was shared with (POST …/share, operation
// Add) reads it as /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/sharedGalleries/{uniqueName}/…,
// with no role on the publisher's gallery and no auxiliary token. A shared gallery is visible in its own location
// and in the target regions of its versions; a version is visible in a region once replication there completed.

const actSharedGalleryRead = "Microsoft.Compute/locations/sharedGalleries/read"

// Which share groups a shared-gallery lookup considers: a list without sharedTo shows galleries shared with the
// subscription, sharedTo=tenant those shared with the tenant, and a GET either.
const (
	viaSubscription = 1 << iota
	viaTenant
)

// sharedWith reports whether gallery g is directly shared with the subscription or the tenant (per via).
func sharedWith(g *gallery, subID, tenantID string, via int) bool {
	if g.Permissions != "Groups" {
		return false
	}
	for _, grp := range g.Groups {
		for _, id := range grp.IDs {
			switch {
			case grp.Type == "AADTenants" && via&viaTenant != 0 && strings.EqualFold(id, tenantID):
				return true
			case grp.Type == "Subscriptions" && via&viaSubscription != 0 && strings.EqualFold(id, subID):
				return true
			}
		}
	}
	return false
}

// availableIn reports whether a gallery has a regional presence in location.
func availableIn(g *gallery, location string) bool {
	loc := normRegion(location)
	if g.Location == loc {
		return true
	}
	for _, im := range g.Images {
		for _, v := range im.Versions {
			if slices.Contains(v.Regions, loc) {
				return true
			}
		}
	}
	return false
}

// sharedGalleries returns the galleries of the whole world visible to the caller in this subscription and location,
// sorted by unique name. Callers hold s.mu.
func (s *Server) sharedGalleries(c *armCtx, via int) []*gallery {
	var out []*gallery
	for _, sub := range s.arm().Subscriptions {
		for _, rg := range sub.ResourceGroups {
			for _, g := range rg.Galleries {
				if sharedWith(g, c.sub.ID, c.sub.Tenant, via) && availableIn(g, c.rt.Location) {
					out = append(out, g)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b *gallery) int { return strings.Compare(a.UniqueName, b.UniqueName) })
	return out
}

func sharedUniqueID(parts ...string) string { return "/SharedGalleries/" + strings.Join(parts, "/") }

// serveShared answers the sharedGalleries routes.
func (s *Server) serveShared(c *armCtx) armResult {
	if e := s.check(c, actSharedGalleryRead, "/subscriptions/"+c.sub.ID); e != nil {
		return fail(e)
	}
	loc := normRegion(c.rt.Location)
	if c.rt.Kind == rkSharedGalleries {
		out := []map[string]any{}
		via := viaSubscription
		if strings.EqualFold(c.q.Get("sharedTo"), "tenant") {
			via = viaTenant
		}
		for _, g := range s.sharedGalleries(c, via) {
			out = append(out, sharedGalleryJSON(g, loc))
		}
		return reply(http.StatusOK, page(c, out))
	}
	var g *gallery
	for _, cand := range s.sharedGalleries(c, viaSubscription|viaTenant) {
		if strings.EqualFold(cand.UniqueName, c.rt.Gallery) {
			g = cand
		}
	}
	notFound := func(what string) armResult {
		return fail(newARMError(http.StatusNotFound, "ResourceNotFound",
			"The shared %s could not be found in location '%s'.", what, c.rt.Location))
	}
	if g == nil {
		return notFound("gallery '" + c.rt.Gallery + "'")
	}
	if c.rt.Kind == rkSharedGallery {
		return reply(http.StatusOK, sharedGalleryJSON(g, loc))
	}
	if c.rt.Kind == rkSharedImages {
		out := []map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(g.Images)) {
			out = append(out, sharedImageJSON(g, g.Images[k], loc))
		}
		return reply(http.StatusOK, page(c, out))
	}
	im := g.image(c.rt.Image)
	if im == nil {
		return notFound("image '" + c.rt.Image + "'")
	}
	if c.rt.Kind == rkSharedImage {
		return reply(http.StatusOK, sharedImageJSON(g, im, loc))
	}
	readyHere := func(v *imageVersion) bool {
		for _, r := range v.status(c.now).Regions {
			if r.Region == loc && r.State == "Completed" {
				return true
			}
		}
		return false
	}
	if c.rt.Kind == rkSharedVersions {
		out := []map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(im.Versions)) {
			if v := im.Versions[k]; readyHere(v) {
				out = append(out, sharedVersionJSON(g, im, v, loc))
			}
		}
		return reply(http.StatusOK, page(c, out))
	}
	v := im.version(c.rt.Version)
	if v == nil || !readyHere(v) {
		return notFound("image version '" + c.rt.Version + "'")
	}
	return reply(http.StatusOK, sharedVersionJSON(g, im, v, loc))
}

func sharedGalleryJSON(g *gallery, loc string) map[string]any {
	return map[string]any{
		"name": g.UniqueName, "location": loc,
		"identifier": map[string]any{"uniqueId": sharedUniqueID(g.UniqueName)},
		"properties": map[string]any{"artifactTags": map[string]any{}},
	}
}

func sharedImageJSON(g *gallery, im *galleryImage, loc string) map[string]any {
	return map[string]any{
		"name": im.Name, "location": loc,
		"identifier": map[string]any{"uniqueId": sharedUniqueID(g.UniqueName, "Images", im.Name)},
		"properties": map[string]any{
			"osType": im.OSType, "osState": im.OSState, "hyperVGeneration": im.HyperVGeneration,
			"architecture": orDefault(im.Architecture, "x64"),
			"identifier":   map[string]any{"publisher": im.Publisher, "offer": im.Offer, "sku": im.SKU},
			"artifactTags": map[string]any{},
		},
	}
}

func sharedVersionJSON(g *gallery, im *galleryImage, v *imageVersion, loc string) map[string]any {
	props := map[string]any{
		"publishedDate":     armTime(v.PublishedDate),
		"excludeFromLatest": v.ExcludeLatest,
		"storageProfile": map[string]any{
			"osDiskImage": map[string]any{"diskSizeGB": 30, "hostCaching": "ReadWrite"},
		},
		"artifactTags": map[string]any{},
	}
	if v.EndOfLifeDate != nil {
		props["endOfLifeDate"] = armTime(*v.EndOfLifeDate)
	}
	return map[string]any{
		"name": v.Name, "location": loc,
		"identifier": map[string]any{"uniqueId": sharedUniqueID(g.UniqueName, "Images", im.Name, "Versions", v.Name)},
		"properties": props,
	}
}
