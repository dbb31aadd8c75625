package state

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Backend is where one state lives: a local file (fileBackend) or a blob
// (NewBlobBackend over a BlobStore). The model, validation, batching and
// journal stay in this package; a backend only moves bytes, tags versions
// and holds the writers' lock, so every backend refuses the same corrupt or
// future-version states and writes the same bytes.
type Backend interface {
	// String names the state in messages and in the `state unlock` hint:
	// a path or a URL, as the operator gave it.
	String() string
	// Read returns the stored bytes and a tag naming that version. When no
	// state is stored it returns nil data and a nil tag.
	Read(ctx context.Context) (data []byte, tag Tag, err error)
	// Lock takes the writers' lock recording info, waiting up to timeout
	// (0 tries once). A lock held by another run is a *LockedError.
	Lock(ctx context.Context, info LockInfo, timeout time.Duration) (Lease, error)
	// ReadLock returns the lock currently held, nil when there is none.
	ReadLock(ctx context.Context) (*LockInfo, error)
	// Unlock breaks the lock, but only if id names it (ErrLockMismatch
	// otherwise, ErrNotLocked when there is none).
	Unlock(ctx context.Context, id string) error
}

// Lease is a held writers' lock and the only way to write a state.
type Lease interface {
	// Write stores data if the stored state is still the version tagged
	// prev (nil: nothing stored), keeping the replaced version restorable,
	// and returns the new version's tag. A changed state is ErrModified and
	// a lost lock ErrLockLost; neither writes. A non-nil tag with an error
	// means data was stored but a later step (a directory sync) failed.
	Write(ctx context.Context, data []byte, prev Tag) (Tag, error)
	// Release gives up the lock; ErrLockLost when it was broken meanwhile.
	Release(ctx context.Context) error
}

// Tag names one stored version of a state: opaque, compared only by the
// backend that made it (a file's identity and mtime, a blob's ETag).
type Tag any

// Versioned is a backend that keeps earlier versions restorable
// (`galshare state versions`, `state restore`).
type Versioned interface {
	// Versions lists the kept earlier versions, oldest first.
	Versions(ctx context.Context) ([]Version, error)
	// ReadVersion returns the bytes of one kept version.
	ReadVersion(ctx context.Context, id string) ([]byte, error)
}

// Version is one kept earlier version of a state.
type Version struct {
	// ID is what `galshare state restore ID` names.
	ID string `json:"id"`
	// Time is when the version was kept.
	Time time.Time `json:"time"`
}

// ErrNotVersioned is returned for version commands on a backend that keeps
// only one previous copy (the file backend's .backup).
var ErrNotVersioned = errors.New("this state backend keeps no version history")

// isURL reports whether a --state value or manifest state.url names a blob
// rather than a file.
func isURL(loc string) bool {
	return strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://")
}

// restoreHint says how to get a previous version of the state at loc back.
func restoreHint(loc string) string {
	if isURL(loc) {
		return "`galshare state versions --state " + loc + "` lists the previous versions to restore"
	}
	return "restore the previous copy from " + loc + backupSuffix
}
