package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Parse checks one manifest held in memory and returns it with every
// problem found. filename is used in diagnostics and to resolve relative
// paths (deliverTo); it need not exist. The manifest is nil when there are
// errors; warnings come with a usable manifest.
//
// Parse never panics and never reads the file system.
func Parse(filename string, data []byte) (m *Manifest, diags Diagnostics) {
	defer func() {
		// yaml.v3 has had panics on hostile input; turn any into a diagnostic
		// rather than crash the CLI (the fuzz target keeps this honest).
		if r := recover(); r != nil {
			m = nil
			diags = append(diags, fileError(filename, CodeSyntax,
				fmt.Sprintf("the YAML parser failed on this input (%v)", r), "check the file is a YAML manifest"))
		}
	}()

	root, diags := decodeYAML(filename, data)
	if diags.HasErrors() {
		return nil, sorted(diags)
	}

	t := newTree(filename, len(data))
	value := t.convert(root, "", 0)
	diags = append(diags, t.diags...)
	if t.exhausted {
		return nil, sorted(diags)
	}
	diags = append(diags, validateSchema(filename, value, t)...)

	c := newChecker(filename, t, value, diags)
	c.manifest.SHA256 = sha256Hex(data)
	c.manifest.Path = absPath(filename)
	c.run()
	diags = append(diags, c.diags...)

	diags = sorted(dedupe(diags))
	if diags.HasErrors() {
		return nil, diags
	}
	return c.manifest, diags
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func absPath(filename string) string {
	if filename == "" {
		return ""
	}
	if abs, err := filepath.Abs(filename); err == nil {
		return abs
	}
	return filename
}

func sorted(ds Diagnostics) Diagnostics {
	ds.Sort()
	return ds
}

// dedupe drops a diagnostic that repeats another at the same place with the
// same code (e.g. one alias expanded twice).
func dedupe(ds Diagnostics) Diagnostics {
	type key struct {
		line, col  int
		code, summ string
	}
	seen := map[key]bool{}
	out := ds[:0]
	for _, d := range ds {
		k := key{d.Line, d.Col, d.Code, d.Summary}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

func fileError(file, code, summary, hint string) Diagnostic {
	return Diagnostic{Severity: SeverityError, Code: code, Summary: summary, Hint: hint, File: file}
}

func errorAt(file string, line, col int, code, summary, hint string) Diagnostic {
	return Diagnostic{Severity: SeverityError, Code: code, Summary: summary, Hint: hint, File: file, Line: line, Col: col}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeYAML runs the byte-level checks and yaml.v3, and returns the single
// document node of the manifest.
func decodeYAML(file string, data []byte) (*yaml.Node, Diagnostics) {
	if len(data) > MaxManifestBytes {
		return nil, Diagnostics{fileError(file, CodeFile,
			fmt.Sprintf("the manifest is %d bytes; the limit is %d (%d MiB)", len(data), MaxManifestBytes, MaxManifestMiB),
			"split it into several manifests")}
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, Diagnostics{fileError(file, CodeEncoding, "the manifest is UTF-16; galshare reads UTF-8 only",
			"save the file as UTF-8")}
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		line, col := invalidUTF8At(data)
		return nil, Diagnostics{errorAt(file, line, col, CodeEncoding, "the manifest is not valid UTF-8",
			"save the file as UTF-8")}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Diagnostics{fileError(file, CodeEmpty, "the manifest is empty",
			"start from examples/quickstart.yaml")}
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Diagnostics{fileError(file, CodeEmpty, "the manifest has no content, only comments",
				"start from examples/quickstart.yaml")}
		}
		return nil, Diagnostics{syntaxError(file, data, err)}
	}
	// More documents are an error unless they are empty (a trailing "---").
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, Diagnostics{syntaxError(file, data, err)}
		}
		if isEmptyDoc(&next) {
			continue
		}
		return nil, Diagnostics{errorAt(file, next.Line, max(next.Column, 1), CodeMultipleDocs,
			"the file holds more than one YAML document; a manifest is exactly one",
			"put each manifest in its own file and remove the `---` separator")}
	}
	if isEmptyDoc(&doc) {
		return nil, Diagnostics{fileError(file, CodeEmpty, "the manifest has no content",
			"start from examples/quickstart.yaml")}
	}
	return &doc, nil
}

// isEmptyDoc reports a document with no content or only a null.
func isEmptyDoc(doc *yaml.Node) bool {
	return len(doc.Content) == 0 ||
		(doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].ShortTag() == "!!null" && doc.Content[0].Value == "")
}

var (
	yamlLineRE      = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)
	unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// syntaxError turns a yaml.v3 error ("yaml: line 3: mapping values are not
// allowed in this context") into a positioned diagnostic, and explains the
// most common cause (tabs) when it applies.
//
// yaml.v3 numbers lines inconsistently: scanner errors are 1-based, parser
// errors ("did not find expected …") are 0-based (and sometimes point at
// the start of the enclosing flow collection), and line 0 is left out of the
// message. This undoes
// that so the line is right.
func syntaxError(file string, data []byte, err error) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if tl, tc := firstIndentTab(data); tl > 0 && (line == 0 || tl <= line+1) {
		return errorAt(file, tl, tc, CodeTabs, "a tab is used for indentation; YAML indents with spaces only",
			"replace the tabs at the start of the line with spaces")
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		l, c := offsetPos(data, bytes.Index(data, []byte("*"+m[1])))
		return errorAt(file, l, c, CodeAlias, fmt.Sprintf("alias *%s refers to no anchor &%s defined before it", m[1], m[1]),
			"define the anchor (&"+m[1]+") before using it, or remove the *")
	}
	hint := ""
	parserErr := strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found duplicate") ||
		strings.HasPrefix(msg, "found incompatible") || strings.HasPrefix(msg, "found undefined")
	switch {
	case parserErr:
		line++
		hint = "check the indentation and brackets below this line: keys of one mapping and items of one list must line up"
	case line == 0:
		line = 1
	}
	return errorAt(file, line, firstNonSpaceCol(data, line), CodeSyntax, "invalid YAML: "+msg, hint)
}

// offsetPos converts a byte offset to a 1-based line and column (in runes);
// a negative offset gives line 1, column 1.
func offsetPos(data []byte, off int) (line, col int) {
	if off < 0 {
		return 1, 1
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// firstNonSpaceCol is the column of the first non-blank character of line
// (1 for a blank or missing line).
func firstNonSpaceCol(data []byte, line int) int {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return len(l) - len(bytes.TrimLeft(l, " ")) + 1
}

// firstIndentTab finds the first tab in a line's leading whitespace.
func firstIndentTab(data []byte) (line, col int) {
	for i, l := range bytes.Split(data, []byte("\n")) {
		for j, ch := range l {
			if ch == '\t' {
				return i + 1, j + 1
			}
			if ch != ' ' {
				break
			}
		}
	}
	return 0, 0
}

// invalidUTF8At returns the 1-based line and column of the first byte that
// is not valid UTF-8.
func invalidUTF8At(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}
