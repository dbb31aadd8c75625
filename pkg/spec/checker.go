package spec

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// checker runs the semantic checks on the converted manifest value and
// fills in the Manifest. It is lenient about shape: a field of the wrong
// type was already reported by the schema and is simply skipped here, so
// one run reports every problem.
type checker struct {
	file     string
	dir      string // absolute directory of the manifest, for relative paths
	t        *tree
	root     map[string]any
	manifest *Manifest
	diags    Diagnostics
	// secretKeyReported holds paths whose key was already reported as a
	// secret by the schema layer.
	secretKeyReported map[string]bool
}

func newChecker(file string, t *tree, value any, prior Diagnostics) *checker {
	root, _ := value.(map[string]any)
	dir := filepath.Dir(absPath(file))
	if file == "" {
		dir = ""
	}
	pos := Positions{}
	for p, v := range t.vals {
		pos[p] = v
	}
	for p, k := range t.keys {
		pos[p] = k
	}
	reported := map[string]bool{}
	for _, d := range prior {
		if d.Code == CodeSecret {
			reported[d.Path] = true
		}
	}
	return &checker{file: file, dir: dir, t: t, root: root, manifest: &Manifest{Positions: pos}, secretKeyReported: reported}
}

// report adds a diagnostic at the value of path.
func (c *checker) report(sev Severity, path, code, hint, format string, args ...any) {
	pos := c.t.vals.Lookup(path)
	c.diags = append(c.diags, Diagnostic{
		Severity: sev, Code: code, Summary: fmt.Sprintf(format, args...), Hint: hint,
		File: c.file, Line: pos.Line, Col: pos.Col, Path: path,
	})
}

func (c *checker) errorf(path, code, hint, format string, args ...any) {
	c.report(SeverityError, path, code, hint, format, args...)
}

func (c *checker) warnf(path, code, hint, format string, args ...any) {
	c.report(SeverityWarning, path, code, hint, format, args...)
}

// str returns obj[key] when it is a string; other types were reported by the schema.
func str(obj map[string]any, key string) (string, bool) {
	s, ok := obj[key].(string)
	return s, ok
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func (c *checker) run() {
	if c.root == nil {
		return
	}
	c.checkSecretValues(c.root, "")
	c.checkVersion()
	c.checkManifestName()
	c.checkPublisher(obj(c.root["publisher"]), "publisher")
	c.checkConsumers(list(c.root["consumers"]), "consumers")
	c.checkSubscriptions()
	c.checkState(obj(c.root["state"]), "state")
}

func (c *checker) checkVersion() {
	switch v := c.root["version"].(type) {
	case int64:
		if v != 1 {
			c.errorf("version", CodeVersion, "this galshare reads `version: 1`; upgrade galshare for newer manifests",
				"manifest version %d is not supported", v)
			return
		}
		c.manifest.Version = 1
	case uint64:
		c.errorf("version", CodeVersion, "write `version: 1`", "manifest version %d is not supported", v)
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (c *checker) checkManifestName() {
	name, ok := str(c.root, "name")
	if !ok {
		return
	}
	if !nameRE.MatchString(name) {
		c.errorf("name", CodeName, "use lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters, e.g. contoso-golden-images",
			"manifest name %s is not valid", quote(name))
		return
	}
	c.manifest.Name = name
}

// checkTenant validates a tenant ID and returns it lowercased.
func (c *checker) checkTenant(path, s string) (string, bool) {
	if isGUID(s) {
		if strings.EqualFold(s, nilGUID) {
			c.errorf(path, CodeTenant, "use the real tenant ID from Entra admin center > Overview",
				"the all-zero GUID is not a tenant ID")
			return "", false
		}
		return strings.ToLower(s), true
	}
	if looksLikeSecretValue(s) {
		return "", false // reported by checkSecretValues; never echo it in a hint
	}
	hint := "a tenant ID is a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47: Entra admin center > Overview > Tenant ID, or `az account show --query tenantId`"
	if strings.Contains(s, ".") && !strings.ContainsAny(s, " /") {
		hint = "galshare needs the tenant ID (a GUID), not a domain name; find it with `az account show --query tenantId` or in https://login.microsoftonline.com/" + s + "/v2.0/.well-known/openid-configuration"
	}
	c.errorf(path, CodeTenant, hint, "tenant ID %s is not a GUID", quote(s))
	return "", false
}

// checkRole resolves a role field.
func (c *checker) checkRole(path, s string) (Role, bool) {
	r, err := ResolveRole(s)
	if err != nil {
		hint := "use a built-in role name (" + strings.Join(roleNames(), ", ") + ") or a role definition GUID"
		if ure, ok := err.(*unknownRoleError); ok && ure.suggestion != "" {
			hint = "did you mean " + ure.suggestion + "? Otherwise " + hint
		}
		c.errorf(path, CodeRole, hint, "unknown role %s", quote(s))
		return Role{}, false
	}
	return r, true
}

func roleNames() []string {
	out := make([]string, len(builtinRoles))
	for i, r := range builtinRoles {
		out[i] = r.name
	}
	return out
}

// quote prints a user value in a message, unless it looks like a secret:
// no secret value may ever reach diagnostics output.
func quote(s string) string {
	if looksLikeSecretValue(s) {
		return "(value redacted: it looks like a secret)"
	}
	if r := []rune(s); len(r) > 300 {
		s = string(r[:297]) + "..."
	}
	return fmt.Sprintf("%q", s)
}
