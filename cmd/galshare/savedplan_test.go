package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Addresses of the quickstart's changes.
const (
	qsApp     = "app.myGalleryApp"
	qsSecret  = "app.myGalleryApp.secret[primary]"
	qsPubSP   = "sp[publisher]"
	qsGallery = "gallery[myGallery].role[Reader]"
	qsWait    = "wait[myGallery/ubuntu-2204/1.0.0]"
	qsFabSP   = "sp[fabrikam]"
	qsFabRole = "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg:Contributor]"
	ownerGUID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
)

// planEdit is one hand edit of a saved plan file and what the refusal must
// name.
type planEdit struct {
	name string
	edit func(t *testing.T, p map[string]any, stolen string)
	// want must appear in apply's stderr (the change, or the field).
	want string
}

// change returns the change at addr in a decoded plan file.
func change(t *testing.T, p map[string]any, addr string) map[string]any {
	t.Helper()
	for _, c := range p["changes"].([]any) {
		if m := c.(map[string]any); m["address"] == addr {
			return m
		}
	}
	t.Fatalf("no change %s in the plan", addr)
	return nil
}

// payload returns the typed payload object of the change at addr.
func payload(t *testing.T, p map[string]any, addr, key string) map[string]any {
	t.Helper()
	v, ok := change(t, p, addr)[key].(map[string]any)
	if !ok {
		t.Fatalf("%s has no %s payload", addr, key)
	}
	return v
}

