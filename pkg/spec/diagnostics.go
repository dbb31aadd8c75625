package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic makes the manifest unusable.
type Severity string

const (
	// SeverityError makes the manifest invalid (exit code 1).
	SeverityError Severity = "error"
	// SeverityWarning is worth fixing but does not block.
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem found in a manifest, with the position it was
// written at. Schema, syntax and semantic checks all report through this one
// type so that every problem in a file is shown at once, the same way.
type Diagnostic struct {
	// Severity is error or warning.
	Severity Severity `json:"severity"`
	// Code is a stable identifier (see codes.go) scripts can branch on.
	Code string `json:"code"`
	// Summary is the message: a full sentence that says what is wrong.
	Summary string `json:"message"`
	// Hint says what to do next, when there is something useful to say.
	Hint string `json:"hint,omitempty"`
	// File is the manifest path as given by the user.
	File string `json:"file"`
	// Line and Col are 1-based; 0 means "the whole file".
	Line int `json:"line"`
	Col  int `json:"column"`
	// Path is the field path ("consumers[0].tenant"), "" for file-level problems.
	Path string `json:"path,omitempty"`
}

// String formats the diagnostic as "file:line:col: severity: message",
// followed by an indented hint line when there is a hint.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
		if d.Col > 0 {
			fmt.Fprintf(&b, ":%d", d.Col)
		}
	}
	fmt.Fprintf(&b, ": %s: %s", d.Severity, d.Summary)
	if d.Hint != "" {
		fmt.Fprintf(&b, "\n\thint: %s", d.Hint)
	}
	return b.String()
}

// Diagnostics is every problem found in one or more manifests.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// Error makes Diagnostics usable as an error: one diagnostic per line.
func (ds Diagnostics) Error() string { return ds.String() }

// String is one diagnostic per line (hints on their own indented line).
func (ds Diagnostics) String() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders diagnostics by file, line, column, then code, so output is
// stable whatever order the checks ran in.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Summary < b.Summary
	})
}

// Pos is a 1-based position in the manifest source.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Positions maps field paths ("publisher.galleries[0].id") to source positions.
type Positions map[string]Pos

// Lookup returns the position of path, or of its nearest recorded parent
// ("consumers[1].grants[0].role" falls back to "consumers[1].grants[0]"), so
// a caller always gets a useful line.
func (p Positions) Lookup(path string) Pos {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return p[""]
		}
		path = path[:i]
	}
}
