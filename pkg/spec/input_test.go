package spec

import (
	"fmt"
	"strings"
	"testing"
)

// aliasBomb is the "billion laughs" shape: ten levels of nine aliases.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString(`a: &a ["x","x","x","x","x","x","x","x","x"]` + "\n")
	for i := 1; i < 10; i++ {
		prev, cur := string(rune('a'+i-1)), string(rune('a'+i))
		fmt.Fprintf(&b, "%s: &%s [%s]\n", cur, cur, strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ","))
	}
	return b.String()
}

// longKeyBomb makes every node's field path 200 KB long and expands an
// anchor 500 times under it: cheap in nodes, huge in path bytes.
func longKeyBomb() string {
	anchor := "a: &a [" + strings.TrimSuffix(strings.Repeat("1,", 100), ",") + "]\n"
	// Implicit keys stop at 1024 characters; an explicit key ("? ") does not.
	return anchor + "? " + strings.Repeat("k", 200_000) + "\n: [" + strings.TrimSuffix(strings.Repeat("*a,", 500), ",") + "]\n"
}

// TestBadInput covers input that is not a manifest at all: each case must
// give a clear positioned error, never a panic or a hang.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		code     string
		line     int
		contains string
	}{
		{"empty file", "", CodeEmpty, 0, "empty"},
		{"only whitespace", " \n\n  \n", CodeEmpty, 0, "empty"},
		{"only comments", "# nothing\n# here\n", CodeEmpty, 0, "only comments"},
		{"only a document marker", "---\n", CodeEmpty, 0, "no content"},
		{"not YAML", "this is: not: yaml: [\n", CodeSyntax, 1, "invalid YAML"},
		{"unclosed flow list", "version: 1\nname: [a, b\npublisher: {}\n", CodeSyntax, 2, "invalid YAML"},
		{"bad indentation", "version: 1\npublisher:\n  tenant: x\n app: y\n", CodeSyntax, 4, "invalid YAML"},
		{"several documents", "version: 1\n---\nversion: 1\n", CodeMultipleDocs, 2, "more than one YAML document"},
		{"tab indentation", "version: 1\npublisher:\n\ttenant: x\n", CodeTabs, 3, "tab"},
		{"duplicate key", baseManifest + "name: other\n", CodeDuplicateKey, 27, "already defined at line 2"},
		{"alias bomb", aliasBomb(), CodeAlias, 0, "more than 100000"},
		{"unknown alias", "version: 1\nname: *nope\n", CodeAlias, 2, "no anchor"},
		{"merge key", "x: &x {version: 1}\n<<: *x\n", CodeAlias, 2, "merge keys"},
		{"custom tag", "version: !bang 1\n", CodeTag, 1, "tag"},
		{"binary tag", "version: !!binary aGVsbG8=\n", CodeTag, 1, "!!binary"},
		{"deep nesting", strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", CodeTooDeep, 1, "nested"},
		{"huge file", "# " + strings.Repeat("x", MaxManifestBytes) + "\n", CodeFile, 0, "limit"},
		{"not UTF-8", "version: 1\nname: caf\xe9\n", CodeEncoding, 2, "UTF-8"},
		{"UTF-16", "\xff\xfev\x00", CodeEncoding, 0, "UTF-16"},
		{"a scalar, not a mapping", "hello\n", CodeType, 1, "must be a mapping, not a string"},
		{"a list, not a mapping", "- a\n- b\n", CodeType, 1, "must be a mapping, not a list"},
		{"non-finite number", "version: .inf\n", CodeType, 1, "finite"},
		{"long key over many aliases", longKeyBomb(), CodeAlias, 0, "more than 100000"},
		{"complex key", "? [a, b]\n: c\n", CodeSyntax, 1, "plain name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := Parse("bad.yaml", []byte(tt.data))
			if m != nil {
				t.Fatalf("got a manifest for bad input")
			}
			var found *Diagnostic
			for i := range diags {
				if diags[i].Code == tt.code {
					found = &diags[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("no %s diagnostic; got:\n%s", tt.code, diags)
			}
			if tt.line != 0 && found.Line != tt.line {
				t.Errorf("line %d, want %d: %s", found.Line, tt.line, found)
			}
			if !strings.Contains(found.String(), tt.contains) {
				t.Errorf("%q does not mention %q", found.String(), tt.contains)
			}
			if found.Severity != SeverityError || found.File != "bad.yaml" {
				t.Errorf("want an error in bad.yaml, got %s", found)
			}
		})
	}
}

// TestBOMAccepted: editors on Windows write a UTF-8 byte order mark.
func TestBOMAccepted(t *testing.T) {
	m, diags := Parse("bom.yaml", append([]byte{0xEF, 0xBB, 0xBF}, baseManifest...))
	if m == nil {
		t.Fatalf("a UTF-8 BOM was rejected:\n%s", diags)
	}
}

// TestTrailingEmptyDocument: a trailing "---" some generators add is not a second manifest.
func TestTrailingEmptyDocument(t *testing.T) {
	m, diags := Parse("trail.yaml", []byte(baseManifest+"---\n"))
	if m == nil {
		t.Fatalf("a trailing empty document was rejected:\n%s", diags)
	}
}

// TestAliasesAllowed: plain aliases are fine as long as they stay small.
func TestAliasesAllowed(t *testing.T) {
	src := edit(t, "role: Contributor", "role: &contrib Contributor") +
		"      - scope: /subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/other-rg\n        role: *contrib\n"
	m, diags := Parse("alias.yaml", []byte(src))
	if m == nil {
		t.Fatalf("aliases rejected:\n%s", diags)
	}
	if got := m.Consumers[0].Grants[1].Role.Name; got != "Contributor" {
		t.Errorf("alias resolved to %q, want Contributor", got)
	}
}
