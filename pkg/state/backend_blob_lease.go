package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// blobLease is a held lease on the lock blob, renewed in the background
// until Release. Once a renewal says the lease is gone, every later Write
// is refused with ErrLockLost: the run stops writing at once.
type blobLease struct {
	b  *blobBackend
	id string

	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	lost      error     // why the lease is gone; nil while held
	confirmed time.Time // when the service last confirmed the lease
	snapped   bool      // the version this run first replaced is kept
}

func newBlobLease(b *blobBackend, id string) *blobLease {
	l := &blobLease{b: b, id: id, stop: make(chan struct{}), done: make(chan struct{}), confirmed: b.now()}
	go l.renewLoop()
	return l
}

// renewLoop renews the lease every renewEvery until Release. A transient
// failure is retried at the next tick; the lease only counts as lost when
// the service says so or no renewal succeeded for the lease's length.
func (l *blobLease) renewLoop() {
	defer close(l.done)
	t := time.NewTicker(renewEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), renewEvery)
		err := l.renew(ctx)
		cancel()
		if err != nil && l.isLost() {
			return
		}
	}
}

// renew asks the service to renew the lease and records the outcome.
func (l *blobLease) renew(ctx context.Context) error {
	err := l.b.store.RenewLease(ctx, l.id)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.confirmed = l.b.now()
	case blobIs(err, BlobLeaseLost):
		if l.lost == nil {
			l.lost = err
		}
	case l.b.now().Sub(l.confirmed) >= leaseSeconds*time.Second:
		if l.lost == nil {
			l.lost = fmt.Errorf("no renewal succeeded for %ds, so the lease has expired: %w", leaseSeconds, err)
		}
	}
	return err
}

func (l *blobLease) isLost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost != nil
}

// held makes sure the lease is still ours before a write: confirmed within
// freshFor, or renewed now.
func (l *blobLease) held(ctx context.Context) error {
	l.mu.Lock()
	lost, fresh := l.lost, l.b.now().Sub(l.confirmed) < l.b.fresh
	l.mu.Unlock()
	if lost == nil && !fresh {
		if err := l.renew(ctx); err != nil && !l.isLost() {
			return fmt.Errorf("renewing the state lease: %w", err)
		}
		l.mu.Lock()
		lost = l.lost
		l.mu.Unlock()
	}
	if lost != nil {
		return fmt.Errorf("%w (the lease on %s.lock was broken or expired: %v); this run stopped writing state — check `galshare state list` before running again", ErrLockLost, l.b, lost)
	}
	return nil
}

// Write stores data if the blob's ETag is still prev. The first write of
// a run that replaces an existing blob snapshots it first, so the state as
// it was before this run stays restorable (`galshare state versions`).
func (l *blobLease) Write(ctx context.Context, data []byte, prev Tag) (Tag, error) {
	if err := l.held(ctx); err != nil {
		return nil, fmt.Errorf("saving state %s: %w", l.b, err)
	}
	etag, _ := prev.(string)
	l.mu.Lock()
	snap := !l.snapped && etag != ""
	l.mu.Unlock()
	if snap {
		if _, err := l.b.store.Snapshot(ctx, etag); err != nil {
			return nil, l.writeError("keeping the previous version of", err)
		}
		l.mu.Lock()
		l.snapped = true
		l.mu.Unlock()
	}
	next, err := l.b.store.Put(ctx, data, etag)
	if err != nil {
		return nil, l.writeError("saving", err)
	}
	// Later writes replace this run's own versions: only what the run
	// found is kept, not every batch of a fleet's apply.
	l.mu.Lock()
	l.snapped = true
	l.mu.Unlock()
	return next, nil
}

func (l *blobLease) writeError(what string, err error) error {
	if blobIs(err, BlobModified) {
		return fmt.Errorf("%s state %s: %w (its ETag is not the one this run read: another writer changed it); it was left as it is — re-run plan", what, l.b, ErrModified)
	}
	return fmt.Errorf("%s state %s: %w", what, l.b, err)
}

// Release stops the renewal and gives the lease back.
func (l *blobLease) Release(ctx context.Context) error {
	select {
	case <-l.stop:
		return nil
	default:
		close(l.stop)
	}
	<-l.done
	if l.isLost() {
		return fmt.Errorf("releasing the lease on %s: %w", l.b, ErrLockLost)
	}
	err := l.b.store.ReleaseLease(ctx, l.id)
	switch {
	case err == nil:
		return nil
	case blobIs(err, BlobLeaseLost):
		return fmt.Errorf("releasing the lease on %s: %w", l.b, errors.Join(ErrLockLost, err))
	}
	return fmt.Errorf("releasing the lease on %s: %w", l.b, err)
}
