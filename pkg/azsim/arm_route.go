package azsim

import "strings"

// armRouteKind is what an ARM path addresses.
type armRouteKind int

const (
	rkUnknown armRouteKind = iota
	rkSubscriptions
	rkSubscription
	rkResourceGroups
	rkResourceGroup
	rkRoleDefinitions
	rkRoleDefinition
	rkRoleAssignments
	rkRoleAssignment
	rkGalleriesInSub
	rkGalleriesInRG
	rkGallery
	rkGalleryShare
	rkImages
	rkImage
	rkVersions
	rkVersion
	rkOperation
	rkSharedGalleries
	rkSharedGallery
	rkSharedImages
	rkSharedImage
	rkSharedVersions
	rkSharedVersion
	rkPermissions
)

// armRouteNames are the stats/fault labels of each route kind (prefixed with the method by armRouteLabel).
var armRouteNames = map[armRouteKind]string{
	rkUnknown:         "arm",
	rkSubscriptions:   "subscriptions",
	rkSubscription:    "subscription",
	rkResourceGroups:  "resourceGroups",
	rkResourceGroup:   "resourceGroup",
	rkRoleDefinitions: "roleDefinitions",
	rkRoleDefinition:  "roleDefinitions",
	rkRoleAssignments: "roleAssignments",
	rkRoleAssignment:  "roleAssignments",
	rkGalleriesInSub:  "galleries",
	rkGalleriesInRG:   "galleries",
	rkGallery:         "gallery",
	rkGalleryShare:    "galleryShare",
	rkImages:          "images",
	rkImage:           "image",
	rkVersions:        "imageVersions",
	rkVersion:         "imageVersion",
	rkOperation:       "operation",
	rkSharedGalleries: "sharedGalleries",
	rkSharedGallery:   "sharedGallery",
	rkSharedImages:    "sharedImages",
	rkSharedImage:     "sharedImage",
	rkSharedVersions:  "sharedImageVersions",
	rkSharedVersion:   "sharedImageVersion",
	rkPermissions:     "permissions",
}

// armRoute is a parsed ARM path. Names keep the caller's spelling; matching is case-insensitive.
type armRoute struct {
	Kind    armRouteKind
	Sub     string
	RG      string
	Gallery string
	Image   string
	Version string
	// Scope is the scope part of a Microsoft.Authorization path (everything before /providers/Microsoft.Authorization).
	Scope string
	// Name is the role assignment or role definition name for item routes.
	Name     string
	Location string
	OpID     string
}

// armRouteLabel names an ARM route for stats and per-route faults: the method and the addressed kind. Items are
// singular and collections plural ("GET imageVersion" vs "GET imageVersions", "GET gallery", "POST galleryShare",
// "GET operation"), except Microsoft.Authorization routes, which always use ARM's type names "roleAssignments" and
// "roleDefinitions" (so "PUT roleAssignments" selects role assignment creation, as the fault syntax documents).
func armRouteLabel(method, path string) string {
	return method + " " + armRouteNames[parseARMPath(path).Kind]
}

func eq(a, b string) bool { return strings.EqualFold(a, b) }

// parseARMPath classifies an ARM path case-insensitively (armresources v4 sends /resourcegroups/).
func parseARMPath(path string) armRoute {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		return armRoute{}
	}
	// Microsoft.Authorization can sit under any scope: find its provider segment.
	for i := 0; i+2 < len(segs); i++ {
		if eq(segs[i], "providers") && eq(segs[i+1], "Microsoft.Authorization") {
			rt := armRoute{Scope: "/" + strings.Join(segs[:i], "/")}
			if rt.Scope != "/" && len(segs[:i]) >= 2 && eq(segs[0], "subscriptions") {
				rt.Sub = segs[1]
			}
			rest := segs[i+2:]
			switch {
			case len(rest) == 1 && eq(rest[0], "roleAssignments"):
				rt.Kind = rkRoleAssignments
			case len(rest) == 2 && eq(rest[0], "roleAssignments"):
				rt.Kind, rt.Name = rkRoleAssignment, rest[1]
			case len(rest) == 1 && eq(rest[0], "roleDefinitions"):
				rt.Kind = rkRoleDefinitions
			case len(rest) == 2 && eq(rest[0], "roleDefinitions"):
				rt.Kind, rt.Name = rkRoleDefinition, rest[1]
			case len(rest) == 1 && eq(rest[0], "permissions"):
				rt.Kind = rkPermissions
			default:
				return armRoute{Sub: rt.Sub}
			}
			return rt
		}
	}
	if !eq(segs[0], "subscriptions") {
		return armRoute{}
	}
	if len(segs) == 1 {
		return armRoute{Kind: rkSubscriptions}
	}
	rt := armRoute{Sub: segs[1]}
	rest := segs[2:]
	switch {
	case len(rest) == 0:
		rt.Kind = rkSubscription
	case eq(rest[0], "resourceGroups"):
		rt = parseRGPath(rt, rest[1:])
	case len(rest) == 3 && eq(rest[0], "providers") && eq(rest[1], "Microsoft.Compute") && eq(rest[2], "galleries"):
		rt.Kind = rkGalleriesInSub
	case len(rest) == 6 && eq(rest[0], "providers") && eq(rest[1], "Microsoft.Compute") && eq(rest[2], "locations") &&
		(eq(rest[4], "capsOperations") || eq(rest[4], "operations")):
		rt.Kind, rt.Location, rt.OpID = rkOperation, rest[3], rest[5]
	case len(rest) >= 5 && eq(rest[0], "providers") && eq(rest[1], "Microsoft.Compute") && eq(rest[2], "locations") &&
		eq(rest[4], "sharedGalleries"):
		rt.Location = rest[3]
		rt = parseSharedPath(rt, rest[5:])
	}
	return rt
}

