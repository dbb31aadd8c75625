package azsim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

const (
	tenantC = "cccccccc-cccc-cccc-cccc-cccccccccccc"
)

func TestSDKGalleryGetWithSharingGroups(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	client, err := armcompute.NewGalleriesClient(subA, e.opCred(t, opOwner), e.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := client.Get(ctx, imagesRG, "mygallery", nil) // names are case-insensitive
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	sp := plain.Properties.SharingProfile
	if *plain.Name != "myGallery" || *sp.Permissions != armcompute.GallerySharingPermissionTypesGroups || sp.Groups != nil {
		t.Errorf("plain get: name %s, sharing %+v (groups only with $expand)", *plain.Name, sp)
	}
	if *plain.Properties.Identifier.UniqueName != subA+"-MYGALLERY" {
		t.Errorf("uniqueName = %s", *plain.Properties.Identifier.UniqueName)
	}
	expanded, err := client.Get(ctx, imagesRG, "myGallery", &armcompute.GalleriesClientGetOptions{Expand: to.Ptr(armcompute.GalleryExpandParamsSharingProfileGroups)})
	if err != nil {
		t.Fatalf("get expanded: %v", err)
	}
	if expanded.Properties.SharingProfile.Groups == nil {
		t.Error("$expand=SharingProfile/Groups did not return groups")
	}
	_, err = client.Get(ctx, imagesRG, "nope", nil)
	wantRespErr(t, err, http.StatusNotFound, "ResourceNotFound")

	pager := client.NewListByResourceGroupPager(imagesRG, nil)
	page, err := pager.NextPage(ctx)
	if err != nil || len(page.Value) != 2 {
		t.Fatalf("list by rg: %v, %d galleries", err, len(page.Value))
	}
}

func TestSDKImagesAndVersionsList(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	images, _ := armcompute.NewGalleryImagesClient(subA, e.opCred(t, opContrib), e.armOptions())
	page, err := images.NewListByGalleryPager(imagesRG, "myGallery", nil).NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].Properties.Identifier.Publisher != "contoso" {
		t.Fatalf("images: %v %+v", err, page.Value)
	}
	versions, _ := armcompute.NewGalleryImageVersionsClient(subA, e.opCred(t, opContrib), e.armOptions())
	vp, err := versions.NewListByGalleryImagePager(imagesRG, "myGallery", imageName, nil).NextPage(ctx)
	if err != nil || len(vp.Value) != 3 {
		t.Fatalf("versions: %v, %d", err, len(vp.Value))
	}
	for _, v := range vp.Value {
		if v.Properties.ReplicationStatus != nil {
			t.Errorf("list carries replicationStatus for %s", *v.Name)
		}
		if *v.Properties.PublishingProfile.TargetRegions[0].Name != "East US" {
			t.Errorf("target region display name = %s", *v.Properties.PublishingProfile.TargetRegions[0].Name)
		}
	}
}

