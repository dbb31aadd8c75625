package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/galshare/galshare/pkg/azsim"
)

const (
	lpPublisher = "11111111-1111-1111-1111-111111111111"
	lpConsumer  = "22222222-2222-2222-2222-222222222222"
	lpGallery   = "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery"
	lpVMRG      = "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg"
)

// rights are the operator rights of a least-privilege world: Graph permissions per tenant and RBAC grants.
type rights struct {
	publisherGraph, consumerGraph []string
	grants                        []map[string]any // seed roleAssignments
}

// documentedRights is exactly what docs/permissions.md lists for apply/destroy of the quickstart.
func documentedRights() rights {
	return rights{
		publisherGraph: []string{"Application.ReadWrite.OwnedBy"},
		consumerGraph:  []string{"Application.ReadWrite.All"},
		grants: []map[string]any{
			{"scope": lpGallery, "role": "Role Based Access Control Administrator",
				"principal": map[string]any{"tenant": lpPublisher, "operator": "galshare"}},
			{"scope": lpVMRG, "role": "Role Based Access Control Administrator",
				"principal": map[string]any{"tenant": lpConsumer, "operator": "galshare"}},
		},
	}
}

// leastPrivSeed rewrites the quickstart seed so its operators hold exactly r.
func leastPrivSeed(t *testing.T, root string, r rights) *azsim.Seed {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "examples", "sim", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	for _, tn := range doc["tenants"].([]any) {
		tm := tn.(map[string]any)
		perms := r.consumerGraph
		if tm["id"] == lpPublisher {
			perms = r.publisherGraph
		}
		for _, op := range tm["operators"].([]any) {
			op.(map[string]any)["graphPermissions"] = perms
		}
	}
	var grants []any
	for _, g := range r.grants {
		grants = append(grants, g)
	}
	doc["roleAssignments"] = grants
	// Replication done, so the test does not wait for it.
	doc["settings"] = map[string]any{"lag": "0s", "replicationTime": "0s"}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := azsim.ParseSeed(b)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, b)
	}
	return seed
}

// lpWorld is a simulator with a least-privilege seed and a work directory with the quickstart manifest.
type lpWorld struct {
	t    *testing.T
	bin  string
	work string
	env  []string
	sim  *azsim.Sim
}

func newLPWorld(t *testing.T, bin, root string, r rights) *lpWorld {
	sim, err := azsim.Start(context.Background(), azsim.Options{Seed: leastPrivSeed(t, root, r)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sim.Close(ctx)
	})
	dir := t.TempDir()
	cloud := filepath.Join(dir, "cloud.json")
	if err := sim.WriteCloudFile(cloud); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "examples", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "quickstart.yaml"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	return &lpWorld{t: t, bin: bin, work: dir, sim: sim, env: []string{"GALSHARE_CLOUD=" + cloud, "NO_COLOR=1"}}
}

