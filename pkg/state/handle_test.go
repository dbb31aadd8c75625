package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Handle, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), DefaultPath)
	h, err := Open(t.Context(), p, LockOptions{Operation: "apply", Who: "tester"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h, p
}

func appResource(addr string) Resource {
	return Resource{Address: addr, Type: TypeApplication, Tenant: "t1", ID: "obj-" + addr, Origin: OriginCreated,
		Attributes: map[string]string{"appId": "app-" + addr}}
}

func put(r Resource) func(*State) error { return func(s *State) error { return s.Put(r) } }

func TestFirstWriteAssignsLineage(t *testing.T) {
	h, p := openTemp(t)
	if h.State().Exists() {
		t.Fatal("new state claims to exist")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("Open created the state file before any write")
	}
	if err := h.Update(t.Context(), put(appResource("app.a"))); err != nil {
		t.Fatalf("Update: %v", err)
	}
	s, err := Read(p)
	if err != nil {
		t.Fatalf("Read after write: %v", err)
	}
	if !s.Exists() || s.Serial != 1 || s.Lineage == "" || s.Version != CurrentVersion {
		t.Fatalf("after first write: exists=%v serial=%d lineage=%q", s.Exists(), s.Serial, s.Lineage)
	}
	if got := h.State(); got.Lineage != s.Lineage || got.Serial != 1 || !got.Exists() {
		t.Fatalf("handle state out of sync with disk: %+v", got.Ref())
	}
	if _, err := os.Stat(p + backupSuffix); !os.IsNotExist(err) {
		t.Fatal("a backup was written although there was no previous file")
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != fileMode {
		t.Fatalf("state mode %v, want %v", fi.Mode().Perm(), os.FileMode(fileMode))
	}
}

func TestUpdateBumpsSerialKeepsLineageAndBackup(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	for i := range 3 {
		if err := h.Update(ctx, put(appResource(fmt.Sprintf("app.%d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	lineage := h.State().Lineage
	// fn cannot move the identity fields.
	if err := h.Update(ctx, func(s *State) error {
		s.Lineage, s.Serial, s.Version = "x", 99, 5
		return s.Put(appResource("app.3"))
	}); err != nil {
		t.Fatal(err)
	}
	s, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial != 4 || s.Lineage != lineage || len(s.Resources) != 4 {
		t.Fatalf("serial=%d lineage=%q (want %q) resources=%d", s.Serial, s.Lineage, lineage, len(s.Resources))
	}
	b, err := Read(p + backupSuffix)
	if err != nil {
		t.Fatalf("backup unreadable: %v", err)
	}
	if b.Serial != 3 || b.Lineage != lineage || len(b.Resources) != 3 {
		t.Fatalf("backup should be the previous write: serial=%d resources=%d", b.Serial, len(b.Resources))
	}
	fi, _ := os.Stat(p + backupSuffix)
	if fi.Mode().Perm() != fileMode {
		t.Fatalf("backup mode %v", fi.Mode().Perm())
	}
	// No temp files are left in the directory.
	entries, _ := os.ReadDir(filepath.Dir(p))
	for _, e := range entries {
		if n := e.Name(); n != DefaultPath && n != DefaultPath+backupSuffix && n != DefaultPath+lockSuffix {
			t.Errorf("stray file %s", n)
		}
	}
}

func TestUpdateNoChangeWritesNothing(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	if err := h.Update(ctx, func(*State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("a no-op update created the state file")
	}
	if err := h.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	if err := h.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	if got := h.State().Serial; got != 1 {
		t.Fatalf("serial %d after re-putting an identical resource, want 1", got)
	}
}

func TestUpdateFnErrorChangesNothing(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	if err := h.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	boom := errors.New("boom")
	err := h.Update(ctx, func(s *State) error {
		s.Remove("app.a")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	if _, ok := h.State().Get("app.a"); !ok {
		t.Fatal("failed fn still changed the in-memory state")
	}
	after, _ := os.ReadFile(p)
	if string(before) != string(after) {
		t.Fatal("failed fn changed the file")
	}
}

func TestStamping(t *testing.T) {
	p := filepath.Join(t.TempDir(), DefaultPath)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	h, err := open(t.Context(), p, LockOptions{Who: "alice"}, now)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := t.Context()
	if err := h.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	r, _ := h.State().Get("app.a")
	if !r.CreatedAt.Equal(clock) || !r.UpdatedAt.Equal(clock) || r.CreatedBy != "alice" {
		t.Fatalf("new resource stamps: %+v", r)
	}
	clock = clock.Add(time.Hour)
	// Same content: UpdatedAt stays.
	if err := h.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	r, _ = h.State().Get("app.a")
	if !r.UpdatedAt.Equal(clock.Add(-time.Hour)) {
		t.Fatalf("unchanged resource got a new UpdatedAt: %v", r.UpdatedAt)
	}
	// Changed content: UpdatedAt moves, CreatedAt/CreatedBy stay.
	changed := appResource("app.a")
	changed.Attributes["hint"] = "abc"
	if err := h.Update(ctx, put(changed)); err != nil {
		t.Fatal(err)
	}
	r, _ = h.State().Get("app.a")
	if !r.UpdatedAt.Equal(clock) || !r.CreatedAt.Equal(clock.Add(-time.Hour)) || r.CreatedBy != "alice" {
		t.Fatalf("changed resource stamps: %+v", r)
	}
}

func TestStateIsACopy(t *testing.T) {
	h, _ := openTemp(t)
	if err := h.Update(t.Context(), put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	s := h.State()
	s.Resources[0].Attributes["appId"] = "mutated"
	s.Remove("app.a")
	r, ok := h.State().Get("app.a")
	if !ok || r.Attributes["appId"] != "app-app.a" {
		t.Fatalf("mutating a snapshot changed the handle: %+v %v", r, ok)
	}
	g, _ := h.State().Get("app.a")
	g.Attributes["appId"] = "mutated"
	if r, _ := h.State().Get("app.a"); r.Attributes["appId"] == "mutated" {
		t.Fatal("Get returned a shared map")
	}
}

// TestConcurrentUpdates runs many writers at once, as the executor does:
// every change must land, and the serial counts writes (batched), not calls.
func TestConcurrentUpdates(t *testing.T) {
	h, p := openTemp(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- h.Update(context.Background(), put(appResource(fmt.Sprintf("app.%02d", i))))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Resources) != n {
		t.Fatalf("%d resources on disk, want %d", len(s.Resources), n)
	}
	if s.Serial < 1 || s.Serial > n {
		t.Fatalf("serial %d outside 1..%d", s.Serial, n)
	}
	if got := h.State().Serial; got != s.Serial {
		t.Fatalf("handle serial %d, disk %d", got, s.Serial)
	}
	t.Logf("%d concurrent updates took %d writes", n, s.Serial)
}

func TestCloseReleasesAndRefusesUpdates(t *testing.T) {
	h, p := openTemp(t)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(p + lockSuffix); !os.IsNotExist(err) {
		t.Fatal("lock file still present after Close")
	}
	if err := h.Update(t.Context(), put(appResource("app.a"))); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close = %v, want ErrClosed", err)
	}
}

func TestReopenKeepsContent(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	if err := h.Update(ctx, func(s *State) error {
		s.Manifest = ManifestRef{Name: "contoso", Path: "m.yaml"}
		if err := s.Put(appResource("app.a")); err != nil {
			return err
		}
		return s.Put(Resource{Address: "sp[fabrikam]", Type: TypeServicePrincipal, Tenant: "t2", ID: "sp-1", Origin: OriginAdopted})
	}); err != nil {
		t.Fatal(err)
	}
	want := h.State()
	h.Close()
	h2, err := Open(ctx, p, LockOptions{Operation: "plan"})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	got := h2.State()
	if !sameState(got, want) || !got.Exists() {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		t.Fatalf("reopened state differs:\n got %s\nwant %s", a, b)
	}
}

func TestRefCheck(t *testing.T) {
	none := Ref{}
	a1 := Ref{Lineage: "a", Serial: 1, Exists: true}
	tests := []struct {
		name          string
		planned, curr Ref
		want          string // "" = ok
	}{
		{"same", a1, a1, ""},
		{"none both", none, none, ""},
		{"appeared", none, a1, "no state file, but one now exists"},
		{"vanished", a1, none, "now missing"},
		{"lineage", a1, Ref{Lineage: "b", Serial: 1, Exists: true}, "different state"},
		{"serial", a1, Ref{Lineage: "a", Serial: 2, Exists: true}, "now at serial 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.planned.Check(tt.curr)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var se *StaleError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want StaleError containing %q", err, tt.want)
			}
		})
	}
}

func TestUpdatePanicDoesNotDeadlock(t *testing.T) {
	h, _ := openTemp(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic was swallowed")
			}
		}()
		h.Update(t.Context(), func(*State) error { panic("boom") })
	}()
	done := make(chan error, 1)
	go func() { done <- h.Update(context.Background(), put(appResource("app.a"))) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handle deadlocked after a panicking fn")
	}
}