func TestSDKImageVersionReplicationProgresses(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	client, _ := armcompute.NewGalleryImageVersionsClient(subA, e.opCred(t, opOwner), e.armOptions())
	get := func() armcompute.GalleryImageVersion {
		t.Helper()
		r, err := client.Get(ctx, imagesRG, "myGallery", imageName, "1.1.0",
			&armcompute.GalleryImageVersionsClientGetOptions{Expand: to.Ptr(armcompute.ReplicationStatusTypesReplicationStatus)})
		if err != nil {
			t.Fatalf("get version: %v", err)
		}
		return r.GalleryImageVersion
	}
	v := get()
	rs := v.Properties.ReplicationStatus
	if rs == nil || *rs.AggregatedState != armcompute.AggregatedReplicationStateInProgress ||
		*v.Properties.ProvisioningState != armcompute.GalleryProvisioningStateCreating {
		t.Fatalf("fresh progressing version: %+v", v.Properties)
	}
	// Seeded replicationTime is 1m (settings.replicationTime): after 45 s East US is done, West Europe is at 75 %.
	e.clock.Advance(45 * time.Second)
	rs = get().Properties.ReplicationStatus
	if *rs.Summary[0].Region != "East US" || *rs.Summary[0].State != armcompute.ReplicationStateCompleted ||
		*rs.Summary[1].State != armcompute.ReplicationStateReplicating || *rs.Summary[1].Progress != 75 {
		t.Errorf("mid-way summary: %s %s / %s %s %d", *rs.Summary[0].Region, *rs.Summary[0].State,
			*rs.Summary[1].Region, *rs.Summary[1].State, *rs.Summary[1].Progress)
	}
	e.clock.Advance(time.Minute)
	v = get()
	if *v.Properties.ReplicationStatus.AggregatedState != armcompute.AggregatedReplicationStateCompleted ||
		*v.Properties.ProvisioningState != armcompute.GalleryProvisioningStateSucceeded {
		t.Errorf("after replicationTime: %s / %s", *v.Properties.ReplicationStatus.AggregatedState, *v.Properties.ProvisioningState)
	}

	// The failed version and the test mutator.
	failed, err := client.Get(ctx, imagesRG, "myGallery", imageName, "0.9.0",
		&armcompute.GalleryImageVersionsClientGetOptions{Expand: to.Ptr(armcompute.ReplicationStatusTypesReplicationStatus)})
	if err != nil || *failed.Properties.ReplicationStatus.AggregatedState != armcompute.AggregatedReplicationStateFailed {
		t.Fatalf("failed version: %v", err)
	}
	id := galleryA + "/images/" + imageName + "/versions/1.0.0"
	if err := e.sim.SetVersionReplication(id, "progressing", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if vv, _ := e.sim.ImageVersion(id); vv.AggregatedState != "InProgress" {
		t.Errorf("after restart: %+v", vv)
	}
	e.clock.Advance(11 * time.Second)
	if vv, _ := e.sim.ImageVersion(id); vv.AggregatedState != "Completed" {
		t.Errorf("after 11s: %+v", vv)
	}
}

func shareUpdate(op armcompute.SharingUpdateOperationTypes, tenants ...string) armcompute.SharingUpdate {
	u := armcompute.SharingUpdate{OperationType: to.Ptr(op)}
	if len(tenants) > 0 {
		u.Groups = []*armcompute.SharingProfileGroup{{Type: to.Ptr(armcompute.SharingProfileGroupTypesAADTenants), IDs: to.SliceOfPtrs(tenants...)}}
	}
	return u
}

func TestSDKGalleryShareAddRemove(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	// The sharer holds Compute Gallery Sharing Admin (+ Reader) on the gallery.
	client, _ := armcompute.NewGallerySharingProfileClient(subA, e.opCred(t, opSharer), e.armOptions())
	poller, err := client.BeginUpdate(ctx, imagesRG, "myGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB, tenantC), nil)
	if err != nil {
		t.Fatalf("begin add: %v", err)
	}
	if g, _ := e.sim.Gallery(galleryA); g.PendingShares != 1 || len(g.Groups) != 0 {
		t.Errorf("while in progress: %+v", g)
	}
	res, err := poller.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatalf("poll add: %v", err)
	}
	if *res.OperationType != armcompute.SharingUpdateOperationTypesAdd {
		t.Errorf("final result = %+v", res)
	}
	g, _ := e.sim.Gallery(galleryA)
	if len(g.Groups) != 1 || g.Groups[0].Type != "AADTenants" || len(g.Groups[0].IDs) != 2 || g.PendingShares != 0 {
		t.Fatalf("after add: %+v", g)
	}

	poller, err = client.BeginUpdate(ctx, imagesRG, "myGallery", shareUpdate(armcompute.SharingUpdateOperationTypesRemove, tenantC), nil)
	if err != nil {
		t.Fatalf("begin remove: %v", err)
	}
	if _, err := poller.PollUntilDone(ctx, nil); err != nil {
		t.Fatalf("poll remove: %v", err)
	}
	galleries, _ := armcompute.NewGalleriesClient(subA, e.opCred(t, opSharer), e.armOptions())
	got, err := galleries.Get(ctx, imagesRG, "myGallery", &armcompute.GalleriesClientGetOptions{Expand: to.Ptr(armcompute.GalleryExpandParamsSharingProfileGroups)})
	if err != nil {
		t.Fatal(err)
	}
	groups := got.Properties.SharingProfile.Groups
	if len(groups) != 1 || len(groups[0].IDs) != 1 || *groups[0].IDs[0] != tenantB {
		t.Errorf("after remove: %+v", groups)
	}

	// Preconditions: a Private gallery cannot be shared to groups; at most 5 tenants.
	_, err = client.BeginUpdate(ctx, imagesRG, "privGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB), nil)
	if err == nil {
		t.Fatal("sharing a gallery without the sharer role (and Private) succeeded")
	}
	owner, _ := armcompute.NewGallerySharingProfileClient(subA, e.opCred(t, opOwner), e.armOptions())
	_, err = owner.BeginUpdate(ctx, imagesRG, "privGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB), nil)
	wantRespErr(t, err, http.StatusBadRequest, "OperationNotAllowed")
	many := []string{tenantC, "dddddddd-dddd-dddd-dddd-dddddddddddd", "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee",
		"ffffffff-ffff-ffff-ffff-ffffffffffff", "11111111-2222-3333-4444-555555555555"}
	_, err = owner.BeginUpdate(ctx, imagesRG, "myGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, many...), nil)
	wantRespErr(t, err, http.StatusBadRequest, "InvalidParameter")
}

func TestSDKGalleryShareDeniedForContributor(t *testing.T) {
	e := newARMEnv(t)
	client, _ := armcompute.NewGallerySharingProfileClient(subA, e.opCred(t, opContrib), e.armOptions())
	_, err := client.BeginUpdate(context.Background(), imagesRG, "myGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB), nil)
	re := wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
	if !stringsContains(re.Error(), "Microsoft.Compute/galleries/share/action") ||
		!stringsContains(re.Error(), galleryA) {
		t.Errorf("403 message: %v", re)
	}
	if g, _ := e.sim.Gallery(galleryA); len(g.Groups) != 0 || g.PendingShares != 0 {
		t.Errorf("denied share changed the gallery: %+v", g)
	}
}

func TestSDKGalleryReadDeniedWithoutReader(t *testing.T) {
	e := newARMEnv(t)
	client, _ := armcompute.NewGalleriesClient(subA, e.opCred(t, opNoRole), e.armOptions())
	_, err := client.Get(context.Background(), imagesRG, "myGallery", nil)
	re := wantRespErr(t, err, http.StatusForbidden, "AuthorizationFailed")
	if !stringsContains(re.Error(), "'Microsoft.Compute/galleries/read' over scope '"+galleryA+"'") {
		t.Errorf("403 message: %v", re)
	}
}
