package azure

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/galshare/galshare/pkg/spec"
)

// checkCredentialKeys reports the first unknown key of a credentials file
// the way manifest errors are reported: line:col, the key, a did-you-mean
// when it looks like a typo of a known one, and the keys that are allowed
// there — not the YAML decoder's "field clientID not found in type
// azure.CredentialConfig". nil when every key is known (or the text is not
// YAML at all: the decoder then says why).
func checkCredentialKeys(raw []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil
	}
	entry := yamlKeys(reflect.TypeOf(CredentialConfig{}))
	top := yamlKeys(reflect.TypeOf(CredentialsFile{}))
	if err := unknownKey(root, "", top); err != nil {
		return err
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "default":
			if err := unknownKey(v, "default.", entry); err != nil {
				return err
			}
		case "tenants":
			if v.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if err := unknownKey(v.Content[j+1], "tenants."+v.Content[j].Value+".", entry); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// unknownKey checks the keys of mapping m against known.
func unknownKey(m *yaml.Node, path string, known []string) error {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if containsString(known, k.Value) {
			continue
		}
		e := &KeyError{Line: k.Line, Col: k.Column}
		e.Msg = fmt.Sprintf("unknown key %q in %s", k.Value, strings.TrimSuffix(path, "."))
		if path == "" {
			e.Msg = fmt.Sprintf("unknown top-level key %q", k.Value)
		}
		if strings.EqualFold(k.Value, "clientSecret") {
			e.Msg += ": a literal clientSecret is not accepted; put the secret in an environment variable and name it with clientSecretEnv"
			return e
		}
		if near := spec.DidYouMean(k.Value, known); near != "" {
			e.Msg += fmt.Sprintf("; did you mean %q?", near)
		}
		e.Msg += " (allowed: " + strings.Join(known, ", ") + ")"
		return e
	}
	return nil
}

// KeyError is an unknown key at a position of a credentials file; the
// file's loader prefixes the path, as in manifest diagnostics
// (FILE:LINE:COL: message).
type KeyError struct {
	Line, Col int
	Msg       string
}

func (e *KeyError) Error() string { return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg) }

// yamlKeys are the YAML keys of a struct type, from its tags.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
