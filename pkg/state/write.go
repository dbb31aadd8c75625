package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// fileMode is the mode of state and backup files: they name tenants,
// object ids and operators, which is nobody else's business.
const fileMode = 0o600

// writeHooks lets tests fail a write at a chosen step. Nil hooks do nothing.
type writeHooks struct {
	encode       func(*State) ([]byte, error)
	beforeRename func(tmp string) error
}

// atomicWrite replaces path with data: a temp file in the same directory,
// fsync, rename over path, fsync of the directory. At every instant path
// holds either the old or the new content, never a mix. renamed reports
// whether path now holds data even if a later step (the directory sync)
// failed.
func atomicWrite(path string, data []byte, hooks writeHooks) (renamed bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if !renamed {
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("writing %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	if hooks.beforeRename != nil {
		if err := hooks.beforeRename(tmpName); err != nil {
			return false, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return true, fmt.Errorf("writing %s: sync directory: %w", path, err)
	}
	return true, nil
}

// backup makes <path>.backup a copy of the current path. It hard-links the
// current file under a temp name and renames that over the backup (no data
// copy, and the backup is never half-written); where links are unsupported
// it copies the bytes through an atomic write.
func backup(path string) error {
	bp := path + backupSuffix
	tmp := fmt.Sprintf("%s.tmp-%d", bp, os.Getpid())
	os.Remove(tmp)
	if err := os.Link(path, tmp); err == nil {
		if err := os.Rename(tmp, bp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("writing backup %s: %w", bp, err)
		}
		// The link shares the old file's mode; a hand-made 0644 state
		// must not leave a readable backup behind.
		if err := os.Chmod(bp, fileMode); err != nil {
			return fmt.Errorf("writing backup %s: %w", bp, err)
		}
		return nil
	}
	old, err := readFile(path)
	if err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	if _, err := atomicWrite(bp, old, writeHooks{}); err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot open a directory
// for sync, and its rename is already durable enough for our purposes.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) {
		return nil // some filesystems do not support directory fsync
	}
	return err
}
