package state

import "path/filepath"

// Companion is one file that belongs to the state at some path: the state
// itself, its lock, its backup, or (Prefix) the temp files written next to
// them. Callers keep other writes — a delivered secret — away from them.
type Companion struct {
	// What names the file in messages, e.g. "the state lock file".
	What string
	// Path is the file; with Prefix, a directory joined with a file name
	// prefix that every such temp file starts with.
	Path string
	// Prefix marks Path as a name prefix (temp file names are random).
	Prefix bool
}

// Companions lists every file galshare writes for the state at path.
func Companions(path string) []Companion {
	dir, base := filepath.Dir(path), filepath.Base(path)
	const temp = "a state temporary file"
	return []Companion{
		{What: "the state file", Path: path},
		{What: "the state lock file", Path: lockPath(path)},
		{What: "the state backup file", Path: path + backupSuffix},
		// The patterns removeLeftovers cleans up, and the lock's temp file.
		{What: temp, Path: filepath.Join(dir, "."+base+".tmp-"), Prefix: true},
		{What: temp, Path: filepath.Join(dir, "."+base+backupSuffix+".tmp-"), Prefix: true},
		{What: temp, Path: filepath.Join(dir, base+backupSuffix+".tmp-"), Prefix: true},
		{What: temp, Path: filepath.Join(dir, "."+base+lockSuffix+".tmp-"), Prefix: true},
	}
}
