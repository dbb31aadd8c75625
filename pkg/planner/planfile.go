package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// PlanFileKind tags a saved plan so other JSON files are refused early.
const PlanFileKind = "galshare-plan"

// MaxPlanFileSize bounds what ReadPlanFile accepts, so a wrong or hostile
// file cannot make it allocate without limit. A plan costs about 2.8 KB per
// consumer (10,000 consumers: 28 MB), so 128 MiB fits a 20,000-consumer
// plan (56 MB) with more than 2× margin.
const MaxPlanFileSize = 128 << 20

// ErrPlanFile is wrapped by every ReadPlanFile/ParsePlanFile failure about
// the file's content (as opposed to I/O), so the CLI can say "not a usable
// plan file".
var ErrPlanFile = errors.New("invalid plan file")

// planFile is the on-disk envelope: the kind tag, then the plan itself with
// its payloads and fingerprints. It never holds a secret value: the plan
// model has no field for one.
type planFile struct {
	Kind string `json:"kind"`
	*Plan
}

// MarshalPlanFile encodes a plan in the saved-plan format.
func MarshalPlanFile(p *Plan) ([]byte, error) {
	if err := validatePlanFile(p); err != nil {
		return nil, fmt.Errorf("refusing to save an invalid plan: %w", err)
	}
	var buf bytes.Buffer
	if err := encodePlanFile(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WritePlanFile saves a plan (--out) atomically with mode 0600: a temp file
// in the same directory, fsync, rename.
//
// The plan is encoded straight into the file (encodePlanFile), never whole in
// memory.
func WritePlanFile(path string, p *Plan) error {
	if err := validatePlanFile(p); err != nil {
		return fmt.Errorf("refusing to save an invalid plan: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	tmp := f.Name()
	cleanup := func(e error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("save plan to %s: %w", path, e)
	}
	if err := f.Chmod(0o600); err != nil {
		return cleanup(err)
	}
	if err := encodePlanFile(f, p); err != nil {
		return cleanup(err)
	}
	if err := f.Sync(); err != nil {
		return cleanup(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	return nil
}

// ReadPlanFile loads and validates a saved plan. Like the manifest loader
// (pkg/spec), it stats the path before opening it: opening a FIFO blocks
// until something writes to it, which would hang apply with the state lock
// held.
func ReadPlanFile(path string) (*Plan, error) {
	if err := checkRegularFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		// Replaced by a special file between the stat and the open.
		return nil, fmt.Errorf("read plan %s: %w: not a regular file", path, ErrPlanFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxPlanFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	p, err := ParsePlanFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePlanFile decodes and validates saved-plan bytes. Unknown fields are
// refused (a hand-edited or foreign file), as is a format major version this
// galshare does not know.
func ParsePlanFile(b []byte) (*Plan, error) {
	if len(b) > MaxPlanFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrPlanFile, MaxPlanFileSize)
	}
	var head struct {
		Kind          string `json:"kind"`
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrPlanFile, err)
	}
	if head.Kind != PlanFileKind {
		hint := ""
		if head.Kind == "" {
			hint = "; only \"galshare plan --out FILE\" writes a plan file (the output of plan --json is a view for tools, not a plan to show or apply)"
		}
		return nil, fmt.Errorf("%w: not a galshare plan (kind %q)%s", ErrPlanFile, head.Kind, hint)
	}
	major, _, _ := strings.Cut(head.FormatVersion, ".")
	wantMajor, _, _ := strings.Cut(FormatVersion, ".")
	if major != wantMajor {
		return nil, fmt.Errorf("%w: format version %q; this galshare reads %s.x (re-run plan with this version)",
			ErrPlanFile, head.FormatVersion, wantMajor)
	}
	pf := planFile{Plan: &Plan{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pf); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPlanFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the plan", ErrPlanFile)
	}
	if err := validatePlanFile(pf.Plan); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPlanFile, err)
	}
	return pf.Plan, nil
}

// validatePlanFile is Validate plus what only a saved plan needs: the
// manifest it was made from, by absolute path and content hash. Apply loads
// that manifest and re-derives the plan from it, so a file without them
// (blanked by hand) cannot turn the check off.
func validatePlanFile(p *Plan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	switch {
	case p.Manifest.Path == "":
		return errors.New("manifest.path is empty: a saved plan must name the manifest it was made from")
	case !filepath.IsAbs(p.Manifest.Path):
		return fmt.Errorf("manifest.path %q is not an absolute path", p.Manifest.Path)
	case p.Manifest.SHA256 == "":
		return errors.New("manifest.sha256 is empty: a saved plan must carry the hash of the manifest it was made from")
	}
	return nil
}

// checkRegularFile refuses a path that exists but is not a regular file
// (a FIFO, a device, a socket, a directory) before anything opens it.
func checkRegularFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil // the open reports it
	}
	switch {
	case st.IsDir():
		return fmt.Errorf("read plan %s: %w: is a directory", path, ErrPlanFile)
	case !st.Mode().IsRegular():
		return fmt.Errorf("read plan %s: %w: not a regular file but %s; pass a plan file written by galshare plan --out",
			path, ErrPlanFile, specialFileKind(st.Mode()))
	}
	return nil
}

// specialFileKind names a non-regular file mode for error messages: "a
// named pipe (FIFO)", "a device", "a socket", "a directory".
func specialFileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeDevice != 0, m&os.ModeCharDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}
