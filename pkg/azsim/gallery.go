package azsim

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Actions ARM checks for Compute gallery requests.
const (
	actGalleryRead   = "Microsoft.Compute/galleries/read"
	actGalleryWrite  = "Microsoft.Compute/galleries/write"
	actGalleryShare  = "Microsoft.Compute/galleries/share/action"
	actImageRead     = "Microsoft.Compute/galleries/images/read"
	actImageWrite    = "Microsoft.Compute/galleries/images/write"
	actVersionRead   = "Microsoft.Compute/galleries/images/versions/read"
	actVersionWrite  = "Microsoft.Compute/galleries/images/versions/write"
	expandGroups     = "SharingProfile/Groups"
	expandReplStatus = "ReplicationStatus"
	expandUefi       = "UefiSettings"
)

// galleryPath is a resolved gallery (and optionally image/version) request.
type galleryPath struct {
	rg *resourceGroup
	g  *gallery
	im *galleryImage
	v  *imageVersion
}

// resolveGallery walks rg → gallery → image → version as far as the route goes, answering ARM's 404s.
func resolveGallery(c *armCtx) (galleryPath, *armError) {
	var gp galleryPath
	gp.rg = c.sub.group(c.rt.RG)
	if gp.rg == nil {
		return gp, errResourceGroupNotFound(c.rt.RG)
	}
	if c.rt.Gallery == "" {
		return gp, nil
	}
	gp.g = gp.rg.gallery(c.rt.Gallery)
	if gp.g == nil {
		return gp, errResourceNotFound("Microsoft.Compute/galleries/"+c.rt.Gallery, c.rt.RG)
	}
	if c.rt.Image == "" {
		return gp, nil
	}
	gp.im = gp.g.image(c.rt.Image)
	if gp.im == nil {
		return gp, errResourceNotFound("Microsoft.Compute/galleries/"+c.rt.Gallery+"/images/"+c.rt.Image, c.rt.RG)
	}
	if c.rt.Version == "" {
		return gp, nil
	}
	gp.v = gp.im.version(c.rt.Version)
	if gp.v == nil {
		return gp, errResourceNotFound("Microsoft.Compute/galleries/"+c.rt.Gallery+"/images/"+c.rt.Image+
			"/versions/"+c.rt.Version, c.rt.RG)
	}
	return gp, nil
}

func errInvalidExpand(v string) *armError {
	e := newARMError(http.StatusBadRequest, "InvalidParameter", "The value '%s' of parameter '$expand' is not valid.", v)
	e.Target = "$expand"
	return e
}

// listGalleries lists galleries in a resource group or a whole subscription; the caller needs galleries/read at
// that scope.
func (s *Server) listGalleries(c *armCtx) armResult {
	scope := "/subscriptions/" + c.sub.ID
	if c.rt.Kind == rkGalleriesInRG {
		scope = resourceGroupID(c.sub.ID, c.rt.RG)
	}
	if e := s.check(c, actGalleryRead, scope); e != nil {
		return fail(e)
	}
	var groups []*resourceGroup
	if c.rt.Kind == rkGalleriesInRG {
		rg := c.sub.group(c.rt.RG)
		if rg == nil {
			return fail(errResourceGroupNotFound(c.rt.RG))
		}
		groups = []*resourceGroup{rg}
	} else {
		for _, k := range slices.Sorted(maps.Keys(c.sub.ResourceGroups)) {
			groups = append(groups, c.sub.ResourceGroups[k])
		}
	}
	out := []map[string]any{}
	for _, rg := range groups {
		for _, k := range slices.Sorted(maps.Keys(rg.Galleries)) {
			g := rg.Galleries[k]
			out = append(out, galleryJSON(c.sub.ID, rg.Name, g, false, s.sharePending(c, g)))
		}
	}
	return reply(http.StatusOK, page(c, out))
}

// getGallery serves GET gallery [+ $expand=SharingProfile/Groups].
func (s *Server) getGallery(c *armCtx) armResult {
	if e := s.check(c, actGalleryRead, c.r.URL.Path); e != nil {
		return fail(e)
	}
	expand := c.q.Get("$expand")
	if expand != "" && !strings.EqualFold(expand, expandGroups) {
		return fail(errInvalidExpand(expand))
	}
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	return reply(http.StatusOK, galleryJSON(c.sub.ID, gp.rg.Name, gp.g, expand != "", s.sharePending(c, gp.g)))
}

