package spec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrInvalid is returned (wrapped) by Load when the manifest has errors;
// the diagnostics say what they are.
var ErrInvalid = errors.New("manifest is not valid")

// Load reads and checks the manifest at path. It returns an error only when
// the file cannot be used at all (missing, a directory, unreadable, too
// large) or has errors; the diagnostics describe every problem in either
// case, positioned in the file, and may hold warnings when err is nil.
func Load(ctx context.Context, path string) (*Manifest, Diagnostics, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	data, d := readManifest(path)
	if d != nil {
		return nil, Diagnostics{*d}, fmt.Errorf("%s: %w", path, ErrInvalid)
	}
	m, diags := Parse(path, data)
	// Parse compares deliverTo with the manifest's path; the file system
	// also knows symlinks and hard links to it.
	diags = append(diags, CheckDeliveryTarget(path, m, []OwnFile{{What: "the manifest itself", Path: path}})...)
	if diags.HasErrors() {
		return nil, diags, fmt.Errorf("%s: %w", path, ErrInvalid)
	}
	return m, diags, nil
}

// readManifest reads at most MaxManifestBytes+1 bytes, so a huge file (or
// /dev/zero) costs nothing, and refuses directories and special files with
// a diagnostic rather than an opaque read error.
func readManifest(path string) ([]byte, *Diagnostic) {
	fileErr := func(summary, hint string) *Diagnostic {
		d := fileError(path, CodeFile, summary, hint)
		return &d
	}
	// Stat first: opening a FIFO would block until someone writes to it.
	if st, err := os.Stat(path); err == nil && !st.IsDir() && !st.Mode().IsRegular() {
		return nil, fileErr("this is not a regular file", "pass the path of a YAML manifest file")
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fileErr("the file does not exist", "")
	case errors.Is(err, fs.ErrPermission):
		return nil, fileErr("the file cannot be read: permission denied", "")
	case err != nil:
		return nil, fileErr(fmt.Sprintf("the file cannot be opened: %v", err), "")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fileErr(fmt.Sprintf("the file cannot be read: %v", err), "")
	}
	if st.IsDir() {
		return nil, fileErr("this is a directory, not a manifest file", "name the YAML file, e.g. "+path+"/quickstart.yaml")
	}
	if st.Mode().IsRegular() && st.Size() > MaxManifestBytes {
		return nil, fileErr(fmt.Sprintf("the manifest is %d bytes; the limit is %d (%d MiB)", st.Size(), MaxManifestBytes, MaxManifestMiB),
			"split it into several manifests")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		return nil, fileErr(fmt.Sprintf("the file cannot be read: %v", err), "")
	}
	if len(data) > MaxManifestBytes {
		return nil, fileErr(fmt.Sprintf("the manifest is larger than the limit of %d bytes (%d MiB)", MaxManifestBytes, MaxManifestMiB),
			"split it into several manifests")
	}
	return data, nil
}
