package spec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindDeliveryConflict(t *testing.T) {
	dir := t.TempDir()
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(j("state.json"), []byte("{}"), 0o600))
	must(os.Mkdir(j("sub"), 0o700))
	must(os.Symlink(j("state.json"), j("link")))
	must(os.Symlink(j("missing.lock"), j("dangling")))
	must(os.Symlink(j("dangling"), j("chain")))
	must(os.Link(j("state.json"), j("hard")))
	must(os.Symlink(dir, j("dirlink")))
	own := []OwnFile{
		{What: "the state file", Path: j("state.json")},
		{What: "the state lock file", Path: j("missing.lock")},
		{What: "a state temporary file", Path: j(".state.json.tmp-"), Prefix: true},
	}
	tests := []struct {
		target string
		want   string // "" = no conflict
	}{
		{j("state.json"), "the state file"},
		{j("sub", "..", "state.json"), "the state file"},
		{j("link"), "the state file"},
		{j("hard"), "the state file"},
		{j("dirlink", "state.json"), "the state file"},
		{j("missing.lock"), "the state lock file"},
		{j("dangling"), "the state lock file"},
		{j("chain"), "the state lock file"},
		{j("dirlink", "missing.lock"), "the state lock file"},
		{j(".state.json.tmp-42"), "a state temporary file"},
		{j("dirlink", ".state.json.tmp-x"), "a state temporary file"},
		{j("sub"), "a directory"},
		{j("secret.json"), ""},
		{j("sub", "state.json"), ""},
		{j("nodir", "x", "secret.json"), ""},
		{j("state.json.tmp-1"), ""},
	}
	for _, tt := range tests {
		c := FindDeliveryConflict(tt.target, own)
		switch {
		case tt.want == "" && c != nil:
			t.Errorf("%s: conflict %v, want none", tt.target, c)
		case tt.want != "" && (c == nil || !strings.Contains(c.Error(), tt.want)):
			t.Errorf("%s: conflict %v, want %q", tt.target, c, tt.want)
		}
	}
}

// TestLoadRefusesDeliveryIntoTheManifest: a manifest read through a symlink
// or a hard link would be overwritten by its own secret; Parse alone only
// sees the path it was given.
func TestLoadRefusesDeliveryIntoTheManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, deliverTo string) {
		t.Helper()
		s := strings.Replace(string(data), "deliverTo: file:secrets/myGalleryApp.json", "deliverTo: file:"+deliverTo, 1)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("real/m.yaml", "real/m.yaml")
	if err := os.Symlink(filepath.Join(dir, "real", "m.yaml"), filepath.Join(dir, "via.yaml")); err != nil {
		t.Fatal(err)
	}
	write("a.yaml", "b.yaml")
	if err := os.Link(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"via.yaml", "a.yaml"} {
		path := filepath.Join(dir, name)
		_, diags, err := Load(context.Background(), path)
		if err == nil || len(diags) != 1 || diags[0].Code != CodeDelivery || diags[0].Line == 0 ||
			!strings.Contains(diags[0].Summary, "is the manifest itself") || diags[0].File != path {
			t.Errorf("%s: Load = %v, %v; want one delivery error at deliverTo", name, diags, err)
		}
	}
}
