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

	"github.com/google/uuid"
)

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("state handle is closed")

// ErrModified is returned by Update when the state file changed on disk
// while this run held the lock (a hand edit, or a run that ignored the
// lock). Writing would destroy that change, so the write is refused.
var ErrModified = errors.New("state file was changed by something else while this run held the lock")

// errTakeover tells a waiting Update that it must write the next batch.
var errTakeover = errors.New("state: take over writing")

// Handle is an open, locked state file. Update may be called from many
// goroutines at once (the executor records each action as it lands):
// concurrent changes are written together in one atomic write, and each
// Update returns only once its change is on disk.
type Handle struct {
	path string
	lock LockInfo
	now  func() time.Time

	mu       sync.Mutex
	cur      *State      // latest state, including changes not yet written
	durable  *State      // state as last written (or loaded)
	disk     fs.FileInfo // the file as last written or loaded; nil if none
	pending  []chan error
	flushing bool
	closed   bool
	inflight sync.WaitGroup
	hooks    writeHooks
	// enc keeps each resource's encoding between writes; only the
	// goroutine currently flushing uses it.
	enc encoder
}

// Open locks the state at path and loads it. A missing file is an empty
// state that gets a fresh lineage on its first write. A file that cannot be
// loaded is refused and the lock released, so it is never overwritten.
// When the lock is held, Open waits up to opts.Timeout and then returns a
// *LockedError naming the holder.
func Open(ctx context.Context, path string, opts LockOptions) (*Handle, error) {
	return open(ctx, path, opts, time.Now)
}

func open(ctx context.Context, path string, opts LockOptions, now func() time.Time) (*Handle, error) {
	path = resolve(path)
	info, err := acquire(ctx, path, opts, now)
	if err != nil {
		return nil, err
	}
	h := &Handle{path: path, lock: info, now: now}
	s, disk, err := load(path)
	if err != nil {
		if rerr := release(path, info.ID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}
	h.cur, h.durable, h.disk = s, s.Clone(), disk
	removeLeftovers(path, now())
	return h, nil
}

// Read loads the state at path without locking, for plan and show. A
// missing file is an empty state with no lineage and Exists()==false.
func Read(path string) (*State, error) {
	s, _, err := load(resolve(path))
	return s, err
}

// load reads and decodes path, returning its file info for change checks.
func load(path string) (*State, fs.FileInfo, error) {
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: CurrentVersion}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	s, err := decode(path, data)
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	return s, fi, nil
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

// Path is the state file this handle writes (symlinks resolved).
func (h *Handle) Path() string { return h.path }

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
// methods on h (it runs under h's mutex).
//
// Version, lineage and serial are managed here: fn cannot change them; the
// serial goes up by one per write and a lineage is assigned on the first
// write. New resources get CreatedAt/CreatedBy, changed ones UpdatedAt.
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

	next := h.cur.Clone()
	if err := callLocked(&h.mu, fn, next); err != nil {
		h.mu.Unlock()
		return err
	}
	next.Version, next.Lineage, next.Serial, next.exists = h.cur.Version, h.cur.Lineage, h.cur.Serial, h.cur.exists
	checked := h.stamp(next)
	if sameState(next, h.cur) {
		// Nothing to record: do not bump the serial, which would make
		// saved plans look stale, and do not create a file for nothing.
		h.mu.Unlock()
		return nil
	}
	if next.Lineage == "" {
		next.Lineage = uuid.NewString()
	}
	// Only what fn changed is checked: h.cur was checked when it was
	// loaded or written, and re-checking every resource on each recorded
	// action made a run quadratic in the size of the state.
	if err := validateChanged(next, checked); err != nil {
		h.mu.Unlock()
		return fmt.Errorf("state update refused: %w", err)
	}
	h.cur = next
	mine := make(chan error, 1)
	h.pending = append(h.pending, mine)
	if h.flushing {
		h.mu.Unlock()
		if err := <-mine; err != errTakeover {
			return err
		}
		h.mu.Lock()
	}
	h.flushing = true
	return h.flushLocked(mine)
}

