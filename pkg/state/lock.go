package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultPath is the state file used when --state is not given.
const DefaultPath = "galshare.state.json"

const (
	lockSuffix   = ".lock"
	backupSuffix = ".backup"
	// Polling starts fast (a short apply may finish in milliseconds) and
	// backs off so a long wait does not spin.
	lockPollMin = 50 * time.Millisecond
	lockPollMax = time.Second
)

// LockOptions describe who takes the lock and how long to wait for it.
type LockOptions struct {
	// Operation is recorded in the lock so a blocked run can say what holds
	// it, e.g. "apply" or "destroy".
	Operation string
	// Timeout is how long Open waits for a held lock; 0 tries once.
	Timeout time.Duration
	// Who names the operator; defaults to the OS user name.
	Who string
}

// LockInfo is the content of the lock file: enough for a blocked operator
// to find the run holding it, or to decide it is dead and break it.
type LockInfo struct {
	// ID is what `galshare state unlock ID` must name.
	ID string `json:"id"`
	// Who is the operator that took the lock.
	Who string `json:"who"`
	// Host is the machine the holder runs on.
	Host string `json:"host"`
	// PID is the holder's process id on Host.
	PID int `json:"pid"`
	// Operation is what the holder is doing.
	Operation string `json:"operation"`
	// Created is when the lock was taken.
	Created time.Time `json:"created"`
}

// LockedError says the state is locked by another run. It names the owner
// and the lock's age, and whether the holder looks dead, so the operator can
// decide to wait or to break it with `galshare state unlock ID`.
type LockedError struct {
	// Path of the state file.
	Path string
	// Info is the holder's lock record; nil when the lock file is unreadable.
	Info *LockInfo
	// Age is how long the lock has been held.
	Age time.Duration
	// Waited is how long Open waited before giving up.
	Waited time.Duration
	// HolderGone is true when the holder ran on this host and its process
	// no longer exists: the lock is almost certainly stale.
	HolderGone bool
	// Err is the unreadable-lock error or the context error that ended the
	// wait, if any.
	Err error
}

// Error renders the owner, age and the command that breaks the lock.
func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "state %s is locked", e.Path)
	if e.Info == nil {
		fmt.Fprintf(&b, " (lock file %s is unreadable: %v); if no galshare run is active, delete that file", e.Path+lockSuffix, e.Err)
		return b.String()
	}
	i := e.Info
	fmt.Fprintf(&b, " by %s (pid %d on %s, operation %q) since %s (%s ago)",
		i.Who, i.PID, i.Host, i.Operation, i.Created.UTC().Format(time.RFC3339), e.Age.Round(time.Second))
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; waited %s", e.Waited.Round(10*time.Millisecond))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if e.HolderGone {
		b.WriteString("; that process no longer runs, so the lock is stale")
	}
	fmt.Fprintf(&b, ". If that run is no longer active, break the lock with: %s", unlockCommand(e.Path, i.ID))
	return b.String()
}

// Unwrap exposes the context error that ended the wait, if any.
func (e *LockedError) Unwrap() error { return e.Err }

func unlockCommand(path, id string) string {
	if path == DefaultPath {
		return "galshare state unlock " + id
	}
	return fmt.Sprintf("galshare state unlock --state %s %s", path, id)
}

var (
	// ErrNotLocked is returned by Unlock when there is no lock to break.
	ErrNotLocked = errors.New("state is not locked")
	// ErrLockMismatch is returned by Unlock when the id names another lock,
	// so a typo or an old id never breaks a lock someone just took.
	ErrLockMismatch = errors.New("lock ID does not match the current lock")
	// ErrLockLost is returned by Update when this run's lock was broken or
	// replaced; the write is refused so two runs never interleave.
	ErrLockLost = errors.New("this run no longer holds the state lock")
)

// lockPath is where the lock for the state at path lives.
func lockPath(path string) string { return path + lockSuffix }

