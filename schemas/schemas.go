// Package schemas embeds the JSON Schemas galshare publishes, so the binary
// validates with exactly the schema that editors use through
// "# yaml-language-server: $schema=…/schemas/manifest.schema.json".
//
// This package is internal to galshare: there is no API-compatibility
// promise for importers outside this module.
package schemas

import _ "embed"

// ManifestURL is the schema's $id; diagnostics and the compiler use it as
// the schema's name.
const ManifestURL = "https://github.com/galshare/galshare/schemas/manifest.schema.json"

// manifest holds manifest.schema.json (JSON Schema 2020-12).
//
//go:embed manifest.schema.json
var manifest []byte

// Manifest returns a copy of manifest.schema.json, so no caller can change
// the embedded bytes others read.
func Manifest() []byte {
	return append([]byte(nil), manifest...)
}
