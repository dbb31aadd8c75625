package planner

import (
	"errors"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/spec"
)

// Issue 14.5: a gallery or grant scope that does not exist is a manifest or
// world error (exit 1, with the manifest position), not a blocked action
// (exit 3 means a human must consent or grant). A destroy plan is not refused.
func TestBuildWorldErrors(t *testing.T) {
	tests := []struct {
		name     string
		snap     func() *Snapshot
		code     string
		path     string
		contains string
	}{
		{"missing gallery", func() *Snapshot {
			s := emptyWorld()
			s.Galleries[IDKey(galleryID)] = GalleryObs{Obs: Obs{Status: Missing}}
			return s
		}, CodeGalleryNotFound, "publisher.galleries[0].id", "does not exist in the publisher tenant"},
		{"missing scope, no principal yet", func() *Snapshot {
			s := emptyWorld()
			s.Scopes[IDKey(vmRG)] = ScopeObs{Obs: Obs{Status: Missing}}
			return s
		}, CodeScopeNotFound, "consumers[0].grants[0].scope", "of consumer fabrikam does not exist in tenant"},
		{"missing scope, principal exists", func() *Snapshot {
			s := convergedWorld()
			s.Assignments[AssignmentsKey(vmRG, spFabObj)] = AssignmentsObs{Obs: Obs{Status: Missing}}
			return s
		}, CodeScopeNotFound, "consumers[0].grants[0].scope", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(quickstart(), tt.snap(), nil, Options{Now: testNow})
			var ds spec.Diagnostics
			if !errors.As(err, &ds) || len(ds) != 1 {
				t.Fatalf("err = %v, want one diagnostic", err)
			}
			d := ds[0]
			if d.Code != tt.code || d.Path != tt.path || !strings.Contains(d.Summary, tt.contains) || d.Hint == "" {
				t.Errorf("diagnostic %+v", d)
			}
			if _, err := Build(quickstart(), tt.snap(), nil, Options{Now: testNow, Destroy: true}); err != nil {
				t.Errorf("destroy refused: %v", err)
			}
		})
	}
}
