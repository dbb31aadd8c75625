package azsim

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
)

// The official SDK's PermissionsClient reads the caller's effective permissions: one entry per role held at or
// above the scope, nothing for a caller without a role, at resource-group and resource (gallery) scope.
func TestSDKPermissions(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	actionsOf := func(t *testing.T, op testOperator, resource bool) [][]string {
		t.Helper()
		client, err := armauthorization.NewPermissionsClient(subA, e.opCred(t, op), e.armOptions())
		if err != nil {
			t.Fatal(err)
		}
		var out [][]string
		add := func(ps []*armauthorization.Permission) {
			for _, p := range ps {
				var acts []string
				for _, a := range p.Actions {
					acts = append(acts, *a)
				}
				for _, a := range p.NotActions {
					acts = append(acts, "!"+*a)
				}
				out = append(out, acts)
			}
		}
		if resource {
			pager := client.NewListForResourcePager(imagesRG, "Microsoft.Compute", "", "galleries", "myGallery", nil)
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				add(page.Value)
			}
			return out
		}
		pager := client.NewListForResourceGroupPager(imagesRG, nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			add(page.Value)
		}
		return out
	}

	if got := actionsOf(t, opOwner, true); len(got) != 1 || !slices.Equal(got[0], []string{"*"}) {
		t.Errorf("owner (inherited from the subscription) at the gallery: %v, want [[*]]", got)
	}
	got := actionsOf(t, opContrib, false)
	if len(got) != 1 || !slices.Contains(got[0], "*") || !slices.Contains(got[0], "!Microsoft.Authorization/*/Write") {
		t.Errorf("contributor at images-rg: %v, want * with Microsoft.Authorization/*/Write excluded", got)
	}
	if got := actionsOf(t, opSharer, false); len(got) != 0 {
		t.Errorf("sharer holds roles on the gallery only, yet at images-rg: %v", got)
	}
	if got := actionsOf(t, opSharer, true); len(got) != 2 {
		t.Errorf("sharer at the gallery: %v, want its two roles", got)
	}
	if got := actionsOf(t, opNoRole, true); len(got) != 0 {
		t.Errorf("a caller without a role: %v, want none", got)
	}
}

// Like any request under a resource group, the permissions read at a group that does not exist answers 404
// ResourceGroupNotFound (galshare's refresh uses that read as the group's existence check too).
func TestSDKPermissionsMissingGroup(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	client, err := armauthorization.NewPermissionsClient(subA, e.opCred(t, opOwner), e.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.NewListForResourceGroupPager("no-such-rg", nil).NextPage(ctx)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "ResourceGroupNotFound" {
		t.Errorf("permissions at a missing resource group: %v, want 404 ResourceGroupNotFound", err)
	}
	_, err = client.NewListForResourcePager(imagesRG, "Microsoft.Compute", "", "galleries", "noSuchGallery", nil).NextPage(ctx)
	if !errors.As(err, &re) || re.StatusCode != 404 {
		t.Errorf("permissions at a missing gallery: %v, want 404", err)
	}
}