// createEdits edit every payload field (and the reviewed fields around
// them) of a first plan of the quickstart, where everything is created.
func createEdits() []planEdit {
	set := func(addr, key, field string, v any) func(t *testing.T, p map[string]any, _ string) {
		return func(t *testing.T, p map[string]any, _ string) { payload(t, p, addr, key)[field] = v }
	}
	return []planEdit{
		{"role scope to the subscription", set(qsFabRole, "role_assignment", "scope", "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"), qsFabRole},
		{"role guid to Owner", set(qsFabRole, "role_assignment", "role_guid", ownerGUID), qsFabRole},
		{"role name", set(qsFabRole, "role_assignment", "role_name", "Owner"), qsFabRole},
		{"role principal from", set(qsFabRole, "role_assignment", "principal_from", qsPubSP), qsFabRole},
		{"role principal id", set(qsFabRole, "role_assignment", "principal_id", "99999999-9999-9999-9999-999999999999"), qsFabRole},
		{"role description", set(qsFabRole, "role_assignment", "description", "mine"), qsFabRole},
		{"role existing id", set(qsFabRole, "role_assignment", "existing_id", "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/providers/Microsoft.Authorization/roleAssignments/x"), qsFabRole},
		{"gallery role scope", set(qsGallery, "role_assignment", "scope", "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"), qsGallery},
		{"deliver to another file", func(t *testing.T, p map[string]any, stolen string) {
			payload(t, p, qsSecret, "password")["deliver_to"].(map[string]any)["path"] = stolen
		}, qsSecret},
		{"password lifetime", set(qsSecret, "password", "lifetime", float64(100*365*24*time.Hour)), qsSecret},
		{"password display name", set(qsSecret, "password", "display_name", "other"), qsSecret},
		{"password renew before", set(qsSecret, "password", "renew_before", float64(time.Hour)), qsSecret},
		{"password app address", set(qsSecret, "password", "app_address", "app.other"), qsSecret},
		{"app display name", set(qsApp, "app", "display_name", "evilApp"), qsApp},
		{"app redirect uris", set(qsApp, "app", "redirect_uris", []any{"https://evil.example.com"}), qsApp},
		{"app tags", set(qsApp, "app", "tags", []any{}), qsApp},
		{"app sign-in audience", set(qsApp, "app", "sign_in_audience", "AzureADMultipleOrgs"), qsApp},
		{"app unique name", set(qsApp, "app", "unique_name", "other"), qsApp},
		{"sp tags", set(qsFabSP, "service_principal", "tags", []any{"x"}), qsFabSP},
		{"sp consumer", set(qsFabSP, "service_principal", "consumer", "publisher"), qsFabSP},
		{"wait gallery id", set(qsWait, "wait", "gallery_id", "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/other"), qsWait},
		{"wait image", set(qsWait, "wait", "image", "other"), qsWait},
		{"wait version", set(qsWait, "wait", "version", "9.9.9"), qsWait},
		{"action create to no-op", func(t *testing.T, p map[string]any, _ string) { change(t, p, qsFabRole)["action"] = "no-op" }, qsFabRole},
		{"depends_on dropped", func(t *testing.T, p map[string]any, _ string) { delete(change(t, p, qsFabRole), "depends_on") }, qsFabRole},
		{"reason", func(t *testing.T, p map[string]any, _ string) { change(t, p, qsFabRole)["reason"] = "harmless" }, qsFabRole},
		{"after", func(t *testing.T, p map[string]any, _ string) {
			change(t, p, qsFabRole)["after"].(map[string]any)["scope"] = "/subscriptions/other"
		}, qsFabRole},
		{"origin", func(t *testing.T, p map[string]any, _ string) { change(t, p, qsFabRole)["origin"] = "adopted" }, qsFabRole},
		{"fingerprint", func(t *testing.T, p map[string]any, _ string) { change(t, p, qsFabRole)["fingerprint"] = "abc" }, qsFabRole},
		{"tenant", func(t *testing.T, p map[string]any, _ string) {
			change(t, p, qsFabRole)["tenant"] = "11111111-1111-1111-1111-111111111111"
		}, qsFabRole},
		{"added change", func(t *testing.T, p map[string]any, _ string) {
			c := map[string]any{}
			b, _ := json.Marshal(change(t, p, qsFabRole))
			_ = json.Unmarshal(b, &c)
			c["address"] = "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb:Owner]"
			ra := c["role_assignment"].(map[string]any)
			ra["scope"], ra["role_guid"], ra["role_name"] = "/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb", ownerGUID, "Owner"
			p["changes"] = append(p["changes"].([]any), c)
		}, "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb:Owner]"},
		{"removed change", func(t *testing.T, p map[string]any, _ string) {
			var kept []any
			for _, c := range p["changes"].([]any) {
				if c.(map[string]any)["address"] != qsGallery {
					kept = append(kept, c)
				}
			}
			p["changes"] = kept
		}, qsGallery},
		{"manifest path blanked", func(t *testing.T, p map[string]any, _ string) { p["manifest"].(map[string]any)["path"] = "" }, "manifest"},
		{"manifest sha256 blanked", func(t *testing.T, p map[string]any, _ string) { p["manifest"].(map[string]any)["sha256"] = "" }, "manifest"},
		{"manifest name", func(t *testing.T, p map[string]any, _ string) { p["manifest"].(map[string]any)["name"] = "other" }, "manifest.name"},
		{"lineage", func(t *testing.T, p map[string]any, _ string) {
			p["state"] = map[string]any{"exists": true, "lineage": "0b6f6c1c-0000-4000-8000-000000000000", "serial": 3}
		}, "lineage"},
		{"destroy", func(t *testing.T, p map[string]any, _ string) { p["destroy"] = true }, qsApp},
		{"targets", func(t *testing.T, p map[string]any, _ string) { p["targets"] = []any{qsFabRole} }, qsSecret},
		{"tenant access", func(t *testing.T, p map[string]any, _ string) {
			p["tenants"].([]any)[1].(map[string]any)["access"] = "manual"
		}, "tenants"},
	}
}