// putGallery creates (201) or updates (200) a gallery. sharingProfile.permissions may only change while the
// gallery is not shared with any group.
func (s *Server) putGallery(c *armCtx) armResult {
	if e := s.check(c, actGalleryWrite, c.r.URL.Path); e != nil {
		return fail(e)
	}
	var in struct {
		Location   string `json:"location"`
		Properties struct {
			Description    string `json:"description"`
			SharingProfile *struct {
				Permissions string `json:"permissions"`
			} `json:"sharingProfile"`
		} `json:"properties"`
	}
	if e := decodeBody(c, &in); e != nil {
		return fail(e)
	}
	rg := c.sub.group(c.rt.RG)
	if rg == nil {
		return fail(errResourceGroupNotFound(c.rt.RG))
	}
	perm := "Private"
	if in.Properties.SharingProfile != nil && in.Properties.SharingProfile.Permissions != "" {
		perm = canonicalPermission(in.Properties.SharingProfile.Permissions)
		if perm == "" {
			e := newARMError(http.StatusBadRequest, "InvalidParameter",
				"The value '%s' of parameter 'sharingProfile.permissions' is not valid.", in.Properties.SharingProfile.Permissions)
			e.Target = "sharingProfile.permissions"
			return fail(e)
		}
	}
	g := rg.gallery(c.rt.Gallery)
	status := http.StatusOK
	if g == nil {
		if in.Location == "" {
			return fail(newARMError(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition."))
		}
		g = &gallery{Name: c.rt.Gallery, Location: normRegion(in.Location), UniqueName: galleryUniqueName(c.sub.ID, c.rt.Gallery),
			Permissions: perm, Images: map[string]*galleryImage{}, CreatedAt: c.now}
		if rg.Galleries == nil {
			rg.Galleries = map[string]*gallery{}
		}
		rg.Galleries[strings.ToLower(g.Name)] = g
		status = http.StatusCreated
	} else if in.Properties.SharingProfile != nil && perm != g.Permissions {
		// Like `az sig update --permissions`, the permission may change, but not while the gallery is still shared.
		if len(g.Groups) > 0 {
			e := newARMError(http.StatusBadRequest, "OperationNotAllowed",
				"Changing sharingProfile.permissions of gallery '%s' is not allowed while it is shared; reset the "+
					"sharing profile (POST share with operationType Reset) first.", g.Name)
			e.Target = "galleryProperties.sharingProfile.permissions"
			return fail(e)
		}
		g.Permissions = perm
	}
	g.Description = in.Properties.Description
	s.changed()
	return reply(status, galleryJSON(c.sub.ID, rg.Name, g, false, false))
}

// canonicalPermission spells a sharing permission as Azure does, "" when unknown.
func canonicalPermission(p string) string {
	for _, v := range []string{"Private", "Groups", "Community"} {
		if strings.EqualFold(p, v) {
			return v
		}
	}
	return ""
}

// listImages lists a gallery's image definitions.
func (s *Server) listImages(c *armCtx) armResult {
	if e := s.check(c, actImageRead, c.r.URL.Path); e != nil {
		return fail(e)
	}
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	out := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(gp.g.Images)) {
		out = append(out, imageJSON(c.sub.ID, gp.rg.Name, gp.g, gp.g.Images[k]))
	}
	return reply(http.StatusOK, page(c, out))
}

func (s *Server) getImage(c *armCtx) armResult {
	if e := s.check(c, actImageRead, c.r.URL.Path); e != nil {
		return fail(e)
	}
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	return reply(http.StatusOK, imageJSON(c.sub.ID, gp.rg.Name, gp.g, gp.im))
}

// putImage creates (201) or updates (200) an image definition.
func (s *Server) putImage(c *armCtx) armResult {
	if e := s.check(c, actImageWrite, c.r.URL.Path); e != nil {
		return fail(e)
	}
	var in struct {
		Location   string `json:"location"`
		Properties struct {
			OSType           string `json:"osType"`
			OSState          string `json:"osState"`
			HyperVGeneration string `json:"hyperVGeneration"`
			Architecture     string `json:"architecture"`
			Identifier       struct {
				Publisher string `json:"publisher"`
				Offer     string `json:"offer"`
				SKU       string `json:"sku"`
			} `json:"identifier"`
		} `json:"properties"`
	}
	if e := decodeBody(c, &in); e != nil {
		return fail(e)
	}
	name := c.rt.Image
	c.rt.Image = ""
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	p := in.Properties
	if p.OSType == "" || p.OSState == "" || p.Identifier.Publisher == "" || p.Identifier.Offer == "" || p.Identifier.SKU == "" {
		return fail(newARMError(http.StatusBadRequest, "InvalidParameter",
			"Required parameters osType, osState and identifier (publisher, offer, sku) must be provided."))
	}
	im := gp.g.image(name)
	status := http.StatusOK
	if im == nil {
		im = &galleryImage{Name: name, Location: normRegion(in.Location), Versions: map[string]*imageVersion{}}
		if im.Location == "" {
			im.Location = gp.g.Location
		}
		gp.g.Images[strings.ToLower(name)] = im
		status = http.StatusCreated
	}
	im.OSType, im.OSState, im.HyperVGeneration, im.Architecture = p.OSType, p.OSState, p.HyperVGeneration, p.Architecture
	im.Publisher, im.Offer, im.SKU = p.Identifier.Publisher, p.Identifier.Offer, p.Identifier.SKU
	if im.HyperVGeneration == "" {
		im.HyperVGeneration = "V1"
	}
	s.changed()
	return reply(status, imageJSON(c.sub.ID, gp.rg.Name, gp.g, im))
}

// listVersions lists an image's versions; like Azure, never with replicationStatus.
func (s *Server) listVersions(c *armCtx) armResult {
	if e := s.check(c, actVersionRead, c.r.URL.Path); e != nil {
		return fail(e)
	}
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	out := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(gp.im.Versions)) {
		out = append(out, versionJSON(c.sub.ID, gp.rg.Name, gp.g, gp.im, gp.im.Versions[k], c.now, false))
	}
	return reply(http.StatusOK, page(c, out))
}

