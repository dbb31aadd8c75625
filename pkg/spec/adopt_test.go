package spec

import "testing"

// publisher.app.adopt and an explicit uniqueName are what tell the planner a
// hand-made app may be taken over, or that a same-named one is not a
// conflict; both must survive decoding exactly.
func TestAdoptAndExplicitUniqueName(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		wantAdopt string
		wantSet   bool
	}{
		{"neither", baseManifest, "", false},
		{"adopt, lowercased", edit(t, "    displayName: myGalleryApp\n",
			"    displayName: myGalleryApp\n    adopt: {appId: BBBB0000-0000-0000-0000-000000000002}\n"),
			"bbbb0000-0000-0000-0000-000000000002", false},
		{"explicit uniqueName", edit(t, "    displayName: myGalleryApp\n",
			"    displayName: myGalleryApp\n    uniqueName: my-own-key\n"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := Parse("manifest.yaml", []byte(tt.yaml))
			if diags.HasErrors() || m == nil {
				t.Fatalf("diagnostics: %v", diags)
			}
			a := m.Publisher.App
			got := ""
			if a.Adopt != nil {
				got = a.Adopt.AppID
			}
			if got != tt.wantAdopt || a.UniqueNameSet != tt.wantSet {
				t.Errorf("adopt %q uniqueNameSet %v; want %q %v", got, a.UniqueNameSet, tt.wantAdopt, tt.wantSet)
			}
		})
	}
}
