package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// ErrReplicationFailed says an image version's build or replication failed;
// waiting longer cannot help.
var ErrReplicationFailed = errors.New("image version replication failed")

// ErrWaitTimeout says an image version was not ready within --wait-timeout.
var ErrWaitTimeout = errors.New("image version not ready before the wait timeout")

// applyWait polls an image version ($expand=ReplicationStatus) until it is
// provisioned and replicated to every target region, reporting each poll as
// progress. It fails at once when replication failed and after WaitTimeout
// otherwise. Nothing is written to Azure or state.
func (r *run) applyWait(ctx context.Context, c *planner.Change) error {
	if c.Action != planner.Wait {
		if c.Action == planner.NoOp || c.Action == planner.Read {
			return nil
		}
		return unsupported(c)
	}
	p := c.Wait
	res, err := r.opts.Clients.Resources(ctx, c.Tenant)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	deadline := r.opts.Now().Add(r.opts.WaitTimeout)
	sleep := r.opts.Retry.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	last := ""
	// Poll soon at first (a version may be seconds from done), then back
	// off to WaitInterval.
	interval := min(time.Second, r.opts.WaitInterval)
	for {
		v, err := retryGet(ctx, r, c, "GET imageVersion", func(ctx context.Context) (*azure.ImageVersion, error) {
			return res.GetImageVersion(ctx, p.GalleryID, p.Image, p.Version)
		})
		switch {
		case err != nil && !azure.IsNotFound(err):
			return err
		case err != nil:
			last = "the image version does not exist yet"
		case v.Ready():
			r.progress(c, "ready: provisioning Succeeded, replicated to "+strings.Join(v.TargetRegions, ", "))
			return nil
		case v.Failed():
			return fmt.Errorf("%s: %w: %s", c.Address, ErrReplicationFailed, describeVersion(v))
		default:
			last = describeVersion(v)
		}
		r.progress(c, "waiting: "+last)
		if !r.opts.Now().Add(interval).Before(deadline) {
			return fmt.Errorf("%s: %w (%s): last seen %s; raise --wait-timeout or check the image build in the publisher tenant",
				c.Address, ErrWaitTimeout, r.opts.WaitTimeout, last)
		}
		if err := sleep(ctx, interval); err != nil {
			return fmt.Errorf("%s: waiting for replication: %w", c.Address, err)
		}
		interval = min(interval*2, r.opts.WaitInterval)
	}
}

// describeVersion renders the provisioning and per-region state in one line,
// e.g. "provisioning Succeeded, replication InProgress (westus Completed,
// eastus Replicating 40%)".
func describeVersion(v *azure.ImageVersion) string {
	var regions []string
	for _, rs := range v.Regions {
		s := rs.Region + " " + rs.State
		if rs.State != "Completed" && rs.Progress > 0 {
			s += fmt.Sprintf(" %d%%", rs.Progress)
		}
		if rs.Details != "" && strings.EqualFold(rs.State, "Failed") {
			s += ": " + rs.Details
		}
		regions = append(regions, s)
	}
	out := "provisioning " + orUnknown(v.ProvisioningState) + ", replication " + orUnknown(v.AggregatedReplication)
	if len(regions) > 0 {
		out += " (" + strings.Join(regions, ", ") + ")"
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "Unknown"
	}
	return s
}