// callLocked runs fn with mu held; if fn panics, mu is released before the
// panic goes on, so an executor that recovers a panicking action does not
// find the handle deadlocked.
func callLocked(mu *sync.Mutex, fn func(*State) error, s *State) error {
	returned := false
	defer func() {
		if !returned {
			mu.Unlock()
		}
	}()
	err := fn(s)
	returned = true
	return err
}

// flushLocked writes every pending change in one write, tells their
// callers, and hands the next batch to its first waiter. h.mu is held on
// entry and released on return.
func (h *Handle) flushLocked(mine chan error) error {
	batch := h.pending
	h.pending = nil
	// A shallow copy suffices: h.cur is never changed in place (Update
	// replaces it with a new value, fn works on a deep copy), only its
	// serial and exists flag, which are fields of the copy.
	cp := *h.cur
	snap := &cp
	snap.Serial = h.durable.Serial + 1
	prevDisk := h.disk
	h.mu.Unlock()

	disk, written, err := h.write(snap, prevDisk)

	h.mu.Lock()
	if written {
		snap.exists = true
		h.durable, h.disk = snap, disk
		h.cur.Serial, h.cur.exists = snap.Serial, true
	}
	if err != nil && !written {
		// Nothing reached the disk: forget every change not yet written,
		// including those queued meanwhile, and fail all their callers.
		h.cur = h.durable.Clone()
		batch = append(batch, h.pending...)
		h.pending = nil
	}
	for _, c := range batch {
		if c != mine {
			c <- err
		}
	}
	if len(h.pending) > 0 {
		h.pending[0] <- errTakeover
	} else {
		h.flushing = false
	}
	h.mu.Unlock()
	return err
}

// write puts snap on disk after checking the lock is still ours and the
// file is as we left it. written reports whether the file now holds snap.
func (h *Handle) write(snap *State, prevDisk fs.FileInfo) (fs.FileInfo, bool, error) {
	if err := checkHeld(h.path, h.lock.ID); err != nil {
		return nil, false, fmt.Errorf("saving state %s: %w", h.path, err)
	}
	if err := unchanged(h.path, prevDisk); err != nil {
		return nil, false, err
	}
	enc := h.enc.encode
	if h.hooks.encode != nil {
		enc = h.hooks.encode
	}
	data, err := enc(snap)
	if err != nil {
		return nil, false, fmt.Errorf("saving state %s: %w", h.path, err)
	}
	if prevDisk != nil {
		if err := backup(h.path); err != nil {
			return nil, false, fmt.Errorf("saving state %s: %w", h.path, err)
		}
	}
	renamed, werr := atomicWrite(h.path, data, h.hooks)
	if !renamed {
		return nil, false, fmt.Errorf("saving state: %w", werr)
	}
	fi, err := os.Stat(h.path)
	if err != nil {
		return nil, true, errors.Join(werr, fmt.Errorf("saving state %s: %w", h.path, err))
	}
	return fi, true, werr
}

// unchanged returns ErrModified if path is not the file last seen.
func unchanged(path string, prev fs.FileInfo) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && prev == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("saving state %s: %w (the file was deleted)", path, ErrModified)
	case err != nil:
		return fmt.Errorf("saving state %s: %w", path, err)
	case prev == nil:
		return fmt.Errorf("saving state %s: %w (a file appeared where there was none)", path, ErrModified)
	case !os.SameFile(prev, fi) || prev.Size() != fi.Size() || !prev.ModTime().Equal(fi.ModTime()):
		return fmt.Errorf("saving state %s: %w; it was left as it is — compare it with %s and re-run plan", path, ErrModified, path+backupSuffix)
	}
	return nil
}

// stamp fills bookkeeping fields of next's resources relative to h.cur. It
// returns, per resource of next, whether its content is that of the
// resource of the same address in h.cur (already validated).
func (h *Handle) stamp(next *State) []bool {
	now := h.now().UTC()
	byAddr := make(map[string]int, len(h.cur.Resources))
	for i, r := range h.cur.Resources {
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
		prev := &h.cur.Resources[j]
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
	return release(h.path, h.lock.ID)
}