// TestApplyRefusesEditedSavedPlan edits a saved plan in every payload field
// (and every reviewed field) and applies it with the real binary: each
// apply exits 1 naming the change (or the field), the simulator sees no
// write, no secret lands at the edited delivery path, and the state file is
// untouched. An unedited copy then applies.
func TestApplyRefusesEditedSavedPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a subprocess per edit")
	}
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	planFile := filepath.Join(w.dir, "plan.json")
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	good, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range createEdits() {
		t.Run(e.name, func(t *testing.T) {
			stolen := filepath.Join(w.dir, "stolen.json")
			var p map[string]any
			if err := json.Unmarshal(good, &p); err != nil {
				t.Fatal(err)
			}
			e.edit(t, p, stolen)
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(b, good) {
				t.Fatal("the edit changed nothing")
			}
			edited := filepath.Join(w.dir, "edited.json")
			if err := os.WriteFile(edited, b, 0o600); err != nil {
				t.Fatal(err)
			}
			stateBefore, _ := os.ReadFile(w.statePath)
			w.sim.ResetStats()
			ps, stdout, stderr := w.exec(nil, "apply", edited)
			if ps.ExitCode() != exitFailure {
				t.Errorf("apply of an edited plan: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", ps.ExitCode(), stdout, stderr)
			}
			if !strings.Contains(stderr, e.want) {
				t.Errorf("stderr does not name %q:\n%s", e.want, stderr)
			}
			if st := w.sim.Stats(); st.Writes != 0 {
				t.Errorf("the simulator saw %d writes: %v", st.Writes, st.Routes)
			}
			if _, err := os.Stat(stolen); err == nil {
				t.Errorf("a secret was delivered to the edited path %s", stolen)
				os.Remove(stolen)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "secrets", "myGalleryApp.json")); err == nil {
				t.Errorf("a secret was delivered")
			}
			if stateAfter, _ := os.ReadFile(w.statePath); !bytes.Equal(stateBefore, stateAfter) {
				t.Errorf("the state file changed:\n%s", stateAfter)
			}
		})
	}
	if t.Failed() {
		return
	}
	// The unedited plan still applies: re-deriving it gives the same plan.
	ps, stdout, stderr := w.exec(nil, "apply", planFile)
	if ps.ExitCode() != exitOK {
		t.Fatalf("apply of the unedited plan: exit %d\n%s%s", ps.ExitCode(), stdout, stderr)
	}
	w.checkNoDuplicates()
}

// TestApplyRefusesEditedUpdatePlan covers the payloads only an update
// carries (the drifted fields, the existing object's ids): the app drifts
// after a first apply, the plan updates it, and edits of it are refused.
func TestApplyRefusesEditedUpdatePlan(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a subprocess per edit")
	}
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	if code, out, errOut := w.run("apply", "--auto-approve", w.manifest); code != exitOK {
		t.Fatalf("apply: %d\n%s%s", code, out, errOut)
	}
	w.changeRedirectURIs()
	planFile := filepath.Join(w.dir, "plan.json")
	if code, out, errOut := w.run("plan", "--out", planFile, w.manifest); code != exitOK {
		t.Fatalf("plan: %d\n%s%s", code, out, errOut)
	}
	good, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	edits := []planEdit{
		{"app changed fields", func(t *testing.T, p map[string]any, _ string) {
			payload(t, p, qsApp, "app")["changed"] = []any{"displayName"}
		}, qsApp},
		{"app object id", func(t *testing.T, p map[string]any, _ string) {
			payload(t, p, qsApp, "app")["object_id"] = "99999999-9999-9999-9999-999999999999"
		}, qsApp},
		{"app before", func(t *testing.T, p map[string]any, _ string) {
			change(t, p, qsApp)["before"].(map[string]any)["redirectUris"] = `["https://www.microsoft.com"]`
		}, qsApp},
		{"password key id", func(t *testing.T, p map[string]any, _ string) {
			payload(t, p, qsSecret, "password")["key_id"] = "99999999-9999-9999-9999-999999999999"
		}, qsSecret},
		{"sp object id", func(t *testing.T, p map[string]any, _ string) {
			payload(t, p, qsFabSP, "service_principal")["object_id"] = "99999999-9999-9999-9999-999999999999"
		}, qsFabSP},
		{"no-op to delete", func(t *testing.T, p map[string]any, _ string) {
			c := change(t, p, qsFabRole)
			c["action"] = "delete"
			delete(c, "origin")
		}, qsFabRole},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal(good, &p); err != nil {
				t.Fatal(err)
			}
			e.edit(t, p, "")
			b, _ := json.MarshalIndent(p, "", "  ")
			edited := filepath.Join(w.dir, "edited.json")
			if err := os.WriteFile(edited, b, 0o600); err != nil {
				t.Fatal(err)
			}
			stateBefore, _ := os.ReadFile(w.statePath)
			w.sim.ResetStats()
			ps, stdout, stderr := w.exec(nil, "apply", edited)
			if ps.ExitCode() != exitFailure || !strings.Contains(stderr, e.want) {
				t.Errorf("apply of an edited plan: exit %d, want 1 naming %s\nstdout:\n%s\nstderr:\n%s", ps.ExitCode(), e.want, stdout, stderr)
			}
			if st := w.sim.Stats(); st.Writes != 0 {
				t.Errorf("the simulator saw %d writes: %v", st.Writes, st.Routes)
			}
			if stateAfter, _ := os.ReadFile(w.statePath); !bytes.Equal(stateBefore, stateAfter) {
				t.Errorf("the state file changed")
			}
		})
	}
	if t.Failed() {
		return
	}
	ps, stdout, stderr := w.exec(nil, "apply", planFile)
	if ps.ExitCode() != exitOK {
		t.Fatalf("apply of the unedited plan: exit %d\n%s%s", ps.ExitCode(), stdout, stderr)
	}
	if code, out, _ := w.run("plan", "--detailed-exitcode", w.manifest); code != exitOK {
		t.Errorf("plan after applying the update: exit %d\n%s", code, out)
	}
}

