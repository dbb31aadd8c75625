package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("state handle is closed")

// ErrModified is returned by Update when the state file changed on disk
// while this run held the lock (a hand edit, or a run that ignored the
// lock). Writing would destroy that change, so the write is refused.
var ErrModified = errors.New("state file was changed by something else while this run held the lock")

// ErrSerialExhausted is returned by Update when the state's serial is
// already the largest int64: the next serial would wrap negative, a state
// galshare refuses to read, so nothing is written.
var ErrSerialExhausted = errors.New("the state serial is at its maximum and cannot be incremented")

// Handle is an open, locked state. Update may be called from many
// goroutines at once (the executor records each action as it lands):
// concurrent changes are written together in one write, and each Update
// returns only once its change is stored.
type Handle struct {
	be    Backend
	lease Lease
	lock  LockInfo
	now   func() time.Time

	mu   sync.Mutex
	cur  *State // state as last written (or loaded), serial included
	disk Tag    // the stored version as last written or loaded; nil if none
	// queue holds the updates waiting for the leader, the one Update call
	// that applies and writes batches (handle_batch.go); leading says one
	// is at work.
	queue    []*update
	leading  bool
	closed   bool
	inflight sync.WaitGroup
	hooks    writeHooks
	// enc keeps each resource's encoding between writes; only the leader
	// uses it.
	enc encoder
}

// Open locks the state file at path and loads it: OpenBackend on
// FileBackend(path).
func Open(ctx context.Context, path string, opts LockOptions) (*Handle, error) {
	return open(ctx, path, opts, time.Now)
}

func open(ctx context.Context, path string, opts LockOptions, now func() time.Time) (*Handle, error) {
	h := &Handle{now: now}
	be := &fileBackend{path: resolve(path), now: now, hooks: &h.hooks}
	return h, h.open(ctx, be, opts)
}

