package spec

import (
	"fmt"
	"strings"
)

// secretWhere is the one sentence every secret-related diagnostic ends
// with: where secrets go instead of the manifest.
const secretWhere = "galshare creates the client secret itself and writes its value only to publisher.app.secret.deliverTo; " +
	"credentials galshare signs in with come from the environment (azidentity) or a credentials file, never the manifest"

// secretKeyWords are key fragments that mean someone is about to put a
// secret value into the manifest.
var secretKeyWords = []string{"secret", "password", "passwd", "token", "credential", "clientsecret", "secrettext", "apikey", "privatekey", "value", "key"}

// looksLikeSecretKey reports whether an unknown key probably holds a secret.
func looksLikeSecretKey(key string) bool {
	k := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(key))
	for _, w := range secretKeyWords {
		if k == w || (len(w) > 5 && strings.Contains(k, w)) {
			return true
		}
	}
	return false
}

// unknownKeyDiag reports a key the schema does not know, with the closest
// known key as a hint, or with where secrets go when the key looks like one.
func unknownKeyDiag(file string, pos Pos, path, key string, known []string) Diagnostic {
	d := Diagnostic{
		Severity: SeverityError, Code: CodeUnknownKey, File: file, Line: pos.Line, Col: pos.Col, Path: shorten(path),
	}
	if looksLikeSecretValue(key) {
		d.Code = CodeSecret
		d.Summary = "a key looks like a secret value, and a manifest never holds secrets"
		d.Hint = "remove it: " + secretWhere
		d.Path = ""
		return d
	}
	if looksLikeSecretKey(key) && !contains(known, key) && closest(key, known) == "" {
		d.Code = CodeSecret
		d.Summary = fmt.Sprintf("key `%s` looks like a secret value, and a manifest never holds secrets", shorten(key))
		d.Hint = "remove it: " + secretWhere
		return d
	}
	if s := closest(key, known); s != "" {
		d.Summary = fmt.Sprintf("unknown key `%s`, did you mean `%s`?", shorten(key), s)
	} else {
		d.Summary = fmt.Sprintf("unknown key `%s`", shorten(key))
	}
	if len(known) > 0 {
		d.Hint = "allowed keys here: " + strings.Join(known, ", ")
	}
	return d
}

// DidYouMean returns the candidate s most likely is a typo of, or "" when
// none is near enough; other packages' "did you mean" (plan --target
// addresses, state addresses) use the same rule as manifest keys.
func DidYouMean(s string, candidates []string) string { return closest(s, candidates) }

// closest returns the candidate nearest to s when it is near enough to be
// a likely typo (case-insensitive edit distance ≤ max(1, len/3)), else "".
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	limit := max(1, len([]rune(s))/3)
	for _, c := range candidates {
		// The distance is at least the length difference: skip hopeless
		// candidates before the O(n·m) computation (keys can be huge).
		if diff := len([]rune(s)) - len([]rune(c)); diff > limit || -diff > limit {
			continue
		}
		d := editDistance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD >= 0 && bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// lastSeg returns the last key of a field path ("a.b[0].c" → "c").
func lastSeg(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.Index(path, "["); i >= 0 {
		path = path[:i]
	}
	return path
}

// requiredHint says what a missing required key is for.
func requiredHint(path string) string {
	switch lastSeg(path) {
	case "version":
		return "add `version: 1` at the top"
	case "tenant":
		return "the tenant ID is a GUID: Entra admin center > Overview > Tenant ID, or `az account show --query tenantId`"
	case "deliverTo":
		return "say where galshare writes a new secret value, e.g. `deliverTo: file:secrets/app.json` (keep it out of git)"
	case "redirectUris":
		return "the documented procedure uses `redirectUris: [https://www.microsoft.com]`"
	case "galleries":
		return "list at least one gallery under publisher.galleries with its ARM `id`"
	case "role":
		return "name a built-in role such as Contributor or Reader, or give a role definition GUID"
	}
	return ""
}

// typeHint explains common YAML typing surprises.
func typeHint(path, want, got string) string {
	field := lastSeg(path)
	switch {
	case field == "secret" && got == "string":
		return "`secret` describes the secret galshare creates; it never holds the value: " + secretWhere
	case (field == "lifetime" || field == "renewBefore") && got == "number":
		return "give a unit, e.g. 8760h or 365d"
	case field == "version" && strings.Contains(path, "waitFor") && got == "number":
		return `quote the version so YAML keeps it text, e.g. version: "1.0.0"`
	case (want == "integer" || want == "number") && got == "string":
		return "write the number without quotes"
	case want == "array" && got != "array":
		return "write a YAML list: one `- item` per line, or [a, b]"
	case want == "string" && got == "boolean":
		return `YAML read this as true/false; quote it to keep it text`
	case want == "string" && got == "null":
		return "give a value after the colon"
	}
	return ""
}
