package state

import (
	"os"
	"path/filepath"
	"time"
)

// staleLockTempAge is how old a lock temp file must be before Open removes
// it: younger ones may belong to a run that is taking the lock right now.
const staleLockTempAge = time.Minute

// removeLeftovers deletes temp files a killed run left next to the state.
// It runs while holding the lock, so no other run is writing the state or
// backup temp files; lock temp files are only removed once clearly stale.
// Failures are ignored: leftovers are untidy, not dangerous.
func removeLeftovers(path string, now time.Time) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	patterns := []string{
		"." + base + ".tmp-*",                // state temp files (atomicWrite)
		"." + base + backupSuffix + ".tmp-*", // backup written by copy
		base + backupSuffix + ".tmp-*",       // backup hard-link temp
	}
	for _, pat := range patterns {
		matches, _ := filepath.Glob(filepath.Join(dir, globEscape(pat)))
		for _, m := range matches {
			os.Remove(m)
		}
	}
	locks, _ := filepath.Glob(filepath.Join(dir, globEscape("."+base+lockSuffix+".tmp-*")))
	for _, m := range locks {
		if fi, err := os.Lstat(m); err == nil && now.Sub(fi.ModTime()) > staleLockTempAge {
			os.Remove(m)
		}
	}
}

// globEscape escapes glob metacharacters in a file name pattern, keeping
// the trailing '*' of our patterns.
func globEscape(pat string) string {
	out := make([]byte, 0, len(pat))
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '*' && i == len(pat)-1:
		case c == '*' || c == '?' || c == '[' || c == '\\':
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return string(out)
}
