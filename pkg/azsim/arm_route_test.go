package azsim

import "testing"

func TestParseARMPath(t *testing.T) {
	const sub = "/subscriptions/11111111-1111-1111-1111-111111111111"
	gal := sub + "/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"
	tests := []struct {
		path  string
		want  armRoute
		label string
	}{
		{"/subscriptions", armRoute{Kind: rkSubscriptions}, "GET subscriptions"},
		{sub, armRoute{Kind: rkSubscription, Sub: sub[15:]}, "GET subscription"},
		{sub + "/resourcegroups", armRoute{Kind: rkResourceGroups, Sub: sub[15:]}, "GET resourceGroups"},
		{sub + "/resourcegroups/RG", armRoute{Kind: rkResourceGroup, Sub: sub[15:], RG: "RG"}, "GET resourceGroup"},
		{sub + "/providers/Microsoft.Compute/galleries", armRoute{Kind: rkGalleriesInSub, Sub: sub[15:]}, "GET galleries"},
		{sub + "/resourceGroups/rg/providers/microsoft.compute/GALLERIES", armRoute{Kind: rkGalleriesInRG, Sub: sub[15:], RG: "rg"}, "GET galleries"},
		{gal, armRoute{Kind: rkGallery, Sub: sub[15:], RG: "rg", Gallery: "g"}, "GET gallery"},
		{gal + "/share", armRoute{Kind: rkGalleryShare, Sub: sub[15:], RG: "rg", Gallery: "g"}, "GET galleryShare"},
		{gal + "/images", armRoute{Kind: rkImages, Sub: sub[15:], RG: "rg", Gallery: "g"}, "GET images"},
		{gal + "/images/i", armRoute{Kind: rkImage, Sub: sub[15:], RG: "rg", Gallery: "g", Image: "i"}, "GET image"},
		{gal + "/images/i/versions", armRoute{Kind: rkVersions, Sub: sub[15:], RG: "rg", Gallery: "g", Image: "i"}, "GET imageVersions"},
		{gal + "/images/i/versions/1.0.0", armRoute{Kind: rkVersion, Sub: sub[15:], RG: "rg", Gallery: "g", Image: "i", Version: "1.0.0"}, "GET imageVersion"},
		{gal + "/providers/Microsoft.Authorization/roleAssignments/abc", armRoute{Kind: rkRoleAssignment, Sub: sub[15:], Scope: gal, Name: "abc"}, "GET roleAssignments"},
		{sub + "/providers/microsoft.authorization/roleassignments", armRoute{Kind: rkRoleAssignments, Sub: sub[15:], Scope: sub}, "GET roleAssignments"},
		{"/providers/Microsoft.Authorization/roleDefinitions", armRoute{Kind: rkRoleDefinitions, Scope: "/"}, "GET roleDefinitions"},
		{sub + "/providers/Microsoft.Authorization/roleDefinitions/x", armRoute{Kind: rkRoleDefinition, Sub: sub[15:], Scope: sub, Name: "x"}, "GET roleDefinitions"},
		{sub + "/providers/Microsoft.Compute/locations/eastus/capsOperations/op1", armRoute{Kind: rkOperation, Sub: sub[15:], Location: "eastus", OpID: "op1"}, "GET operation"},
		{"/foo/bar", armRoute{}, "GET arm"},
		{sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", armRoute{Sub: sub[15:], RG: "rg"}, "GET arm"},
	}
	for _, tt := range tests {
		if got := parseARMPath(tt.path); got != tt.want {
			t.Errorf("parseARMPath(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
		if got := armRouteLabel("GET", tt.path); got != tt.label {
			t.Errorf("armRouteLabel(%q) = %q, want %q", tt.path, got, tt.label)
		}
	}
}

func TestCheckAPIVersion(t *testing.T) {
	tests := []struct {
		kind     armRouteKind
		version  string
		wantCode string
	}{
		{rkRoleAssignment, "2022-04-01", ""},
		{rkRoleAssignment, "2025-12-03", "InvalidApiVersionParameter"},
		{rkGallery, "2025-12-03", ""},
		{rkGallery, "2025-03-03", ""},
		{rkGallery, "2024-03-03", ""},
		{rkGallery, "2099-01-01", "InvalidApiVersionParameter"},
		{rkResourceGroup, "2025-04-01", ""},
		{rkResourceGroup, "", "MissingApiVersionParameter"},
	}
	for _, tt := range tests {
		q := map[string][]string{}
		if tt.version != "" {
			q["api-version"] = []string{tt.version}
		}
		e := checkAPIVersion(tt.kind, q)
		got := ""
		if e != nil {
			got = e.Code
		}
		if got != tt.wantCode {
			t.Errorf("checkAPIVersion(%v, %q) = %q, want %q", tt.kind, tt.version, got, tt.wantCode)
		}
	}
}
