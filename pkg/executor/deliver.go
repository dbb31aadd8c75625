package executor

import (
	"errors"
	"fmt"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// ErrUnsupportedDelivery is returned for a delivery kind this galshare cannot
// write; the new password is then removed at once.
var ErrUnsupportedDelivery = errors.New("unsupported secret delivery target")

// deliver hands a new secret to its target. For "file" it writes the
// azure.DeliveredSecret document (atomic, mode 0600). Errors name the path,
// never the value.
func deliver(to planner.Delivery, doc azure.DeliveredSecret) error {
	if to.Kind != "file" {
		return fmt.Errorf("%w %q", ErrUnsupportedDelivery, to.Kind)
	}
	if to.Path == "" {
		return fmt.Errorf("%w: file delivery without a path", ErrUnsupportedDelivery)
	}
	return azure.WriteDeliveredSecret(to.Path, doc)
}

// newDeliveredSecret is the document apply delivers for a new password of the
// app clientID in tenant.
func newDeliveredSecret(tenant, clientID string, np *azure.NewPassword, now time.Time) azure.DeliveredSecret {
	return azure.DeliveredSecret{
		Tenant:      tenant,
		ClientID:    clientID,
		Secret:      np.Secret,
		KeyID:       np.KeyID,
		EndDateTime: np.End.UTC(),
		Description: np.DisplayName,
		DeliveredAt: now.UTC(),
		ManagedBy:   "galshare",
	}
}
