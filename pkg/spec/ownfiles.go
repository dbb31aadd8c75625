package spec

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// OwnFile is a file galshare itself reads or writes (the manifest, the
// state and its lock, backup and temp files, a plan file, the cloud and
// credentials files). deliverTo must never be one of them: the secret would
// destroy the file, or the file's next write would destroy the only copy of
// the secret.
type OwnFile struct {
	// What names the file in messages, e.g. "the state lock file".
	What string
	// Path is the file's path (relative to the working directory or
	// absolute). With Prefix it is a directory and a name prefix: every file
	// in that directory whose name starts with the prefix is meant (temp
	// files, whose names are random).
	Path string
	// Prefix makes Path a name prefix rather than one file.
	Prefix bool
}

// DeliveryConflictError says a delivery target is one of galshare's own
// files, or a directory. It names the target, never a secret.
type DeliveryConflictError struct {
	// Target is the delivery path as written (or absolute).
	Target string
	// File is the own file it collides with; zero when Dir is set.
	File OwnFile
	// Dir is true when the target is an existing directory.
	Dir bool
}

// Error says what the target is and why it cannot take the secret.
func (e *DeliveryConflictError) Error() string {
	if e.Dir {
		return fmt.Sprintf("deliverTo %s is a directory, not a file", e.Target)
	}
	return fmt.Sprintf("deliverTo %s is %s (%s); galshare keeps that file for itself, and writing the secret there would destroy one or the other",
		e.Target, e.File.What, e.File.Path)
}

// deliveryConflictHint is the fix for every DeliveryConflictError.
const deliveryConflictHint = "deliver the secret to a file of its own, e.g. deliverTo: file:secrets/app.json (keep it out of version control)"

// FindDeliveryConflict reports whether writing target would write into one
// of own, or into a directory. Files compare by identity (os.SameFile, so
// symlinks and hard links are seen through) when both exist, and by
// resolved path (symlinks followed, also dangling ones) when either does
// not exist yet. It returns nil when target may be written.
func FindDeliveryConflict(target string, own []OwnFile) *DeliveryConflictError {
	tinfo, terr := os.Stat(target)
	if terr == nil && tinfo.IsDir() {
		return &DeliveryConflictError{Target: target, Dir: true}
	}
	resolved := resolvePath(target)
	for _, f := range own {
		if f.Path == "" {
			continue
		}
		if f.Prefix {
			dir, prefix := filepath.Split(f.Path)
			if filepath.Dir(resolved) == resolvePath(filepath.Clean(dir)) && strings.HasPrefix(filepath.Base(resolved), prefix) {
				return &DeliveryConflictError{Target: target, File: f}
			}
			continue
		}
		if terr == nil {
			if oinfo, err := os.Stat(f.Path); err == nil && os.SameFile(tinfo, oinfo) {
				return &DeliveryConflictError{Target: target, File: f}
			}
		}
		if resolved == resolvePath(f.Path) {
			return &DeliveryConflictError{Target: target, File: f}
		}
	}
	return nil
}

// maxLinkHops bounds following symlinks by hand (as the kernel's ELOOP does).
const maxLinkHops = 40

// resolvePath is p absolute with every symlink resolved, including a
// dangling final symlink (whose target does not exist yet) and parents that
// do not exist (kept as written).
func resolvePath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	p = filepath.Clean(p)
	for range maxLinkHops {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		link, err := os.Readlink(p)
		if err != nil {
			break
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = filepath.Clean(link)
	}
	dir := filepath.Dir(p)
	if dir == p {
		return p
	}
	return filepath.Join(resolvePath(dir), filepath.Base(p))
}

// CheckDeliveryTarget returns an error diagnostic, at deliverTo in file,
// when m's secret would be delivered into one of own or into a directory.
// validate, plan and apply call it with every own file they know of; Load
// calls it with the manifest itself.
func CheckDeliveryTarget(file string, m *Manifest, own []OwnFile) Diagnostics {
	if m == nil || m.Publisher.App.Secret == nil {
		return nil
	}
	to := m.Publisher.App.Secret.DeliverTo
	if to.Kind != DeliveryFile || to.Path == "" {
		return nil
	}
	conflict := FindDeliveryConflict(to.Path, own)
	if conflict == nil {
		return nil
	}
	if to.Written != "" {
		conflict.Target = quote(to.Written)
	}
	path := "publisher.app.secret.deliverTo"
	pos := m.Positions.Lookup(path)
	return Diagnostics{{Severity: SeverityError, Code: CodeDelivery, Summary: conflict.Error(), Hint: deliveryConflictHint,
		File: file, Line: pos.Line, Col: pos.Col, Path: path}}
}
