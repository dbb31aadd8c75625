package azure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckDeliveryWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: the read-only case cannot be shown.
		t.Log("running as root: the read-only directory case is checked by its error text only when not root")
	}
	dir := t.TempDir()
	if err := CheckDeliveryWritable(filepath.Join(dir, "secrets", "deep", "app.json")); err != nil {
		t.Errorf("missing directories under a writable one: %v", err)
	}
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckDeliveryWritable(filepath.Join(file, "app.json")); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("a file on the way: %v", err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
	err := CheckDeliveryWritable(filepath.Join(ro, "app.json"))
	if os.Geteuid() != 0 && (err == nil || !strings.Contains(err.Error(), "cannot create files in "+ro)) {
		t.Errorf("a read-only directory: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".galshare-write-check") {
			t.Errorf("the probe left %s behind", e.Name())
		}
	}
}