// TestApplySavedPlanModes: plans saved with --target, --no-preflight and
// --destroy are re-derived with the options they record, so each applies
// as saved.
func TestApplySavedPlanModes(t *testing.T) {
	w := newCLIWorld(t, "quickstart")
	w.replicateNow()
	planFile := filepath.Join(w.dir, "plan.json")
	steps := []struct {
		plan []string
		want string
	}{
		{[]string{"--target", qsFabSP}, "sp[fabrikam]: created"},
		{[]string{"--no-preflight"}, qsFabRole + ": created"},
		{[]string{"--destroy"}, "app.myGalleryApp: deleted"},
	}
	for _, s := range steps {
		args := append(append([]string{"--out", planFile}, s.plan...), w.manifest)
		if code, out, errOut := w.run("plan", args...); code != exitOK {
			t.Fatalf("plan %v: %d\n%s%s", s.plan, code, out, errOut)
		}
		code, out, errOut := w.run("apply", planFile)
		if code != exitOK || !strings.Contains(out, s.want) {
			t.Fatalf("apply of a plan made with %v: exit %d\n%s%s", s.plan, code, out, errOut)
		}
	}
	m := w.load()
	for _, a := range w.sim.Applications(m.Publisher.Tenant) {
		if a.DisplayName == m.Publisher.App.DisplayName {
			t.Errorf("the app is left after the destroy plan: %+v", a)
		}
	}
}

// TestApplySavedPlanEveryExample: a saved plan of every example (manual
// consumers, blocked changes, several galleries) re-derives to itself: it
// applies as it would from the manifest, never refused as edited.
func TestApplySavedPlanEveryExample(t *testing.T) {
	for _, ex := range []string{"quickstart", "partner-msp", "acquisition"} {
		t.Run(ex, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join("..", "..", "examples", ex+".yaml")); err != nil {
				t.Skip(err)
			}
			w := newCLIWorld(t, ex)
			if ex != "quickstart" { // the quickstart keeps a wait to accept once replicated
				w.replicateNow()
			}
			planFile := filepath.Join(w.dir, "plan.json")
			code, out, errOut := w.run("plan", "--out", planFile, w.manifest)
			if code != exitOK && code != exitBlocked {
				t.Fatalf("plan: %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = w.run("apply", planFile)
			if code != exitOK && code != exitBlocked {
				t.Fatalf("apply of the saved plan: exit %d\n%s%s", code, out, errOut)
			}
			if strings.Contains(errOut, "edited or is corrupt") || strings.Contains(errOut, "stale") {
				t.Errorf("an unedited saved plan was refused:\n%s", errOut)
			}
		})
	}
}
