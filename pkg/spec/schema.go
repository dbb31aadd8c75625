package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/galshare/galshare/schemas"
)

// compiledSchema is the embedded manifest schema, compiled once. It is an
// immutable value computed lazily, not mutable state.
var compiledSchema = sync.OnceValues(func() (*compiledManifestSchema, error) {
	raw := schemas.Manifest()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource(schemas.ManifestURL, bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("loading embedded manifest schema: %w", err)
	}
	s, err := c.Compile(schemas.ManifestURL)
	if err != nil {
		return nil, fmt.Errorf("compiling embedded manifest schema: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("reading embedded manifest schema: %w", err)
	}
	return &compiledManifestSchema{schema: s, doc: doc}, nil
})

type compiledManifestSchema struct {
	schema *jsonschema.Schema
	// doc is the raw schema, read to list the keys allowed at a location
	// for "did you mean" hints.
	doc any
}

// schemaOnlyKeywords are the keywords the schema reports on its own. Value
// checks (pattern, enum, length…) are left to the semantic checks, which say
// more than "does not match pattern"; the schema keeps them for editors.
var schemaOnlyKeywords = map[string]bool{
	"type": true, "required": true, "additionalProperties": true, "minItems": true, "false": true,
}

// validateSchema checks value against the embedded schema and maps each
// failure to a positioned diagnostic.
func validateSchema(file string, value any, t *tree) Diagnostics {
	cs, err := compiledSchema()
	if err != nil {
		// The schema is embedded and tested; this is a build defect.
		return Diagnostics{fileError(file, CodeSchema, err.Error(), "")}
	}
	verr := cs.schema.Validate(value)
	if verr == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return Diagnostics{fileError(file, CodeSchema, "schema validation failed: "+verr.Error(), "")}
	}
	var out Diagnostics
	for _, leaf := range leaves(ve) {
		for _, d := range cs.diagnose(file, value, t, leaf) {
			if d.Code == CodeType && t.reported[d.Path] {
				continue // the YAML layer already said what is wrong here
			}
			out = append(out, d)
		}
	}
	return dropTypoRequired(out)
}

// dropTypoRequired removes "missing required key `displayName`" when the
// same mapping has an unknown key whose did-you-mean is displayName: the
// typo is one mistake and gets one diagnostic.
func dropTypoRequired(ds Diagnostics) Diagnostics {
	suggested := map[string]bool{}
	for _, d := range ds {
		if d.Code != CodeUnknownKey {
			continue
		}
		if _, rest, ok := strings.Cut(d.Summary, "did you mean `"); ok {
			name, _, _ := strings.Cut(rest, "`")
			suggested[childPath(parentPath(d.Path), name)] = true
		}
	}
	out := ds[:0]
	for _, d := range ds {
		if d.Code == CodeRequired && suggested[d.Path] {
			continue
		}
		out = append(out, d)
	}
	return out
}

// parentPath drops the last key of a field path ("a.b.c" → "a.b").
func parentPath(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func keyword(ve *jsonschema.ValidationError) string {
	loc := ve.KeywordLocation
	if i := strings.LastIndex(loc, "/"); i >= 0 {
		return loc[i+1:]
	}
	return loc
}

func (cs *compiledManifestSchema) diagnose(file string, root any, t *tree, ve *jsonschema.ValidationError) Diagnostics {
	kw := keyword(ve)
	if !schemaOnlyKeywords[kw] {
		return nil
	}
	path := pointerToPath(root, ve.InstanceLocation)
	switch kw {
	case "additionalProperties", "false":
		var out Diagnostics
		known := cs.knownKeys(ve.AbsoluteKeywordLocation)
		obj, _ := valueAt(root, path).(map[string]any)
		for _, key := range unknownKeys(obj, known) {
			p := childPath(path, key)
			pos := t.keys.Lookup(p)
			out = append(out, unknownKeyDiag(file, pos, p, key, known))
		}
		return out
	case "required":
		var out Diagnostics
		pos := t.keys.Lookup(path)
		if path == "" {
			pos = Pos{Line: 1, Col: 1}
		}
		for _, name := range missingNames(ve.Message) {
			out = append(out, Diagnostic{
				Severity: SeverityError, Code: CodeRequired, File: file, Line: pos.Line, Col: pos.Col,
				Path:    childPath(path, name),
				Summary: fmt.Sprintf("%s is missing the required key `%s`", describe(path), name),
				Hint:    requiredHint(childPath(path, name)),
			})
		}
		return out
	case "type":
		pos := t.vals.Lookup(path)
		got := jsonTypeName(valueAt(root, path))
		want := strings.TrimPrefix(ve.Message, "expected ")
		if i := strings.Index(want, ", but got"); i >= 0 {
			want = want[:i]
		}
		return Diagnostics{{
			Severity: SeverityError, Code: CodeType, File: file, Line: pos.Line, Col: pos.Col, Path: path,
			Summary: fmt.Sprintf("%s must be %s, not %s", describe(path), article(want), article(got)),
			Hint:    typeHint(path, want, got),
		}}
	case "minItems":
		pos := t.vals.Lookup(path)
		return Diagnostics{{
			Severity: SeverityError, Code: CodeSchema, File: file, Line: pos.Line, Col: pos.Col, Path: path,
			Summary: fmt.Sprintf("%s needs at least one entry", describe(path)),
		}}
	}
	return nil
}

// knownKeys lists the properties allowed by the schema object whose
// additionalProperties keyword failed, read from the raw schema document.
func (cs *compiledManifestSchema) knownKeys(absKeywordLoc string) []string {
	frag := ""
	if i := strings.Index(absKeywordLoc, "#"); i >= 0 {
		frag = absKeywordLoc[i+1:]
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	frag = strings.TrimSuffix(strings.TrimSuffix(frag, "/additionalProperties"), "/false")
	node := cs.doc
	for _, seg := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if seg == "" {
			continue
		}
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")]
	}
	m, _ := node.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unknownKeys(obj map[string]any, known []string) []string {
	var out []string
	for k := range obj {
		if !contains(known, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// missingNames parses "missing properties: a, b" (jsonschema/v5 wording;
// the names are quoted with single quotes).
func missingNames(msg string) []string {
	_, list, ok := strings.Cut(msg, ":")
	if !ok {
		return nil
	}
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.Trim(strings.TrimSpace(n), `'"`)
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// valueAt follows a field path through root.
func valueAt(root any, path string) any {
	if path == "" {
		return root
	}
	cur := root
	for _, seg := range splitPath(path) {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[seg.key]
		case []any:
			if seg.index < 0 || seg.index >= len(v) {
				return nil
			}
			cur = v[seg.index]
		default:
			return nil
		}
	}
	return cur
}

type pathSeg struct {
	key   string
	index int
}

// splitPath splits "a.b[2].c" into segments; keys with dots are ambiguous
// but only arise for unknown keys, which are never followed further.
func splitPath(path string) []pathSeg {
	var out []pathSeg
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, pathSeg{key: name, index: -1})
		}
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil {
				i = -1
			}
			out = append(out, pathSeg{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, uint64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// typeWord names JSON types in YAML users' words.
func typeWord(t string) string {
	switch t {
	case "object":
		return "mapping"
	case "array":
		return "list"
	case "boolean":
		return "boolean (true/false)"
	case "null":
		return "empty value"
	}
	return t
}

// article puts "a" or "an" before a type word: "an integer", "a list".
func article(t string) string {
	w := typeWord(t)
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}

// describe names a field path for messages: "`publisher.app`", or "the manifest".
func describe(path string) string {
	if path == "" {
		return "the manifest"
	}
	return "`" + path + "`"
}
