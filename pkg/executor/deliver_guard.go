package executor

import (
	"fmt"

	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// checkDeliveryTarget refuses to deliver a secret into one of galshare's own
// files (Options.OwnFiles) or a directory. validate and plan refuse these
// already; apply checks again by file identity just before it creates and
// writes a secret, since files can appear (or become links) in between.
func checkDeliveryTarget(to planner.Delivery, own []spec.OwnFile) error {
	if to.Kind != spec.DeliveryFile || to.Path == "" {
		return nil
	}
	if conflict := spec.FindDeliveryConflict(to.Path, own); conflict != nil {
		return fmt.Errorf("%w; %s", conflict, deliveryFix)
	}
	return nil
}

// deliveryFix says what to do about a refused delivery target.
const deliveryFix = "deliver the secret to a file of its own (publisher.app.secret.deliverTo)"

// CheckDeliveries refuses a plan that would deliver a secret into one of
// own or a directory, naming the change. The CLI calls it before apply
// writes anything, so a refused plan leaves no trace.
func CheckDeliveries(p *planner.Plan, own []spec.OwnFile) error {
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Password == nil || c.Action == planner.Delete {
			continue
		}
		if err := checkDeliveryTarget(c.Password.DeliverTo, own); err != nil {
			return fmt.Errorf("%s: %w", c.Address, err)
		}
	}
	return nil
}
