package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BlobStore is the storage a blob-backed state needs: one state blob read
// and written by ETag, its snapshots, and a lock blob beside it that is
// leased for the whole run. pkg/azure implements it with the azblob SDK in
// plain types (bytes, strings, metadata maps), so it needs nothing of this
// package; its errors say which condition failed through a
// BlobCondition() string method returning one of the Blob* constants.
type BlobStore interface {
	// String is the state blob's URL, for messages.
	String() string
	// Get reads the state blob, or the snapshot named when snapshot is not
	// empty: its bytes and ETag. A missing blob is (nil, "", nil).
	Get(ctx context.Context, snapshot string) ([]byte, string, error)
	// Put replaces the state blob if its ETag is still ifMatch (ifMatch ""
	// means: only if no blob exists) and returns the new ETag.
	Put(ctx context.Context, data []byte, ifMatch string) (string, error)
	// Snapshot keeps the state blob's current content, if its ETag is
	// still ifMatch, as a read-only snapshot and returns its id.
	Snapshot(ctx context.Context, ifMatch string) (string, error)
	// Snapshots lists the state blob's snapshot ids, oldest first.
	Snapshots(ctx context.Context) ([]string, error)
	// AcquireLease leases the lock blob (created if missing) with lease id
	// for the given seconds and records meta on it.
	AcquireLease(ctx context.Context, id string, seconds int32, meta map[string]string) error
	// RenewLease renews the lease id.
	RenewLease(ctx context.Context, id string) error
	// ReleaseLease gives up the lease id.
	ReleaseLease(ctx context.Context, id string) error
	// BreakLease ends whatever lease the lock blob has, at once.
	BreakLease(ctx context.Context) error
	// LockStatus says whether the lock blob is leased and returns the
	// metadata its holder recorded.
	LockStatus(ctx context.Context) (leased bool, meta map[string]string, err error)
}

// What a BlobStore error's BlobCondition() returns.
const (
	// BlobModified: the ETag condition failed, another writer changed the
	// blob.
	BlobModified = "modified"
	// BlobLeaseHeld: another run holds the lease.
	BlobLeaseHeld = "lease-held"
	// BlobLeaseLost: the lease named is no longer held (broken, expired,
	// or taken by another run).
	BlobLeaseLost = "lease-lost"
)

// blobCondition is how a BlobStore error says which condition failed.
type blobCondition interface{ BlobCondition() string }

// blobIs reports whether err says the condition cond failed.
func blobIs(err error, cond string) bool {
	var c blobCondition
	return errors.As(err, &c) && c.BlobCondition() == cond
}

const (
	// leaseSeconds is the blob lease's length. A killed run's lock frees
	// itself this long after its last renewal (sooner with `state unlock`).
	leaseSeconds = 60
	// renewEvery is how often the background renewal runs: three tries
	// before the lease could expire.
	renewEvery = 15 * time.Second
	// freshFor is how recent a confirmed renewal must be for a write to go
	// ahead without renewing first; older, the write renews, so a run
	// whose lease was broken stops at its next write.
	freshFor = time.Second
)

// blobBackend is a state in a blob (NewBlobBackend).
type blobBackend struct {
	store BlobStore
	now   func() time.Time
	// fresh is freshFor; tests set 0 so every write renews first.
	fresh time.Duration
}

// NewBlobBackend is the state stored through store: writes conditional on
// the ETag last read, the replaced version kept as a snapshot, a lease on
// the lock blob held for the whole run and renewed in the background.
func NewBlobBackend(store BlobStore) Backend {
	return &blobBackend{store: store, now: time.Now, fresh: freshFor}
}

func (b *blobBackend) String() string { return b.store.String() }

func (b *blobBackend) Read(ctx context.Context) ([]byte, Tag, error) {
	data, etag, err := b.store.Get(ctx, "")
	if err != nil {
		return nil, nil, fmt.Errorf("reading state %s: %w", b, err)
	}
	if data == nil && etag == "" {
		return nil, nil, nil
	}
	if len(data) > maxFileSize {
		return nil, nil, &LoadError{Path: b.String(), Msg: fmt.Sprintf("blob is larger than %d MiB; it is not a galshare state", maxFileSize>>20)}
	}
	return data, etag, nil
}

