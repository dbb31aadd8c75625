package azure

import (
	"testing"
	"time"
)

func TestImageVersionReady(t *testing.T) {
	done := func(r string) RegionStatus { return RegionStatus{Region: r, State: "Completed", Progress: 100} }
	tests := []struct {
		name        string
		v           ImageVersion
		ready, fail bool
	}{
		{"all done", ImageVersion{ProvisioningState: "Succeeded", AggregatedReplication: "Completed",
			Regions: []RegionStatus{done("West US"), done("eastus")}, TargetRegions: []string{"westus", "East US"}}, true, false},
		{"case and spaces normalised", ImageVersion{ProvisioningState: "succeeded", AggregatedReplication: "completed",
			Regions: []RegionStatus{done("West Europe")}, TargetRegions: []string{"WestEurope"}}, true, false},
		{"still creating", ImageVersion{ProvisioningState: "Creating", AggregatedReplication: "Completed",
			Regions: []RegionStatus{done("westus")}, TargetRegions: []string{"westus"}}, false, false},
		{"aggregate in progress", ImageVersion{ProvisioningState: "Succeeded", AggregatedReplication: "InProgress",
			Regions: []RegionStatus{done("westus")}, TargetRegions: []string{"westus"}}, false, false},
		{"target region missing from status", ImageVersion{ProvisioningState: "Succeeded", AggregatedReplication: "Completed",
			Regions: []RegionStatus{done("westus")}, TargetRegions: []string{"westus", "northeurope"}}, false, false},
		{"region replicating", ImageVersion{ProvisioningState: "Succeeded", AggregatedReplication: "Completed",
			Regions: []RegionStatus{done("westus"), {Region: "eastus", State: "Replicating", Progress: 40}}, TargetRegions: []string{"westus", "eastus"}}, false, false},
		{"region failed", ImageVersion{ProvisioningState: "Succeeded", AggregatedReplication: "Failed",
			Regions: []RegionStatus{{Region: "eastus", State: "Failed"}}, TargetRegions: []string{"eastus"}}, false, true},
		{"provisioning failed", ImageVersion{ProvisioningState: "Failed"}, false, true},
		{"empty", ImageVersion{}, false, false},
	}
	for _, tt := range tests {
		if got := tt.v.Ready(); got != tt.ready {
			t.Errorf("%s: Ready = %v, want %v", tt.name, got, tt.ready)
		}
		if got := tt.v.Failed(); got != tt.fail {
			t.Errorf("%s: Failed = %v, want %v", tt.name, got, tt.fail)
		}
	}
}

func TestNormalizeRegion(t *testing.T) {
	for in, want := range map[string]string{"West US": "westus", "westus": "westus", " East  US 2 ": "eastus2", "": ""} {
		if got := NormalizeRegion(in); got != want {
			t.Errorf("NormalizeRegion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPasswordExpiresWithin(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := PasswordCredential{End: now.Add(12 * 24 * time.Hour)}
	if !p.ExpiresWithin(now, 30*24*time.Hour) || p.ExpiresWithin(now, 10*24*time.Hour) {
		t.Error("ExpiresWithin wrong for a future end")
	}
	if !(PasswordCredential{End: now.Add(-time.Hour)}).ExpiresWithin(now, 0) {
		t.Error("expired password not reported")
	}
	if (PasswordCredential{}).ExpiresWithin(now, time.Hour) {
		t.Error("unknown end reported as expiring")
	}
}
