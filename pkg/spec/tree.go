package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// tree turns a yaml.v3 node tree into plain JSON-like values (the shape the
// JSON Schema validator and the semantic checks read) while recording where
// every key and value was written. It is where YAML-only hazards are
// stopped: duplicate keys, alias bombs, merge keys, exotic tags, deep nesting.
type tree struct {
	file  string
	keys  Positions // field path → position of its key
	vals  Positions // field path → position of its value
	diags Diagnostics
	nodes int
	// maxNodes is the node budget (MaxNodesFor the input size).
	maxNodes int
	// exhausted is set once maxNodes is passed; conversion then stops.
	exhausted bool
	// reported holds paths already diagnosed here, whose nil value the
	// schema would otherwise report a second time.
	reported map[string]bool
}

func newTree(file string, size int) *tree {
	return &tree{file: file, keys: Positions{}, vals: Positions{}, reported: map[string]bool{},
		maxNodes: MaxNodesFor(size)}
}

func (t *tree) errorAt(pos Pos, path, code, summary, hint string) {
	t.reported[path] = true
	t.diags = append(t.diags, Diagnostic{
		Severity: SeverityError, Code: code, Summary: summary, Hint: hint,
		File: t.file, Line: pos.Line, Col: pos.Col, Path: path,
	})
}

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// childPath and indexPath build the field paths used in positions and
// diagnostics: "publisher.galleries[0].id".
func childPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// convert returns the JSON-like value of n: nil, bool, int64, float64,
// string, []any or map[string]any. A problem is reported as a diagnostic and
// the offending value becomes nil (or is skipped) so that the rest of the
// manifest is still checked.
func (t *tree) convert(n *yaml.Node, path string, depth int) any {
	if t.exhausted {
		return nil
	}
	// Each node costs one unit, plus one per 256 bytes of its field path:
	// paths are built per node, so long keys under many (alias-expanded)
	// nodes would otherwise cost memory the node count does not see.
	t.nodes += 1 + len(path)/256
	if t.nodes > t.maxNodes {
		t.exhausted = true
		t.errorAt(nodePos(n), shorten(path), CodeAlias,
			fmt.Sprintf("the manifest expands to more than %d YAML nodes (an alias bomb?)", t.maxNodes),
			"use fewer aliases (*name) and shorter keys; a manifest never needs this many values")
		return nil
	}
	if depth > MaxDepth {
		t.exhausted = true
		t.errorAt(nodePos(n), path, CodeTooDeep,
			fmt.Sprintf("the manifest is nested more than %d levels deep", MaxDepth), "")
		return nil
	}
	if _, seen := t.vals[path]; !seen {
		t.vals[path] = nodePos(n)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return t.convert(n.Content[0], path, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return t.convert(n.Alias, path, depth+1)
	case yaml.MappingNode:
		return t.mapping(n, path, depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			out = append(out, t.convert(c, indexPath(path, i), depth+1))
		}
		return out
	case yaml.ScalarNode:
		return t.scalar(n, path)
	}
	return nil
}

func (t *tree) mapping(n *yaml.Node, path string, depth int) any {
	out := make(map[string]any, len(n.Content)/2)
	first := map[string]Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			t.errorAt(nodePos(k), path, CodeSyntax, "a key must be a plain name, not a list or a mapping", "")
			continue
		}
		if k.ShortTag() == "!!merge" {
			t.errorAt(nodePos(k), path, CodeAlias, "merge keys (<<) are not supported in a manifest",
				"write the keys out in full; plain aliases (*name) are allowed")
			continue
		}
		key := k.Value
		p := childPath(path, key)
		if at, dup := first[key]; dup {
			t.errorAt(nodePos(k), p, CodeDuplicateKey,
				fmt.Sprintf("key `%s` is already defined at line %d", displayKey(key), at.Line),
				"remove one of them; YAML keys must be unique within a mapping")
			continue
		}
		first[key] = nodePos(k)
		t.keys[p] = nodePos(k)
		out[key] = t.convert(v, p, depth+1)
	}
	return out
}

func (t *tree) scalar(n *yaml.Node, path string) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
		return n.Value
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return u
		}
		t.errorAt(nodePos(n), path, CodeType, "this number is too large", "quote it if it is meant as text")
		return nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
		t.errorAt(nodePos(n), path, CodeType, "this is not a finite number", "quote it if it is meant as text")
		return nil
	case "!!str", "!!timestamp":
		return n.Value
	default:
		tag := n.Tag
		if strings.HasPrefix(tag, "tag:yaml.org,2002:") {
			tag = "!!" + strings.TrimPrefix(tag, "tag:yaml.org,2002:")
		}
		t.errorAt(nodePos(n), path, CodeTag, fmt.Sprintf("YAML tag %s is not supported in a manifest", tag),
			"remove the tag; values are plain strings, numbers, lists and mappings")
		return nil
	}
}

// pointerToPath turns a JSON pointer from the schema validator
// ("/consumers/0/grants/1") into a field path ("consumers[0].grants[1]") by
// walking root, which tells array indexes from keys.
func pointerToPath(root any, ptr string) string {
	if ptr == "" || ptr == "/" {
		return ""
	}
	path := ""
	cur := root
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch v := cur.(type) {
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) {
				return childPath(path, seg)
			}
			path = indexPath(path, i)
			cur = v[i]
		case map[string]any:
			path = childPath(path, seg)
			cur = v[seg]
		default:
			return childPath(path, seg)
		}
	}
	return path
}

// displayKey is a key as shown in a message: shortened, and redacted when
// it looks like a secret value.
func displayKey(key string) string {
	if looksLikeSecretValue(key) {
		return "(redacted)"
	}
	return shorten(key)
}

// shorten caps user text echoed in messages (keys, paths) at 100 runes.
func shorten(s string) string {
	if r := []rune(s); len(r) > 100 {
		return string(r[:97]) + "..."
	}
	return s
}
