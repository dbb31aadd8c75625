package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
)

// DeliveredSecret is the JSON document written to a file delivery target:
// everything a consumer needs to sign in as the app. It is the only place a
// secret value is ever written.
type DeliveredSecret struct {
	Tenant      string    `json:"tenant"`
	ClientID    string    `json:"clientId"`
	Secret      string    `json:"secret"`
	KeyID       string    `json:"keyId"`
	EndDateTime time.Time `json:"endDateTime"`
	Description string    `json:"description,omitempty"`
	DeliveredAt time.Time `json:"deliveredAt"`
	ManagedBy   string    `json:"managedBy"`
	DoNotCommit string    `json:"_comment"`
}

// ErrUnsupportedDelivery is returned for a delivery kind this galshare cannot
// write; the new password is then removed at once.
var ErrUnsupportedDelivery = errors.New("unsupported secret delivery target")

// deliver hands a new secret to its target. For "file" it writes the JSON
// document atomically with mode 0600: a temporary file in the same directory
// (created 0600, so the value is never readable by others even briefly),
// fsync, rename over the target, fsync of the directory. Errors name the path,
// never the value.
func deliver(to planner.Delivery, doc DeliveredSecret) error {
	if to.Kind != "file" {
		return fmt.Errorf("%w %q", ErrUnsupportedDelivery, to.Kind)
	}
	if to.Path == "" {
		return fmt.Errorf("%w: file delivery without a path", ErrUnsupportedDelivery)
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the secret document for %s: %w", to.Path, err)
	}
	data = append(data, '\n')
	return writeFileAtomic(to.Path, data)
}

func newDeliveredSecret(tenant, clientID string, np *azure.NewPassword, now time.Time) DeliveredSecret {
	return DeliveredSecret{
		Tenant:      tenant,
		ClientID:    clientID,
		Secret:      np.Secret.Reveal(),
		KeyID:       np.KeyID,
		EndDateTime: np.End.UTC(),
		Description: np.DisplayName,
		DeliveredAt: now.UTC(),
		ManagedBy:   "galshare",
		DoNotCommit: "client secret written by galshare; keep this file private and out of version control",
	}
}

// writeFileAtomic replaces path with data, mode 0600, so a reader sees either
// the old file or the whole new one, and a crash leaves no partial secret.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the directory for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; Chmod guards against an umask
	// or platform that does otherwise.
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
