package executor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// TestApplyRefusesDeliveryIntoOwnFiles: files can appear between plan and
// apply, so apply checks the delivery target itself, by identity, before it
// creates a password: a symlink to the (not yet written) state file, and a
// hard link to the cloud file, are refused, no password is made and the
// state stays readable.
func TestApplyRefusesDeliveryIntoOwnFiles(t *testing.T) {
	tests := []struct {
		name string
		link func(h *harness, cloud string) error
		want string
	}{
		{"symlink to the state file", func(h *harness, _ string) error {
			return os.Symlink(h.statePath, h.deliverTo)
		}, "is the state file"},
		{"symlink to the lock file", func(h *harness, _ string) error {
			return os.Symlink(h.statePath+".lock", h.deliverTo)
		}, "is the state lock file"},
		{"hard link to the cloud file", func(h *harness, cloud string) error {
			return os.Link(cloud, h.deliverTo)
		}, "is the --cloud file"},
		{"a directory", func(h *harness, _ string) error {
			return os.Mkdir(h.deliverTo, 0o700)
		}, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			cloud := filepath.Join(h.dir, "cloud.json")
			if err := os.WriteFile(cloud, []byte("{}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(h.deliverTo), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tt.link(h, cloud); err != nil {
				t.Fatal(err)
			}
			own := []spec.OwnFile{{What: "the --cloud file", Path: cloud}}
			for _, c := range state.Companions(h.statePath) {
				own = append(own, spec.OwnFile{What: c.What, Path: c.Path, Prefix: c.Prefix})
			}
			rep := h.apply(quickstartPlan(h.deliverTo), func(o *Options) { o.OwnFiles = own })
			res := resultOf(t, rep, addrPwd)
			if res.Status != StatusFailed || !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("password result %v: %v; want failed with %q", res.Status, res.Err, tt.want)
			}
			for _, a := range h.fake.apps {
				if len(a.Passwords) != 0 {
					t.Errorf("a password was created for a refused target: %+v", a.Passwords)
				}
			}
			if data, err := os.ReadFile(cloud); err != nil || string(data) != "{}\n" {
				t.Errorf("cloud file changed: %q, %v", data, err)
			}
			h.state() // still readable
			h.scanForSecrets()
		})
	}
}

func TestCheckDeliveriesNamesTheChange(t *testing.T) {
	dir := t.TempDir()
	p := quickstartPlan(filepath.Join(dir, "plan.json"))
	err := CheckDeliveries(p, []spec.OwnFile{{What: "the plan file being applied", Path: filepath.Join(dir, "plan.json")}})
	if err == nil || !strings.Contains(err.Error(), addrPwd.String()+": deliverTo") || !strings.Contains(err.Error(), "the plan file being applied") {
		t.Fatalf("CheckDeliveries = %v", err)
	}
	if err := CheckDeliveries(quickstartPlan(filepath.Join(dir, "secret.json")), nil); err != nil {
		t.Fatalf("CheckDeliveries of a free target = %v", err)
	}
}
