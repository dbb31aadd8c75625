package state

import "fmt"

// ManifestMismatchError says the state was last written for a manifest
// with another name: using it would plan to delete everything the other
// manifest made as orphans, or adopt its objects. Commands refuse unless
// the operator forces it (--force-state).
type ManifestMismatchError struct {
	// Path is the state file; "" when unknown.
	Path string
	// State is the manifest name the state records.
	State string
	// Manifest is the name of the manifest in use.
	Manifest string
}

// Error names both manifests and the two ways out.
func (e *ManifestMismatchError) Error() string {
	path := e.Path
	if path == "" {
		path = "the state file"
	}
	return fmt.Sprintf("state %s was written for manifest %q, not %q: point --state at the state of manifest %q, "+
		"or pass --force-state to use this state anyway (apply then records it as %q's)",
		path, e.State, e.Manifest, e.Manifest, e.Manifest)
}

// CheckManifest returns a *ManifestMismatchError when s records a manifest
// name other than name. A state without a recorded name (new, or written
// before names were recorded) matches any manifest.
func (s *State) CheckManifest(path, name string) error {
	if s == nil || s.Manifest.Name == "" || s.Manifest.Name == name {
		return nil
	}
	return &ManifestMismatchError{Path: path, State: s.Manifest.Name, Manifest: name}
}
