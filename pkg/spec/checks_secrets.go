package spec

import (
	"regexp"
	"strings"
)

var (
	// Entra client secrets: 3 characters, a digit, "Q~", then 31–34 more
	// (e.g. "abc8Q~..."), 40 characters in all.
	entraSecretRE = regexp.MustCompile(`^[A-Za-z0-9_\-.]{3}[0-9]Q~[A-Za-z0-9_\-.~]{31,34}$`)
	// JSON Web Tokens (access tokens): three base64url parts starting eyJ.
	jwtRE = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*$`)
)

// looksLikeSecretValue reports strings that are almost certainly secret
// values: Entra client secrets, tokens, private keys, connection strings.
func looksLikeSecretValue(s string) bool {
	s = strings.TrimSpace(s)
	switch {
	case entraSecretRE.MatchString(s), jwtRE.MatchString(s):
		return true
	case strings.Contains(s, "-----BEGIN") && strings.Contains(s, "PRIVATE KEY"):
		return true
	case strings.Contains(strings.ToLower(s), "accountkey=") || strings.Contains(strings.ToLower(s), "sharedaccesskey="):
		return true
	}
	return false
}

// checkSecretValues walks every string in the manifest: a secret value is
// an error wherever it is, and its text is never repeated in the message.
func (c *checker) checkSecretValues(v any, path string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			c.checkSecretValues(child, childPath(path, k))
		}
	case []any:
		for i, child := range x {
			c.checkSecretValues(child, indexPath(path, i))
		}
	case string:
		// A secret under a key the schema does not know is already reported
		// (as secret-in-manifest) by the unknown-key check; one error is enough.
		if looksLikeSecretValue(x) && !c.secretKeyReported[path] {
			c.errorf(path, CodeSecret, "remove it and rotate that secret, since it has been written down: "+secretWhere,
				"this value looks like a secret (client secret, token or key), and a manifest never holds secrets")
		}
	}
}
