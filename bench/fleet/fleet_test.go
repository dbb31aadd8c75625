package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/spec"
	"gopkg.in/yaml.v3"
)

// TestShortFleet runs the benchmark in its CI mode (a few consumers, 5ms latency) end to end: it builds galshare,
// starts `galshare sim serve` as a separate process and runs every phase. It asserts only that the run completes,
// that the no-op plans made zero writes and that the summary figures parse — never timings.
func TestShortFleet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	code := run(ctx, []string{"--short"}, &out, &out)
	t.Log("\n" + out.String())
	if code != 0 {
		t.Fatalf("fleet --short exited %d", code)
	}
	last := lastLine(out.String())
	m := regexp.MustCompile(`^calls_ratio=([0-9.]+) plan_ratio=([0-9.]+|n/a) apply_ratio=([0-9.]+|n/a) noop_writes=(\d+)$`).
		FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q is not the summary line", last)
	}
	if r, err := strconv.ParseFloat(m[1], 64); err != nil || r < 1 {
		t.Errorf("calls_ratio=%s: want a number ≥ 1 (no run can beat the computed minimum)", m[1])
	}
	for _, s := range m[2:4] {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			t.Errorf("ratio %q does not parse: %v", s, err)
		}
	}
	if m[4] != "0" {
		t.Errorf("noop_writes=%s, want 0: a plan must never write", m[4])
	}
	for _, phase := range []string{"plan-1", "apply-1", "noop-plan", "apply-10%", "noop-plan-2"} {
		if !strings.Contains(out.String(), "  "+phase+" routes:") {
			t.Errorf("no row for phase %s", phase)
		}
	}
}

// TestGeneratedManifestValidates checks the generated manifests (initial and changed) pass galshare's own
// validation and hold the expected consumers and grants.
func TestGeneratedManifestValidates(t *testing.T) {
	f := Fleet{Consumers: 25, Grants: 2, Galleries: 3}
	change := f.TenPercent()
	tests := []struct {
		name       string
		change     *Change
		consumers  int
		grants     int
		galleries  int
		waitPerGal int
	}{
		{"initial", nil, 25, 50, 3, 1},
		// 25 consumers: indexes 0, 10, 20 change; 0 and 20 get a grant, 10 is removed.
		{"changed", &change, 24, 24*2 + 2, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := spec.Parse("manifest.yaml", []byte(f.Manifest(tt.change)))
			if diags.HasErrors() {
				t.Fatalf("generated manifest does not validate:\n%s", diags)
			}
			grants := 0
			for _, c := range m.Consumers {
				grants += len(c.Grants)
			}
			if len(m.Consumers) != tt.consumers || grants != tt.grants || len(m.Publisher.Galleries) != tt.galleries {
				t.Errorf("got %d consumers, %d grants, %d galleries; want %d, %d, %d",
					len(m.Consumers), grants, len(m.Publisher.Galleries), tt.consumers, tt.grants, tt.galleries)
			}
			for _, g := range m.Publisher.Galleries {
				if len(g.WaitFor) != tt.waitPerGal {
					t.Errorf("gallery %s waits for %d versions, want %d", g.Name, len(g.WaitFor), tt.waitPerGal)
				}
			}
		})
	}
}

// TestGeneratedSeedParses checks the seed passes the simulator's strict YAML decoding and validation, and that it
// declares what the manifest refers to.
func TestGeneratedSeedParses(t *testing.T) {
	f := Fleet{Consumers: 7, Grants: 2, Galleries: 2}
	data, err := yaml.Marshal(f.Seed())
	if err != nil {
		t.Fatal(err)
	}
	seed, err := azsim.ParseSeed(data)
	if err != nil {
		t.Fatalf("generated seed does not parse: %v", err)
	}
	if got, want := len(seed.Tenants), 8; got != want {
		t.Errorf("tenants = %d, want %d", got, want)
	}
	if got, want := len(seed.Subscriptions), 8; got != want {
		t.Errorf("subscriptions = %d, want %d", got, want)
	}
	// Every consumer subscription has the grant groups plus the extra group of the change phase.
	for _, s := range seed.Subscriptions[1:] {
		if len(s.ResourceGroups) != f.Grants+1 {
			t.Errorf("subscription %s has %d resource groups, want %d", s.ID, len(s.ResourceGroups), f.Grants+1)
		}
	}
	if got := len(seed.Subscriptions[0].ResourceGroups[0].Galleries); got != f.Galleries {
		t.Errorf("galleries = %d, want %d", got, f.Galleries)
	}
}

// TestMain lets the test binary act as the benchmark's spawner (see spawn.go), as the benchmark binary does.
func TestMain(m *testing.M) {
	if p := os.Getenv(spawnEnv); p != "" {
		os.Exit(spawnMain(p, os.Args[1:]))
	}
	os.Exit(m.Run())
}
