package azsim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

// TestSDKGalleryCreateImageAndVersion creates a gallery, an image definition and a version through the SDK pollers;
// the version's PUT poller finishes once replication has completed.
func TestSDKGalleryCreateImageAndVersion(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	cred := e.opCred(t, opContrib) // Contributor on images-rg may create galleries but not share them
	fast := &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}

	galleries, _ := armcompute.NewGalleriesClient(subA, cred, e.armOptions())
	gp, err := galleries.BeginCreateOrUpdate(ctx, imagesRG, "newGallery", armcompute.Gallery{
		Location: to.Ptr("eastus"),
		Properties: &armcompute.GalleryProperties{SharingProfile: &armcompute.SharingProfile{
			Permissions: to.Ptr(armcompute.GallerySharingPermissionTypesGroups)}},
	}, nil)
	if err != nil {
		t.Fatalf("create gallery: %v", err)
	}
	g, err := gp.PollUntilDone(ctx, fast)
	if err != nil || *g.Properties.ProvisioningState != armcompute.GalleryProvisioningStateSucceeded {
		t.Fatalf("gallery poller: %v", err)
	}
	// sharingProfile.permissions cannot change while the gallery is shared.
	if _, err := e.sim.GrantRole(galleryA[:len(galleryA)-len("myGallery")]+"newGallery", "Compute Gallery Sharing Admin", e.spID(t, opContrib)); err != nil {
		t.Fatal(err)
	}
	share, _ := armcompute.NewGallerySharingProfileClient(subA, cred, e.armOptions())
	sp, err := share.BeginUpdate(ctx, imagesRG, "newGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(ctx, fast); err != nil {
		t.Fatal(err)
	}
	private := armcompute.Gallery{Location: to.Ptr("eastus"), Properties: &armcompute.GalleryProperties{
		SharingProfile: &armcompute.SharingProfile{Permissions: to.Ptr(armcompute.GallerySharingPermissionTypesPrivate)}}}
	_, err = galleries.BeginCreateOrUpdate(ctx, imagesRG, "newGallery", private, nil)
	wantRespErr(t, err, http.StatusBadRequest, "OperationNotAllowed")
	// Reset unshares and makes it Private; it can then be switched back to Groups.
	sp, err = share.BeginUpdate(ctx, imagesRG, "newGallery", shareUpdate(armcompute.SharingUpdateOperationTypesReset), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(ctx, fast); err != nil {
		t.Fatal(err)
	}
	if gv, _ := e.sim.Gallery(galleryA[:len(galleryA)-len("myGallery")] + "newGallery"); gv.Permissions != "Private" || len(gv.Groups) != 0 {
		t.Errorf("after reset: %+v", gv)
	}
	groups := armcompute.Gallery{Location: to.Ptr("eastus"), Properties: &armcompute.GalleryProperties{
		SharingProfile: &armcompute.SharingProfile{Permissions: to.Ptr(armcompute.GallerySharingPermissionTypesGroups)}}}
	if _, err := galleries.BeginCreateOrUpdate(ctx, imagesRG, "newGallery", groups, nil); err != nil {
		t.Errorf("switching back to Groups: %v", err)
	}

	images, _ := armcompute.NewGalleryImagesClient(subA, cred, e.armOptions())
	ip, err := images.BeginCreateOrUpdate(ctx, imagesRG, "newGallery", "win2025", armcompute.GalleryImage{
		Location: to.Ptr("eastus"),
		Properties: &armcompute.GalleryImageProperties{
			OSType: to.Ptr(armcompute.OperatingSystemTypesWindows), OSState: to.Ptr(armcompute.OperatingSystemStateTypesGeneralized),
			HyperVGeneration: to.Ptr(armcompute.HyperVGenerationV2),
			Identifier:       &armcompute.GalleryImageIdentifier{Publisher: to.Ptr("contoso"), Offer: to.Ptr("windows"), SKU: to.Ptr("2025")},
		},
	}, nil)
	if err != nil {
		t.Fatalf("create image: %v", err)
	}
	if _, err := ip.PollUntilDone(ctx, fast); err != nil {
		t.Fatalf("image poller: %v", err)
	}

	versions, _ := armcompute.NewGalleryImageVersionsClient(subA, cred, e.armOptions())
	vp, err := versions.BeginCreateOrUpdate(ctx, imagesRG, "newGallery", "win2025", "1.0.0", armcompute.GalleryImageVersion{
		Location: to.Ptr("eastus"),
		Properties: &armcompute.GalleryImageVersionProperties{
			PublishingProfile: &armcompute.GalleryImageVersionPublishingProfile{TargetRegions: []*armcompute.TargetRegion{
				{Name: to.Ptr("East US")}, {Name: to.Ptr("North Europe")}}},
			StorageProfile: &armcompute.GalleryImageVersionStorageProfile{},
		},
	}, nil)
	if err != nil {
		t.Fatalf("create version: %v", err)
	}
	if vp.Done() {
		t.Fatal("version poller done before replication")
	}
	e.clock.Advance(2 * time.Minute) // beyond settings.replicationTime (1m)
	v, err := vp.PollUntilDone(ctx, fast)
	if err != nil || *v.Properties.ProvisioningState != armcompute.GalleryProvisioningStateSucceeded {
		t.Fatalf("version poller: %v", err)
	}
	if got := e.sim.RoleAssignments(); len(got) != 7 { // six seeded + the sharing admin grant above
		t.Errorf("creating resources changed role assignments: %d", len(got))
	}
	if view, ok := e.sim.ImageVersion(galleryA[:len(galleryA)-len("myGallery")] + "newGallery/images/win2025/versions/1.0.0"); !ok ||
		view.AggregatedState != "Completed" || len(view.Regions) != 2 || view.Regions[1].Region != "northeurope" {
		t.Errorf("version view: %+v", view)
	}
}