// OpenBackend locks the state in be and loads it. A missing state is an
// empty one that gets a fresh lineage on its first write. A state that
// cannot be loaded is refused and the lock released, so it is never
// overwritten. When the lock is held, OpenBackend waits up to opts.Timeout
// and then returns a *LockedError naming the holder.
func OpenBackend(ctx context.Context, be Backend, opts LockOptions) (*Handle, error) {
	h := &Handle{now: time.Now}
	if err := h.open(ctx, be, opts); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Handle) open(ctx context.Context, be Backend, opts LockOptions) error {
	h.be = be
	info := newLockInfo(opts, h.now())
	lease, err := be.Lock(ctx, info, opts.Timeout)
	if err != nil {
		return err
	}
	h.lease, h.lock = lease, info
	s, tag, err := load(ctx, be)
	if err != nil {
		if rerr := lease.Release(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	h.cur, h.disk = s, tag
	return nil
}

// Read loads the state file at path without locking, for plan and show. A
// missing file is an empty state with no lineage and Exists()==false.
func Read(path string) (*State, error) {
	s, _, err := load(context.Background(), FileBackend(path))
	return s, err
}

// ReadFrom is Read for any backend.
func ReadFrom(ctx context.Context, be Backend) (*State, error) {
	s, _, err := load(ctx, be)
	return s, err
}

// load reads and decodes be's state, returning its tag for change checks.
func load(ctx context.Context, be Backend) (*State, Tag, error) {
	data, tag, err := be.Read(ctx)
	if err != nil {
		return nil, nil, err
	}
	if data == nil && tag == nil {
		return &State{Version: CurrentVersion}, nil, nil
	}
	s, err := decode(be.String(), data)
	if err != nil {
		return nil, nil, err
	}
	return s, tag, nil
}

// resolve follows a symlinked state path (even a dangling one, before the
// first write), so writes replace the target file instead of turning the
// link into a plain file.
func resolve(path string) string {
	for range 40 { // the kernel's own limit on link chains
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path
		}
		target, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return path
}

// Path is the state this handle writes: the file (symlinks resolved) or
// the blob URL.
func (h *Handle) Path() string { return h.be.String() }

// Lock returns the lock this handle holds.
func (h *Handle) Lock() LockInfo { return h.lock }

// State returns a private copy of the current state.
func (h *Handle) State() *State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.Clone()
}

// Update applies fn to a copy of the state and writes the result
// atomically, keeping the previous file as <path>.backup. If fn fails or
// the result is invalid (for instance a secret-looking attribute) nothing
// changes. fn must not keep the *State it is given, and must not call
// methods on h. fn may be called more than once, each time on a fresh copy
// of the state (only the last call's changes count), so it must do nothing
// but change that copy.
//
// Version, lineage and serial are managed here: fn cannot change them; the
// serial goes up by one per write and a lineage is assigned on the first
// write. New resources get CreatedAt/CreatedBy, changed ones UpdatedAt.
//
// Concurrent updates are applied together (handle_batch.go): one copy of
// the state, every waiting fn, one validation and one write, so a fleet's
// apply does not copy and check the whole state once per recorded action.
// Each Update still returns only once its own change is on disk.
//
// Update deliberately does not abandon a write when ctx is cancelled:
// recording what already happened in Azure is exactly what must survive a
// Ctrl-C. ctx is accepted for symmetry with every other I/O call.
func (h *Handle) Update(ctx context.Context, fn func(*State) error) error {
	_ = ctx
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	h.inflight.Add(1)
	defer h.inflight.Done()
	o := &update{fn: fn, done: make(chan updateResult, 1)}
	h.queue = append(h.queue, o)
	if h.leading {
		h.mu.Unlock()
	} else {
		h.leading = true
		h.lead()
	}
	for {
		r := <-o.done
		switch {
		case r.takeover:
			h.mu.Lock()
			h.lead()
		case r.panicked:
			panic(r.panicVal)
		default:
			return r.err
		}
	}
}

// write stores snap through the lease, conditional on the stored version
// still being prev. written reports whether the backend now holds snap.
func (h *Handle) write(snap *State, prev Tag) (Tag, bool, error) {
	enc := h.enc.encode
	if h.hooks.encode != nil {
		enc = h.hooks.encode
	}
	data, err := enc(snap)
	if err != nil {
		return nil, false, fmt.Errorf("saving state %s: %w", h.be.String(), err)
	}
	// A write is not abandoned on cancellation (see Update).
	tag, err := h.lease.Write(context.Background(), data, prev)
	return tag, tag != nil, err
}

// stamp fills bookkeeping fields of next's resources relative to base. It
// returns, per resource of next, whether its content is that of the
// resource of the same address in base (already validated).
func (h *Handle) stamp(base, next *State) []bool {
	now := h.now().UTC()
	byAddr := make(map[string]int, len(base.Resources))
	for i, r := range base.Resources {
		byAddr[r.Address] = i
	}
	same := make([]bool, len(next.Resources))
	for i := range next.Resources {
		r := &next.Resources[i]
		j, existed := byAddr[r.Address]
		if !existed {
			if r.CreatedAt.IsZero() {
				r.CreatedAt = now
			}
			if r.CreatedBy == "" {
				r.CreatedBy = h.lock.Who
			}
			if r.UpdatedAt.IsZero() {
				r.UpdatedAt = now
			}
			continue
		}
		prev := &base.Resources[j]
		if r.CreatedAt.IsZero() {
			r.CreatedAt = prev.CreatedAt
		}
		if r.CreatedBy == "" {
			r.CreatedBy = prev.CreatedBy
		}
		if !r.sameContent(*prev) {
			r.UpdatedAt = now
		} else {
			same[i] = true
			if r.UpdatedAt.IsZero() {
				r.UpdatedAt = prev.UpdatedAt
			}
		}
	}
	return same
}

// Close waits for in-flight updates and releases the lock. It is safe to
// call more than once.
func (h *Handle) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	h.inflight.Wait()
	return h.lease.Release(context.Background())
}