// getVersion serves GET version [+ $expand=ReplicationStatus]; the readiness check galshare relies on.
func (s *Server) getVersion(c *armCtx) armResult {
	if e := s.check(c, actVersionRead, c.r.URL.Path); e != nil {
		return fail(e)
	}
	expand := c.q.Get("$expand")
	if expand != "" && !strings.EqualFold(expand, expandReplStatus) && !strings.EqualFold(expand, expandUefi) {
		return fail(errInvalidExpand(expand))
	}
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	return reply(http.StatusOK, versionJSON(c.sub.ID, gp.rg.Name, gp.g, gp.im, gp.v, c.now, strings.EqualFold(expand, expandReplStatus)))
}

// putVersion creates a version that starts replicating now to its target regions (over the default replication
// time), or updates the target regions of an existing one (restarting replication).
func (s *Server) putVersion(c *armCtx) armResult {
	if e := s.check(c, actVersionWrite, c.r.URL.Path); e != nil {
		return fail(e)
	}
	var in struct {
		Location   string `json:"location"`
		Properties struct {
			PublishingProfile struct {
				TargetRegions []struct {
					Name                 string `json:"name"`
					RegionalReplicaCount int    `json:"regionalReplicaCount"`
				} `json:"targetRegions"`
				ReplicaCount      int  `json:"replicaCount"`
				ExcludeFromLatest bool `json:"excludeFromLatest"`
			} `json:"publishingProfile"`
		} `json:"properties"`
	}
	if e := decodeBody(c, &in); e != nil {
		return fail(e)
	}
	name := c.rt.Version
	c.rt.Version = ""
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	loc := normRegion(in.Location)
	if loc == "" {
		loc = gp.im.Location
	}
	regions := []string{}
	for _, tr := range in.Properties.PublishingProfile.TargetRegions {
		if r := normRegion(tr.Name); !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	if len(regions) == 0 {
		regions = []string{loc}
	}
	v := gp.im.version(name)
	status := http.StatusOK
	if v == nil {
		v = &imageVersion{Name: name, PublishedDate: c.now}
		gp.im.Versions[strings.ToLower(name)] = v
		status = http.StatusCreated
	}
	v.Location, v.Regions, v.ReplicaCount = loc, regions, in.Properties.PublishingProfile.ReplicaCount
	v.ExcludeLatest = in.Properties.PublishingProfile.ExcludeFromLatest
	v.Replication, v.StartedAt, v.FailedRegions = replicationProgressing, c.now, nil
	if v.ReplicationTime == 0 {
		v.ReplicationTime = s.defaultVersionReplicationTime()
	}
	s.changed()
	return reply(status, versionJSON(c.sub.ID, gp.rg.Name, gp.g, gp.im, v, c.now, false))
}
