package azsim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/google/uuid"
)

// TestARMWorldSurvivesRestart checks that role assignments, sharing groups and replication clocks are persisted.
func TestARMWorldSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	clock := &testClock{}
	sim, err := Start(ctx, Options{SeedFile: "testdata/arm-world.yaml", Dir: dir, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &armEnv{sim: sim, clock: clock}
	ra, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opOwner), e.armOptions())
	name := uuid.NewString()
	if _, err := ra.Create(ctx, galleryA, name, raParams(subA, e.spID(t, opContrib), "ServicePrincipal"), nil); err != nil {
		t.Fatal(err)
	}
	share, _ := armcompute.NewGallerySharingProfileClient(subA, e.opCred(t, opOwner), e.armOptions())
	poller, err := share.BeginUpdate(ctx, imagesRG, "myGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := sim.ImageVersion(galleryA + "/images/" + imageName + "/versions/1.1.0")
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sim.Close(closeCtx); err != nil {
		t.Fatal(err)
	}

	sim2, err := Start(ctx, Options{Dir: dir, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim2.Close(context.Background()) })
	found := false
	for _, v := range sim2.RoleAssignments() {
		found = found || v.Name == name
	}
	if !found {
		t.Error("role assignment lost on restart")
	}
	if g, _ := sim2.Gallery(galleryA); len(g.Groups) != 1 || g.Groups[0].IDs[0] != tenantB {
		t.Errorf("sharing groups after restart: %+v", g)
	}
	after, _ := sim2.ImageVersion(galleryA + "/images/" + imageName + "/versions/1.1.0")
	if after.AggregatedState != before.AggregatedState || len(after.Regions) != 2 || after.Regions[1].Progress < before.Regions[1].Progress {
		t.Errorf("replication after restart %+v, before %+v", after, before)
	}
	// The restarted world still answers through the SDK.
	e2 := &armEnv{sim: sim2, clock: clock}
	ra2, _ := armauthorization.NewRoleAssignmentsClient(subA, e2.opCred(t, opOwner), e2.armOptions())
	if _, err := ra2.Get(ctx, galleryA, name, nil); err != nil {
		t.Errorf("get after restart: %v", err)
	}
}

// TestSDKRoleAssignmentPaging lists more assignments than fit on one page and follows nextLink.
func TestSDKRoleAssignmentPaging(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	const extra = armPageSize + 7
	for i := range extra {
		scope := fmt.Sprintf("/subscriptions/%s/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery/images/img%d", subA, i)
		if _, err := e.sim.GrantRole(scope, "Reader", e.spID(t, opNoRole)); err != nil {
			t.Fatal(err)
		}
	}
	client, _ := armauthorization.NewRoleAssignmentsClient(subA, e.opCred(t, opOwner), e.armOptions())
	pages, total := 0, 0
	for pager := client.NewListForSubscriptionPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		total += len(page.Value)
	}
	seeded := 5 // arm-world.yaml has five assignments in subscription A (the sixth is in B)
	if pages != 2 || total != extra+seeded {
		t.Errorf("pages = %d, total = %d, want 2 pages and %d", pages, total, extra+seeded)
	}
}