// Lock polls for the lease as the file backend polls for its lock file.
func (b *blobBackend) Lock(ctx context.Context, info LockInfo, timeout time.Duration) (Lease, error) {
	start := b.now()
	meta := lockMetadata(info)
	wait := lockPollMin
	for {
		err := b.store.AcquireLease(ctx, info.ID, leaseSeconds, meta)
		if err == nil {
			return newBlobLease(b, info.ID), nil
		}
		if !blobIs(err, BlobLeaseHeld) {
			return nil, fmt.Errorf("locking state %s: %w", b, err)
		}
		waited := b.now().Sub(start)
		if waited >= timeout {
			return nil, b.lockedError(ctx, waited, nil)
		}
		t := time.NewTimer(min(wait, timeout-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, b.lockedError(context.WithoutCancel(ctx), b.now().Sub(start), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, lockPollMax)
	}
}

// lockedError describes the lease currently held.
func (b *blobBackend) lockedError(ctx context.Context, waited time.Duration, cause error) error {
	info, err := b.ReadLock(ctx)
	switch {
	case err != nil:
		return &LockedError{Path: b.String(), Waited: waited, Err: errors.Join(err, cause)}
	case info == nil:
		return &LockedError{Path: b.String(), Waited: waited, Err: errors.Join(errors.New("lock was released while waiting; retry"), cause)}
	}
	host, _ := os.Hostname()
	return &LockedError{
		Path: b.String(), Info: info, Age: b.now().Sub(info.Created), Waited: waited, Err: cause,
		HolderGone: info.Host == host && info.PID > 0 && !processAlive(info.PID),
	}
}

func (b *blobBackend) ReadLock(ctx context.Context) (*LockInfo, error) {
	leased, meta, err := b.store.LockStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the lock of %s: %w", b, err)
	}
	if !leased {
		return nil, nil
	}
	info := lockFromMetadata(meta)
	if info.ID == "" {
		// Leased but not yet described (the holder is between its
		// acquire and its metadata write), or leased by something else.
		info.Who, info.Operation = "unknown", "unknown"
	}
	return &info, nil
}

func (b *blobBackend) Unlock(ctx context.Context, id string) error {
	info, err := b.ReadLock(ctx)
	if err != nil {
		return err
	}
	if info == nil {
		return fmt.Errorf("%s: %w", b, ErrNotLocked)
	}
	if info.ID != id {
		return fmt.Errorf("%s: %w: %q is not %q (held by %s, operation %q)", b, ErrLockMismatch, id, info.ID, info.Who, info.Operation)
	}
	if err := b.store.BreakLease(ctx); err != nil {
		return fmt.Errorf("breaking the lease on %s: %w", b, err)
	}
	return nil
}

// Versions lists the state blob's snapshots.
func (b *blobBackend) Versions(ctx context.Context) ([]Version, error) {
	ids, err := b.store.Snapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %s: %w", b, err)
	}
	out := make([]Version, 0, len(ids))
	for _, id := range ids {
		t, _ := time.Parse(time.RFC3339Nano, id)
		out = append(out, Version{ID: id, Time: t})
	}
	slices.SortStableFunc(out, func(x, y Version) int { return x.Time.Compare(y.Time) })
	return out, nil
}

// ReadVersion reads one snapshot.
func (b *blobBackend) ReadVersion(ctx context.Context, id string) ([]byte, error) {
	data, etag, err := b.store.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading version %s of %s: %w", id, b, err)
	}
	if data == nil && etag == "" {
		return nil, fmt.Errorf("%s has no version %s; `galshare state versions` lists them", b, id)
	}
	return data, nil
}

// Lock metadata keys on the lock blob. Blob metadata names must be C#
// identifiers, and the service may change their case.
const (
	metaID        = "galshare_lock_id"
	metaWho       = "galshare_who"
	metaHost      = "galshare_host"
	metaPID       = "galshare_pid"
	metaOperation = "galshare_operation"
	metaCreated   = "galshare_created"
)

func lockMetadata(i LockInfo) map[string]string {
	return map[string]string{
		metaID: i.ID, metaWho: i.Who, metaHost: i.Host, metaPID: strconv.Itoa(i.PID),
		metaOperation: i.Operation, metaCreated: i.Created.UTC().Format(time.RFC3339Nano),
	}
}

func lockFromMetadata(meta map[string]string) LockInfo {
	get := func(k string) string {
		for mk, v := range meta {
			if strings.EqualFold(mk, k) {
				return v
			}
		}
		return ""
	}
	pid, _ := strconv.Atoi(get(metaPID))
	created, _ := time.Parse(time.RFC3339Nano, get(metaCreated))
	return LockInfo{ID: get(metaID), Who: get(metaWho), Host: get(metaHost), PID: pid, Operation: get(metaOperation), Created: created}
}
