package azsim

import (
	"testing"
	"time"
)

func TestVersionReplicationProgress(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := &imageVersion{Regions: []string{"eastus", "westeurope"}, Replication: replicationProgressing,
		ReplicationTime: 10 * time.Second, StartedAt: t0}
	tests := []struct {
		at         time.Duration
		aggregated string
		prov       string
		states     []string
		progress   []int
	}{
		{0, "InProgress", "Creating", []string{"Replicating", "Replicating"}, []int{0, 0}},
		{2500 * time.Millisecond, "InProgress", "Creating", []string{"Replicating", "Replicating"}, []int{50, 25}},
		{5 * time.Second, "InProgress", "Creating", []string{"Completed", "Replicating"}, []int{100, 50}},
		{10 * time.Second, "Completed", "Succeeded", []string{"Completed", "Completed"}, []int{100, 100}},
	}
	for _, tt := range tests {
		st := v.status(t0.Add(tt.at))
		if st.AggregatedState != tt.aggregated || st.ProvisioningState != tt.prov {
			t.Errorf("at %v: state %s/%s, want %s/%s", tt.at, st.AggregatedState, st.ProvisioningState, tt.aggregated, tt.prov)
		}
		for i, r := range st.Regions {
			if r.State != tt.states[i] || r.Progress != tt.progress[i] {
				t.Errorf("at %v region %s: %s %d%%, want %s %d%%", tt.at, r.Region, r.State, r.Progress, tt.states[i], tt.progress[i])
			}
		}
	}
}

func TestVersionReplicationFailedAndCompleted(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	failed := &imageVersion{Regions: []string{"eastus", "westus"}, Replication: replicationFailed, ReplicationTime: time.Second, StartedAt: t0}
	st := failed.status(t0.Add(time.Hour))
	if st.AggregatedState != "Failed" || st.ProvisioningState != "Failed" || st.Regions[0].State != "Completed" || st.Regions[1].State != "Failed" {
		t.Errorf("failed version: %+v", st)
	}
	done := &imageVersion{Regions: []string{"eastus"}, Replication: replicationCompleted, StartedAt: t0}
	if st := done.status(t0); st.AggregatedState != "Completed" || st.Regions[0].Progress != 100 {
		t.Errorf("completed version: %+v", st)
	}
}

func TestRegionNames(t *testing.T) {
	if got := regionDisplayName("eastus"); got != "East US" {
		t.Errorf("display(eastus) = %q", got)
	}
	if got := normRegion("West Europe"); got != "westeurope" {
		t.Errorf("norm(West Europe) = %q", got)
	}
	if got := regionDisplayName("marsnorth"); got != "marsnorth" {
		t.Errorf("unknown region = %q", got)
	}
}
