package azure

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MaxDeliveredSecretSize bounds how much of a delivered-secret file is read:
// the document is a few hundred bytes, anything much larger is not one.
const MaxDeliveredSecretSize = 64 << 10

// deliveredSecretComment is written into every delivered file so that whoever
// finds it knows what it is and why it must stay private.
const deliveredSecretComment = "client secret written by galshare; keep this file private and out of version control"

// DeliveredSecret is the app's credential hand-over: the JSON document apply
// writes to a file delivery target (publisher.app.secret.deliverTo) and that
// plan (signing in as the app in manual tenants) and verify read back. It is
// the only place galshare ever writes a secret value, so the format lives here,
// next to the credentials it feeds, with one reader and one writer.
//
// The value travels as a Secret, so printing or JSON-encoding a
// DeliveredSecret by accident redacts it; only WriteDeliveredSecret reveals it.
type DeliveredSecret struct {
	Tenant      string    // tenant the app signs in to with this secret (the publisher)
	ClientID    string    // the app's application (client) id
	Secret      Secret    // the password's secretText
	KeyID       string    // the password's keyId, to match it against the app
	EndDateTime time.Time // when the password expires
	Description string    // the password's display name
	DeliveredAt time.Time // when apply wrote the file
	ManagedBy   string    // "galshare" for files apply wrote
}

// deliveredSecretJSON is the file's wire form; the secret is a plain string
// only here.
type deliveredSecretJSON struct {
	Tenant      string    `json:"tenant"`
	ClientID    string    `json:"clientId"`
	Secret      string    `json:"secret"`
	KeyID       string    `json:"keyId"`
	EndDateTime time.Time `json:"endDateTime"`
	Description string    `json:"description,omitempty"`
	DeliveredAt time.Time `json:"deliveredAt"`
	ManagedBy   string    `json:"managedBy"`
	Comment     string    `json:"_comment"`
}

// ReadDeliveredSecret reads and checks the document at path: it must be JSON
// of at most MaxDeliveredSecretSize bytes with a clientId and a secret (what
// signing in as the app needs; callers that depend on the tenant check it
// against the one they expect). A missing file gives an error matching
// fs.ErrNotExist. Errors name the path and the field, never the value.
func ReadDeliveredSecret(path string) (DeliveredSecret, error) {
	if err := checkRegularFile("secret file", path); err != nil {
		return DeliveredSecret{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return DeliveredSecret{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return DeliveredSecret{}, err
	}
	if st.Size() > MaxDeliveredSecretSize {
		return DeliveredSecret{}, fmt.Errorf("%s is %d bytes, too large for a galshare secret document", path, st.Size())
	}
	var w deliveredSecretJSON
	// The limit also covers files whose size Stat cannot tell (pipes).
	if err := json.NewDecoder(io.LimitReader(f, MaxDeliveredSecretSize)).Decode(&w); err != nil {
		// json errors quote offsets and types, not values.
		return DeliveredSecret{}, fmt.Errorf("%s is not a galshare secret document: %w", path, err)
	}
	var missing []string
	if w.ClientID == "" {
		missing = append(missing, "clientId")
	}
	if w.Secret == "" {
		missing = append(missing, "secret")
	}
	if len(missing) > 0 {
		return DeliveredSecret{}, fmt.Errorf("%s lacks %s", path, strings.Join(missing, ", "))
	}
	return DeliveredSecret{
		Tenant: w.Tenant, ClientID: w.ClientID, Secret: NewSecret(w.Secret), KeyID: w.KeyID,
		EndDateTime: w.EndDateTime, Description: w.Description, DeliveredAt: w.DeliveredAt, ManagedBy: w.ManagedBy,
	}, nil
}

// WriteDeliveredSecret replaces the file at path with d, mode 0600, creating
// its directory (0700) if needed. The write is atomic: a temporary file in the
// same directory (created 0600, so the value is never readable by others even
// briefly), fsync, rename over the target, fsync of the directory; a reader
// sees the old document or the whole new one and a crash leaves no partial
// secret. Errors name the path, never the value.
func WriteDeliveredSecret(path string, d DeliveredSecret) error {
	data, err := json.MarshalIndent(deliveredSecretJSON{
		Tenant: d.Tenant, ClientID: d.ClientID, Secret: d.Secret.Reveal(), KeyID: d.KeyID,
		EndDateTime: d.EndDateTime, Description: d.Description, DeliveredAt: d.DeliveredAt, ManagedBy: d.ManagedBy,
		Comment: deliveredSecretComment,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the secret document for %s: %w", path, err)
	}
	return writePrivateFileAtomic(path, append(data, '\n'))
}

// writePrivateFileAtomic replaces path with data, mode 0600 (see
// WriteDeliveredSecret).
func writePrivateFileAtomic(path string, data []byte) (err error) {
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
