package planner

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/planner -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// goldenPlans are the plans the renderings are pinned on.
func goldenPlans(t testing.TB) map[string]*Plan {
	t.Helper()
	build := func(m *spec.Manifest, s *Snapshot, st *state.State, o Options) *Plan {
		o.Now = testNow
		o.GalshareVersion = "test"
		p, err := Build(m, s, st, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mixedWorld := convergedWorld()
	mixedWorld.App.App.RedirectURIs = append(mixedWorld.App.App.RedirectURIs, "https://evil.example.com")
	mixedWorld.App.App.Passwords[0].End = testNow.Add(12*24*time.Hour + time.Hour)
	mixedWorld.AssignmentsByID[IDKey(raID(vmRG, "22220000-0000-0000-0000-00000000000b"))] = AssignmentObs{Obs: Obs{Status: Found},
		Assignment: &mixedWorld.Assignments[AssignmentsKey(vmRG, spFabObj)].Assignments[0]}
	mixedWorld.Tenants[TenantKey(tGamma)] = TenantObs{Readable: false, Note: "manual consumer; galshare has no credentials there"}
	mixed := withGamma(quickstart())
	mixed.Consumers = mixed.Consumers[1:]

	blockedWorld := emptyWorld()
	blockedWorld.Tenants[TenantKey(tGamma)] = TenantObs{Readable: false, Note: "manual consumer; galshare has no credentials there"}

	return map[string]*Plan{
		"create":    build(withGamma(quickstart()), blockedWorld, nil, Options{}),
		"mixed":     build(mixed, mixedWorld, convergedState(), Options{}),
		"nochanges": build(quickstart(), convergedWorld(), convergedState(), Options{}),
		"destroy":   build(quickstart(), convergedWorld(), convergedState(), Options{Destroy: true}),
	}
}

func TestRenderGolden(t *testing.T) {
	for name, p := range goldenPlans(t) {
		t.Run(name, func(t *testing.T) {
			var txt, js, md bytes.Buffer
			if err := RenderText(&txt, p, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := RenderJSON(&js, p); err != nil {
				t.Fatal(err)
			}
			if err := RenderMarkdown(&md, p, MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", txt.Bytes())
			golden(t, name+".json", js.Bytes())
			golden(t, name+".md", md.Bytes())
			if strings.Contains(txt.String(), "\x1b[") {
				t.Error("text without Color has ANSI escapes")
			}
		})
	}
}

func TestRenderTextColor(t *testing.T) {
	p := goldenPlans(t)["create"]
	var b bytes.Buffer
	if err := RenderText(&b, p, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ansiGreen+"  + app.myGalleryApp"+ansiReset) {
		t.Errorf("create line not green:\n%q", b.String())
	}
}

func TestRenderTextSummaryEnds(t *testing.T) {
	for name, p := range goldenPlans(t) {
		var b bytes.Buffer
		if err := RenderText(&b, p, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		last := lines[len(lines)-1]
		s := p.Summary()
		want := fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
		if !p.HasChanges() && !p.IsBlocked() {
			want = "No changes. The live objects match the manifest."
		}
		if last != want {
			t.Errorf("%s: last line %q, want %q", name, last, want)
		}
	}
}

func TestRenderJSONShape(t *testing.T) {
	p := goldenPlans(t)["mixed"]
	var b bytes.Buffer
	if err := RenderJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var got struct {
		FormatVersion string `json:"format_version"`
		Changes       []struct {
			Address   string   `json:"address"`
			Actions   []string `json:"actions"`
			DependsOn []string `json:"depends_on"`
		} `json:"changes"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != FormatVersion {
		t.Errorf("format_version %q", got.FormatVersion)
	}
	acts := map[string][]string{}
	for _, c := range got.Changes {
		acts[c.Address] = c.Actions
	}
	for addr, want := range map[string][]string{
		"app.myGalleryApp":                 {"update"},
		"app.myGalleryApp.secret[primary]": {"create", "delete"},
		"sp[fabrikam]":                     {"delete"},
		"sp[gamma]":                        {"blocked"},
	} {
		if diff := cmp.Diff(want, acts[addr]); diff != "" {
			t.Errorf("%s actions (-want +got):\n%s", addr, diff)
		}
	}
	if got.Summary["destroy"] != 3 || got.Summary["blocked"] != 2 {
		t.Errorf("summary %v", got.Summary)
	}
}

// bigPlan has n managed consumers, each with a grant, all to create.
func bigPlan(t testing.TB, n int) *Plan {
	t.Helper()
	m := quickstart()
	m.Consumers = nil
	s := emptyWorld()
	for i := range n {
		tenant := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		scope := fmt.Sprintf("/subscriptions/%08d-1111-4000-8000-000000000000/resourceGroups/vm-rg-%d", i, i)
		m.Consumers = append(m.Consumers, spec.Consumer{Name: fmt.Sprintf("customer-%03d", i), Tenant: tenant,
			Access: spec.AccessManaged, Grants: []spec.Grant{{Scope: scope, Role: spec.Role{Name: "Contributor", DefinitionGUID: contribG}}}})
		s.Scopes[IDKey(scope)] = ScopeObs{Obs: Obs{Status: Found}}
	}
	p, err := Build(m, s, nil, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRenderMarkdownCap(t *testing.T) {
	p := bigPlan(t, 400)
	var b bytes.Buffer
	if err := RenderMarkdown(&b, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(out) >= 65535 || len(out) > MarkdownLimit {
		t.Fatalf("markdown is %d bytes; want under %d", len(out), MarkdownLimit)
	}
	if !strings.Contains(out, "Cut to stay under GitHub's 65,535-character comment limit") {
		t.Fatal("no cut note")
	}
	if strings.Count(out, "```")%2 != 0 {
		t.Error("unbalanced code fences after the cut")
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Error("unbalanced <details> after the cut")
	}
	// The note's count matches the changes that are not shown.
	shown := 0
	for i := range p.Changes {
		if strings.Contains(out, " "+p.Changes[i].Address.String()+" will be") {
			shown++
		}
	}
	want := fmt.Sprintf("%d of the changes are not shown", len(p.Changes)-shown)
	if !strings.Contains(out, want) {
		t.Errorf("note does not say %q", want)
	}
	// A small plan is not cut.
	b.Reset()
	if err := RenderMarkdown(&b, goldenPlans(t)["create"], MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Cut to stay under") {
		t.Error("small plan was cut")
	}
}

// The azure import keeps fixtures honest about the types they fake.
var _ = azure.KindNotFound
