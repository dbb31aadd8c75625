package azure

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckDeliveryWritable reports whether WriteDeliveredSecret could write
// path now, without writing it: the nearest directory on the way that
// exists must be a directory in which this user can create a file (the
// missing ones below it are created at delivery). The plan's preflight asks
// it, so an unwritable target shows up in review, not after apply created
// the password it cannot hand over. It creates and removes one empty temp
// file in that directory; it never touches path itself.
func CheckDeliveryWritable(path string) error {
	dir := filepath.Dir(path)
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot use the directory of %s: %w", path, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("no directory of %s exists", path)
		}
		dir = parent
	}
	f, err := os.CreateTemp(dir, ".galshare-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot create files in %s: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
