package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// fileBackend is the state in a local file: atomic writes (temp file,
// fsync, rename, fsync of the directory), the previous version kept as
// <path>.backup, and a lock file <path>.lock. Its tag is the file's
// fs.FileInfo, so a hand edit or a run that ignored the lock is noticed
// before it is overwritten.
type fileBackend struct {
	path  string // symlinks resolved
	now   func() time.Time
	hooks *writeHooks // tests fail writes at a chosen step; may be nil
}

// FileBackend is the state file at path (symlinks followed, so writes
// replace the target and keep the link).
func FileBackend(path string) Backend {
	return &fileBackend{path: resolve(path), now: time.Now}
}

func (b *fileBackend) String() string { return b.path }

// Read loads the file's bytes; its fs.FileInfo is the tag.
func (b *fileBackend) Read(ctx context.Context) ([]byte, Tag, error) {
	data, err := readFile(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Stat(b.path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading state %s: %w", b.path, err)
	}
	return data, fi, nil
}

func (b *fileBackend) Lock(ctx context.Context, info LockInfo, timeout time.Duration) (Lease, error) {
	if err := acquire(ctx, b.path, info, timeout, b.now); err != nil {
		return nil, err
	}
	removeLeftovers(b.path, b.now())
	return &fileLease{b: b, id: info.ID}, nil
}

func (b *fileBackend) ReadLock(ctx context.Context) (*LockInfo, error) { return ReadLock(b.path) }

func (b *fileBackend) Unlock(ctx context.Context, id string) error { return Unlock(b.path, id) }

// fileLease is a held lock file.
type fileLease struct {
	b  *fileBackend
	id string
}

// Write checks the lock file is still ours and the state file is the one
// last seen, keeps the current file as .backup and replaces it atomically.
func (l *fileLease) Write(ctx context.Context, data []byte, prev Tag) (Tag, error) {
	path := l.b.path
	if err := checkHeld(path, l.id); err != nil {
		return nil, fmt.Errorf("saving state %s: %w", path, err)
	}
	prevInfo, _ := prev.(fs.FileInfo)
	if err := unchanged(path, prevInfo); err != nil {
		return nil, err
	}
	if prevInfo != nil {
		if err := backup(path); err != nil {
			return nil, fmt.Errorf("saving state %s: %w", path, err)
		}
	}
	var hooks writeHooks
	if l.b.hooks != nil {
		hooks = *l.b.hooks
	}
	renamed, werr := atomicWrite(path, data, hooks)
	if !renamed {
		return nil, fmt.Errorf("saving state: %w", werr)
	}
	fi, err := os.Stat(path)
	if err != nil {
		// Written, but without a tag the next write cannot prove the file
		// is unchanged: a fresh stat there will refuse it.
		return missingInfo{}, errors.Join(werr, fmt.Errorf("saving state %s: %w", path, err))
	}
	return fi, werr
}

func (l *fileLease) Release(ctx context.Context) error { return release(l.b.path, l.id) }

// missingInfo is the tag of a file written but not stat-ed; it matches no
// file, so the next write is refused rather than overwriting blindly.
type missingInfo struct{ fs.FileInfo }

// unchanged returns ErrModified if path is not the file last seen.
func unchanged(path string, prev fs.FileInfo) error {
	fi, err := os.Stat(path)
	if _, ok := prev.(missingInfo); ok {
		return fmt.Errorf("saving state %s: %w (the last write could not be checked)", path, ErrModified)
	}
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