func (w *lpWorld) run(args ...string) invocation {
	w.t.Helper()
	l := &lifecycle{h: &harness{bin: w.bin}, work: w.work, outDir: w.t.TempDir(), env: w.env}
	inv, err := l.galshare(context.Background(), "lp", nil, 0, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return inv
}

// TestLeastPrivilegeDocumentedRightsSuffice runs the quickstart's whole lifecycle with operators that hold exactly
// the rights docs/permissions.md documents.
func TestLeastPrivilegeDocumentedRightsSuffice(t *testing.T) {
	root, bin := binaryTest(t)
	w := newLPWorld(t, bin, root, documentedRights())
	if inv := w.run("apply", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
		t.Fatalf("apply with the documented rights: exit %d\n%s%s", inv.code, inv.stdout, inv.stderr)
	}
	if inv := w.run("plan", "--detailed-exitcode", "quickstart.yaml"); inv.code != 0 {
		t.Fatalf("plan after apply: exit %d\n%s%s", inv.code, inv.stdout, inv.stderr)
	}
	if inv := w.run("destroy", "--auto-approve", "quickstart.yaml"); inv.code != 0 {
		t.Fatalf("destroy with the documented rights: exit %d\n%s%s", inv.code, inv.stdout, inv.stderr)
	}
	if apps := w.sim.Applications(lpPublisher); len(apps) != 1 { // only the seeded operator's app remains
		t.Errorf("%d apps in the publisher tenant after destroy, want the operator's only", len(apps))
	}
}

// TestLeastPrivilegeMissingRightIsNamed removes one documented right at a time and checks that plan names the
// missing permission before apply starts (issue 7): a denied read blocks or fails the plan, a missing write right is
// found by the preflight (exit 3). Apply of that plan then writes nothing the right was needed for.
func TestLeastPrivilegeMissingRightIsNamed(t *testing.T) {
	root, bin := binaryTest(t)
	tests := []struct {
		name   string
		modify func(*rights)
		want   []string // in stdout+stderr of the plan
		flags  []string // before the manifest
	}{
		{"publisher cannot write apps", func(r *rights) { r.publisherGraph = []string{"Application.Read.All"} },
			[]string{"tenant " + lpPublisher, "Application.ReadWrite.All or Application.ReadWrite.OwnedBy"}, nil},
		{"consumer cannot create the foreign app's SP", func(r *rights) { r.consumerGraph = []string{"Application.ReadWrite.OwnedBy"} },
			[]string{"tenant " + lpConsumer, "Application.ReadWrite.All to create sp[fabrikam]"}, nil},
		{"consumer cannot grant roles", func(r *rights) {
			r.grants[1] = map[string]any{"scope": lpVMRG, "role": "Reader",
				"principal": map[string]any{"tenant": lpConsumer, "operator": "galshare"}}
		}, []string{"tenant " + lpConsumer, "Microsoft.Authorization/roleAssignments/write at " + lpVMRG,
			"Role Based Access Control Administrator or User Access Administrator on " + lpVMRG}, nil},
		{"publisher cannot grant on the gallery", func(r *rights) {
			r.grants[0] = map[string]any{"scope": lpGallery, "role": "Reader",
				"principal": map[string]any{"tenant": lpPublisher, "operator": "galshare"}}
		}, []string{"tenant " + lpPublisher, "Microsoft.Authorization/roleAssignments/write at " + lpGallery}, nil},
		// With no role at all on the grant scope, the preflight's permissions read there (which is also the
		// scope's existence check) finds no right: the plan names the write and the role that grants it.
		{"consumer has no role on the grant scope", func(r *rights) { r.grants = r.grants[:1] },
			[]string{"tenant " + lpConsumer, "Microsoft.Authorization/roleAssignments/write at " + lpVMRG}, nil},
		// Without the preflight, the scope's own read is refused, and that is what the plan names.
		{"consumer cannot read the grant scope (no preflight)", func(r *rights) { r.grants = r.grants[:1] },
			[]string{"Microsoft.Resources/subscriptions/resourceGroups/read"}, []string{"--no-preflight"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := documentedRights()
			tc.modify(&r)
			w := newLPWorld(t, bin, root, r)
			plan := w.run(append(append([]string{"plan"}, tc.flags...), "quickstart.yaml")...)
			planOut := string(plan.stdout) + string(plan.stderr)
			if plan.code != 1 && plan.code != 3 {
				t.Fatalf("plan exit %d, want 3 (blocked) or 1 naming %q:\n%s", plan.code, tc.want, planOut)
			}
			for _, want := range tc.want {
				if !strings.Contains(planOut, want) {
					t.Errorf("plan exit %d without naming %q:\n%s", plan.code, want, planOut)
				}
			}
			t.Logf("plan (exit %d) names it: %s", plan.code, lastLineContaining(planOut, tc.want[len(tc.want)-1]))
		})
	}
}

func lastLineContaining(s, sub string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return strings.TrimSpace(lines[i])
		}
	}
	return fmt.Sprintf("(no line with %q)", sub)
}
