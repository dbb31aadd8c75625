// Package spec owns the galshare sharing manifest: its Go types, YAML
// decoding with source positions (gopkg.in/yaml.v3), validation against the
// embedded JSON Schema (schemas/manifest.schema.json, 2020-12), the semantic
// checks a schema cannot express, and the positioned diagnostics that report
// every problem at once as "file:line:col: error: message".
//
// Everything later in the pipeline (planner, executor) starts from a
// *Manifest returned by Load or Parse, so values in it are already checked
// and normalised: roles resolved to definition GUIDs, ARM IDs in canonical
// case, durations parsed, defaults applied, delivery paths absolute.
//
// This package is internal to galshare: there is no API-compatibility promise
// for importers outside this module.
package spec