// parseSharedPath parses what follows /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/sharedGalleries:
// the consumer's view of directly shared galleries, addressed by the gallery's unique name.
func parseSharedPath(rt armRoute, rest []string) armRoute {
	switch {
	case len(rest) == 0:
		rt.Kind = rkSharedGalleries
	case len(rest) == 1:
		rt.Kind, rt.Gallery = rkSharedGallery, rest[0]
	case len(rest) == 2 && eq(rest[1], "images"):
		rt.Kind, rt.Gallery = rkSharedImages, rest[0]
	case len(rest) == 3 && eq(rest[1], "images"):
		rt.Kind, rt.Gallery, rt.Image = rkSharedImage, rest[0], rest[2]
	case len(rest) == 4 && eq(rest[1], "images") && eq(rest[3], "versions"):
		rt.Kind, rt.Gallery, rt.Image = rkSharedVersions, rest[0], rest[2]
	case len(rest) == 5 && eq(rest[1], "images") && eq(rest[3], "versions"):
		rt.Kind, rt.Gallery, rt.Image, rt.Version = rkSharedVersion, rest[0], rest[2], rest[4]
	}
	return rt
}

// parseRGPath parses what follows /subscriptions/{s}/resourceGroups.
func parseRGPath(rt armRoute, rest []string) armRoute {
	if len(rest) == 0 {
		rt.Kind = rkResourceGroups
		return rt
	}
	rt.RG = rest[0]
	rest = rest[1:]
	if len(rest) == 0 {
		rt.Kind = rkResourceGroup
		return rt
	}
	if len(rest) < 3 || !eq(rest[0], "providers") || !eq(rest[1], "Microsoft.Compute") || !eq(rest[2], "galleries") {
		return rt
	}
	rest = rest[3:]
	switch {
	case len(rest) == 0:
		rt.Kind = rkGalleriesInRG
	case len(rest) == 1:
		rt.Kind, rt.Gallery = rkGallery, rest[0]
	case len(rest) == 2 && eq(rest[1], "share"):
		rt.Kind, rt.Gallery = rkGalleryShare, rest[0]
	case len(rest) == 2 && eq(rest[1], "images"):
		rt.Kind, rt.Gallery = rkImages, rest[0]
	case len(rest) == 3 && eq(rest[1], "images"):
		rt.Kind, rt.Gallery, rt.Image = rkImage, rest[0], rest[2]
	case len(rest) == 4 && eq(rest[1], "images") && eq(rest[3], "versions"):
		rt.Kind, rt.Gallery, rt.Image = rkVersions, rest[0], rest[2]
	case len(rest) == 5 && eq(rest[1], "images") && eq(rest[3], "versions"):
		rt.Kind, rt.Gallery, rt.Image, rt.Version = rkVersion, rest[0], rest[2], rest[4]
	}
	return rt
}

// apiFamily says which set of api-versions a route accepts.
type apiFamily int

const (
	apiNone apiFamily = iota
	apiSubscriptions
	apiResources
	apiAuthorization
	apiCompute
)

func (k armRouteKind) apiFamily() apiFamily {
	switch k {
	case rkSubscriptions, rkSubscription:
		return apiSubscriptions
	case rkResourceGroups, rkResourceGroup:
		return apiResources
	case rkRoleAssignments, rkRoleAssignment, rkRoleDefinitions, rkRoleDefinition, rkPermissions:
		return apiAuthorization
	case rkGalleriesInSub, rkGalleriesInRG, rkGallery, rkGalleryShare, rkImages, rkImage, rkVersions, rkVersion,
		rkOperation, rkSharedGalleries, rkSharedGallery, rkSharedImages, rkSharedImage, rkSharedVersions, rkSharedVersion:
		return apiCompute
	}
	return apiNone
}

// supportedAPIVersions lists, newest first, the api-versions each family accepts: what the pinned SDK modules send
// (armresources/v4 v4.0.0 → 2025-04-01, armauthorization/v2 v2.2.0 → 2022-04-01, armcompute/v8 v8.3.0 →
// 2025-12-03) plus a few older stable ones other tools still use.
var supportedAPIVersions = map[apiFamily][]string{
	apiSubscriptions: {"2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2016-06-01"},
	apiResources:     {"2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01", "2022-09-01", "2021-04-01"},
	apiAuthorization: {"2022-04-01", "2022-01-01-preview", "2020-10-01-preview", "2020-04-01-preview", "2015-07-01"},
	apiCompute:       {"2025-12-03", "2025-03-03", "2024-03-03", "2023-07-03", "2022-03-03"},
}
