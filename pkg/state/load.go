package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// maxFileSize bounds how much of a state file is read. Real states are
// kilobytes to a few megabytes; anything this large is not one of ours.
const maxFileSize = 256 << 20

// LoadError says a state file could not be used: unreadable, not JSON,
// truncated, or valid JSON describing an invalid state. The file is left
// untouched; galshare refuses to run rather than overwrite it.
type LoadError struct {
	// Path of the state file.
	Path string
	// Line and Column locate the problem (1-based); 0 when it has no single
	// position, e.g. a duplicate address.
	Line, Column int
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error renders "path:line:col: what" and the recovery hint.
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	fmt.Fprintf(&b, " (galshare has not changed the file; fix it, or %s)", restoreHint(e.Path))
	return b.String()
}

// Unwrap exposes the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

// VersionError says the file was written in a format this galshare does not
// know: newer (upgrade galshare) or never valid.
type VersionError struct {
	// Path of the state file.
	Path string
	// Found is the version in the file.
	Found int64
	// Supported is CurrentVersion.
	Supported int
}

// Error says which galshare to use.
func (e *VersionError) Error() string {
	if e.Found > int64(e.Supported) {
		return fmt.Sprintf("%s: state format version %d is newer than this galshare supports (%d); use a newer galshare — the file has not been changed", e.Path, e.Found, e.Supported)
	}
	return fmt.Sprintf("%s: state format version %d is not a valid galshare state version (this galshare reads 1 to %d); the file has not been changed", e.Path, e.Found, e.Supported)
}

// readFile reads path, bounded by maxFileSize. A missing file returns an
// error satisfying errors.Is(err, fs.ErrNotExist).
func readFile(path string) ([]byte, error) {
	// Stat first, as pkg/spec's manifest loader does: opening a FIFO blocks
	// until something writes to it.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, &LoadError{Path: path, Msg: "not a regular file (a FIFO, device or directory); pass the path of a galshare state file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooBig := &LoadError{Path: path, Msg: fmt.Sprintf("file is larger than %d MiB; it is not a galshare state file", maxFileSize>>20)}
	if fi, err := f.Stat(); err == nil && fi.Size() > maxFileSize {
		return nil, tooBig
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, tooBig
	}
	return data, nil
}

// decode parses, upgrades and validates the bytes of a state file.
func decode(path string, data []byte) (*State, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &LoadError{Path: path, Msg: "file is empty"}
	}
	var head struct {
		Version *int64 `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(path, data, err, -1)
	}
	if head.Version == nil {
		return nil, &LoadError{Path: path, Msg: `no "version" field: this is not a galshare state file`}
	}
	v := *head.Version
	if v < 1 || v > CurrentVersion {
		return nil, &VersionError{Path: path, Found: v, Supported: CurrentVersion}
	}
	for ; v < CurrentVersion; v++ {
		var err error
		if data, err = upgradeStep(int(v))(data); err != nil {
			return nil, &LoadError{Path: path, Msg: fmt.Sprintf("upgrading from version %d: %v", v, err), Err: err}
		}
	}

	s := new(State)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return nil, jsonError(path, data, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, jsonErrorAt(path, data, dec.InputOffset(), "unexpected data after the JSON object", nil)
	}
	if err := validate(s); err != nil {
		return nil, &LoadError{Path: path, Msg: "invalid state: " + strings.ReplaceAll(err.Error(), "\n", "; "), Err: err}
	}
	s.exists = true
	return s, nil
}

// upgradeStep returns the function that rewrites version v's bytes into
// version v+1. Only version 1 exists, so there are no steps yet; a future
// version adds a case here and never edits an old one.
func upgradeStep(v int) func([]byte) ([]byte, error) {
	switch v {
	default:
		return func([]byte) ([]byte, error) {
			return nil, fmt.Errorf("no upgrade from version %d", v)
		}
	}
}

// jsonError turns an encoding/json error into a positioned LoadError.
// fallback is the decoder offset for errors that carry none.
func jsonError(path string, data []byte, err error, fallback int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		msg := strings.TrimPrefix(syn.Error(), "json: ")
		if syn.Offset >= int64(len(data)) {
			return jsonErrorAt(path, data, int64(len(data)), "file is truncated ("+msg+")", err)
		}
		// Offset counts the bytes read, including the offending one.
		return jsonErrorAt(path, data, max(syn.Offset-1, 0), msg, err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return jsonErrorAt(path, data, typ.Offset, fmt.Sprintf("%s: cannot use JSON %s as %s", field, typ.Value, typ.Type), err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return jsonErrorAt(path, data, int64(len(data)), "file is truncated", err)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// encoding/json gives no offset for unknown fields; point at the
		// first occurrence of the key instead of the end of the file.
		if name, err := strconv.Unquote(name); err == nil {
			if m := regexp.MustCompile(`"` + regexp.QuoteMeta(name) + `"\s*:`).FindIndex(data); m != nil {
				fallback = int64(m[0])
			}
		}
	}
	return jsonErrorAt(path, data, fallback, msg, err)
}

// jsonErrorAt builds a LoadError at a byte offset (none when offset < 0).
func jsonErrorAt(path string, data []byte, offset int64, msg string, err error) error {
	e := &LoadError{Path: path, Msg: msg, Err: err}
	if offset >= 0 {
		e.Line, e.Column = position(data, offset)
	}
	return e
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