// newLockInfo fills in who/host/pid for this process.
func newLockInfo(opts LockOptions, now time.Time) LockInfo {
	who := opts.Who
	if who == "" {
		if u, err := user.Current(); err == nil && u.Username != "" {
			who = u.Username
		} else if v := os.Getenv("USER"); v != "" {
			who = v
		} else {
			who = "unknown"
		}
	}
	host, _ := os.Hostname()
	op := opts.Operation
	if op == "" {
		op = "unknown"
	}
	return LockInfo{ID: uuid.NewString(), Who: who, Host: host, PID: os.Getpid(), Operation: op, Created: now.UTC()}
}

// acquire takes the lock file recording info, polling until timeout or ctx
// ends.
func acquire(ctx context.Context, path string, info LockInfo, timeout time.Duration, now func() time.Time) error {
	start := now()
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding lock: %w", err)
	}
	data = append(data, '\n')
	wait := lockPollMin
	for {
		err := tryLock(lockPath(path), data)
		if err == nil {
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("locking state %s: directory %s does not exist: %w", path, filepath.Dir(path), err)
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("locking state %s: %w", path, err)
		}
		waited := now().Sub(start)
		if waited >= timeout {
			return lockedError(path, waited, nil, now())
		}
		t := time.NewTimer(min(wait, timeout-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return lockedError(path, now().Sub(start), ctx.Err(), now())
		case <-t.C:
		}
		wait = min(2*wait, lockPollMax)
	}
}

// tryLock creates the lock file with its full content in one step: the
// content goes to a temp file that is then hard-linked to the lock name, so
// a competing run never sees a half-written lock. Where hard links are not
// supported it falls back to O_EXCL creation.
func tryLock(lp string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(lp), "."+filepath.Base(lp)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Link(tmpName, lp)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.OpenFile(lp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(lp)
		return err
	}
	return f.Close()
}

// lockedError describes the lock currently held on path.
func lockedError(path string, waited time.Duration, cause error, now time.Time) error {
	info, err := ReadLock(path)
	switch {
	case err != nil:
		return &LockedError{Path: path, Waited: waited, Err: errors.Join(err, cause)}
	case info == nil:
		// Released between our attempt and this read: report it as a
		// lock of unknown holder rather than pretend it is free.
		return &LockedError{Path: path, Waited: waited, Err: errors.Join(errors.New("lock was released while waiting; retry"), cause)}
	}
	host, _ := os.Hostname()
	return &LockedError{
		Path: path, Info: info, Age: now.Sub(info.Created), Waited: waited, Err: cause,
		HolderGone: info.Host == host && info.PID > 0 && !processAlive(info.PID),
	}
}

// ReadLock returns the lock held on the state at path, or nil when it is
// not locked. It is for status displays; it takes no lock itself.
func ReadLock(path string) (*LockInfo, error) {
	data, err := os.ReadFile(lockPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock %s: %w", lockPath(path), err)
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil || info.ID == "" {
		return nil, fmt.Errorf("lock file %s is not a galshare lock", lockPath(path))
	}
	return &info, nil
}

// Unlock breaks the lock on the state at path, but only if id names it.
// It is the implementation of `galshare state unlock ID`, for a lock left
// behind by a run that was killed.
func Unlock(path, id string) error {
	path = resolve(path)
	info, err := ReadLock(path)
	if err != nil {
		return err
	}
	if info == nil {
		return fmt.Errorf("%s: %w", path, ErrNotLocked)
	}
	if info.ID != id {
		return fmt.Errorf("%s: %w: %q is not %q (held by %s, operation %q)", path, ErrLockMismatch, id, info.ID, info.Who, info.Operation)
	}
	if err := os.Remove(lockPath(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing lock %s: %w", lockPath(path), err)
	}
	return nil
}

// release removes the lock if it is still ours.
func release(path, id string) error {
	info, err := ReadLock(path)
	if err != nil {
		return err
	}
	if info == nil || info.ID != id {
		return fmt.Errorf("releasing lock on %s: %w", path, ErrLockLost)
	}
	if err := os.Remove(lockPath(path)); err != nil {
		return fmt.Errorf("releasing lock on %s: %w", path, err)
	}
	return nil
}

// checkHeld returns ErrLockLost unless the lock on path is still id.
func checkHeld(path, id string) error {
	info, err := ReadLock(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLockLost, err)
	}
	if info == nil || info.ID != id {
		return ErrLockLost
	}
	return nil
}
