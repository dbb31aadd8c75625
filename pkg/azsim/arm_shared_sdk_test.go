package azsim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
)

// TestSDKDirectSharedGalleryConsumerView shares myGallery with tenant B and reads it from tenant B's subscription
// through the sharedGalleries API, with no role in tenant A and no auxiliary token.
func TestSDKDirectSharedGalleryConsumerView(t *testing.T) {
	e := newARMEnv(t)
	ctx := context.Background()
	unique := subA + "-MYGALLERY"
	credB := e.opCred(t, opOwnerB)
	galleriesB, _ := armcompute.NewSharedGalleriesClient(subB, credB, e.armOptions())
	versionsB, _ := armcompute.NewSharedGalleryImageVersionsClient(subB, credB, e.armOptions())

	_, err := galleriesB.Get(ctx, "eastus", unique, nil)
	wantRespErr(t, err, http.StatusNotFound, "ResourceNotFound")

	share, _ := armcompute.NewGallerySharingProfileClient(subA, e.opCred(t, opOwner), e.armOptions())
	poller, err := share.BeginUpdate(ctx, imagesRG, "myGallery", shareUpdate(armcompute.SharingUpdateOperationTypesAdd, tenantB), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}

	page, err := galleriesB.NewListPager("eastus", &armcompute.SharedGalleriesClientListOptions{SharedTo: to.Ptr(armcompute.SharedToValuesTenant)}).NextPage(ctx)
	if err != nil || len(page.Value) != 1 || *page.Value[0].Name != unique || *page.Value[0].Identifier.UniqueID != "/SharedGalleries/"+unique {
		t.Fatalf("list shared to tenant: %v %+v", err, page.Value)
	}
	// Shared with the tenant, not with subscription B specifically.
	page, err = galleriesB.NewListPager("eastus", nil).NextPage(ctx)
	if err != nil || len(page.Value) != 0 {
		t.Errorf("list shared to subscription: %v %d", err, len(page.Value))
	}
	v, err := versionsB.Get(ctx, "westeurope", unique, imageName, "1.0.0", nil)
	if err != nil || *v.Identifier.UniqueID != "/SharedGalleries/"+unique+"/Images/"+imageName+"/Versions/1.0.0" {
		t.Fatalf("shared version: %v", err)
	}
	// 1.1.0 is still replicating: not yet in West Europe, there after replicationTime.
	_, err = versionsB.Get(ctx, "westeurope", unique, imageName, "1.1.0", nil)
	wantRespErr(t, err, http.StatusNotFound, "ResourceNotFound")
	e.clock.Advance(2 * time.Minute)
	if _, err := versionsB.Get(ctx, "westeurope", unique, imageName, "1.1.0", nil); err != nil {
		t.Errorf("1.1.0 after replication: %v", err)
	}
	// The same principal still cannot read the publisher's gallery directly.
	direct, _ := armcompute.NewGalleriesClient(subA, credB, e.armOptions())
	_, err = direct.Get(ctx, imagesRG, "myGallery", nil)
	wantRespErr(t, err, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant")
}
