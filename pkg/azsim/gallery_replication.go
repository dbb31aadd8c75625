package azsim

import (
	"slices"
	"time"
)

// Replication states as seeds and the test mutator name them.
const (
	replicationCompleted   = "completed"
	replicationProgressing = "progressing"
	replicationFailed      = "failed"
)

// defaultReplicationTime is how long a "progressing" version takes to reach every region when the seed gives no
// replicationTime.
const defaultReplicationTime = 30 * time.Second

// regionReplication is the state of one target region at a moment.
type regionReplication struct {
	Region   string // ARM name
	State    string // Completed, Replicating, Failed
	Progress int    // 0..100
	Details  string
}

// versionStatus is a version's provisioning and replication state at a moment.
type versionStatus struct {
	ProvisioningState string // Creating, Succeeded, Failed
	AggregatedState   string // InProgress, Completed, Failed
	Regions           []regionReplication
}

// status computes the version's state at now. Regions finish one after another: region i of n completes at
// StartedAt + ReplicationTime*(i+1)/n, and its progress grows linearly until then, so a poller sees the aggregated
// state move InProgress → Completed with per-region percentages on the way.
func (v *imageVersion) status(now time.Time) versionStatus {
	n := len(v.Regions)
	st := versionStatus{Regions: make([]regionReplication, 0, n)}
	total := v.ReplicationTime
	if total <= 0 {
		total = defaultReplicationTime
	}
	elapsed := now.Sub(v.StartedAt)
	failed := v.FailedRegions
	if v.Replication == replicationFailed && len(failed) == 0 && n > 0 {
		failed = []string{v.Regions[n-1]}
	}
	anyReplicating, anyFailed := false, false
	for i, r := range v.Regions {
		rr := regionReplication{Region: r}
		switch {
		case v.Replication == replicationCompleted:
			rr.State, rr.Progress = "Completed", 100
		case v.Replication == replicationFailed && slices.Contains(failed, r):
			rr.State, rr.Details = "Failed", "Replication to region "+regionDisplayName(r)+" failed: the source "+
				"could not be copied to the target storage account. Retry the operation or remove the region."
			anyFailed = true
		default:
			// progressing (and the healthy regions of a failed version) advance with time.
			done := time.Duration(int64(total) * int64(i+1) / int64(n))
			if elapsed >= done {
				rr.State, rr.Progress = "Completed", 100
			} else {
				p := 0
				if elapsed > 0 {
					p = int(int64(elapsed) * 100 / int64(done))
				}
				rr.State, rr.Progress = "Replicating", min(p, 99)
				anyReplicating = true
			}
		}
		st.Regions = append(st.Regions, rr)
	}
	switch {
	case anyReplicating:
		st.AggregatedState, st.ProvisioningState = "InProgress", "Creating"
	case anyFailed:
		st.AggregatedState, st.ProvisioningState = "Failed", "Failed"
	default:
		st.AggregatedState, st.ProvisioningState = "Completed", "Succeeded"
	}
	return st
}
