package state

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestUpdateRefusesSerialOverflow: a state at the largest serial cannot be
// bumped; writing serial+1 would wrap to a negative serial that Read then
// refuses, so the update fails with ErrSerialExhausted and the file stays
// as it was, still readable.
func TestUpdateRefusesSerialOverflow(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	if err := h.Update(ctx, put(appResource("app.0"))); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `"serial": 1,`, `"serial": `+strconv.FormatInt(math.MaxInt64, 10)+`,`, 1)
	if edited == string(data) {
		t.Fatalf("serial not found in %s", data)
	}
	if err := os.WriteFile(p, []byte(edited), fileMode); err != nil {
		t.Fatal(err)
	}

	h2, err := Open(ctx, p, LockOptions{Operation: "apply", Who: "tester"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer h2.Close()
	err = h2.Update(ctx, put(appResource("app.1")))
	if !errors.Is(err, ErrSerialExhausted) || !strings.Contains(err.Error(), p) {
		t.Fatalf("Update at the largest serial = %v, want ErrSerialExhausted naming %s", err, p)
	}
	s, err := Read(p)
	if err != nil {
		t.Fatalf("state unreadable after the refused update: %v", err)
	}
	if s.Serial != math.MaxInt64 || len(s.Resources) != 1 {
		t.Fatalf("state changed: serial %d, %d resources", s.Serial, len(s.Resources))
	}
	if got := h2.State(); got.Serial != math.MaxInt64 || len(got.Resources) != 1 {
		t.Fatalf("handle moved on: serial %d, %d resources", got.Serial, len(got.Resources))
	}
}

func TestCheckManifest(t *testing.T) {
	tests := []struct {
		recorded, name string
		wantErr        bool
	}{
		{"", "a", false},  // new state, or one from before names were recorded
		{"a", "a", false}, // same manifest
		{"a", "b", true},
	}
	for _, tt := range tests {
		s := &State{Manifest: ManifestRef{Name: tt.recorded}}
		err := s.CheckManifest("st.json", tt.name)
		var mm *ManifestMismatchError
		if got := errors.As(err, &mm); got != tt.wantErr {
			t.Errorf("recorded %q, manifest %q: err = %v", tt.recorded, tt.name, err)
			continue
		}
		if tt.wantErr && (!strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"b"`) ||
			!strings.Contains(err.Error(), "--force-state") || !strings.Contains(err.Error(), "st.json")) {
			t.Errorf("message %q should name both manifests, the state file and --force-state", err)
		}
	}
}
