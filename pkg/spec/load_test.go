package spec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := write("valid.yaml", baseManifest)
	invalid := write("invalid.yaml", strings.Replace(baseManifest, "version: 1", "version: 3", 1))
	huge := write("huge.yaml", "# "+strings.Repeat("x", MaxManifestBytes))
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Logf("no FIFO support: %v", err)
		fifo = ""
	}

	t.Run("valid", func(t *testing.T) {
		m, diags, err := Load(context.Background(), valid)
		if err != nil || m == nil || len(diags) != 0 {
			t.Fatalf("Load = %v, %v, %v", m != nil, diags, err)
		}
		if m.Path != valid {
			t.Errorf("Path = %s, want %s", m.Path, valid)
		}
		if want := filepath.Join(dir, "secrets", "myGalleryApp.json"); m.Publisher.App.Secret.DeliverTo.Path != want {
			t.Errorf("deliverTo = %s, want %s (relative to the manifest)", m.Publisher.App.Secret.DeliverTo.Path, want)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := Load(ctx, valid); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	bad := []struct {
		name, path, contains string
	}{
		{"invalid", invalid, "version 3 is not supported"},
		{"missing", filepath.Join(dir, "nope.yaml"), "does not exist"},
		{"directory", dir, "is a directory"},
		{"huge", huge, "limit"},
		{"fifo", fifo, "not a regular file"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path == "" {
				t.Skip("not supported here")
			}
			m, diags, err := Load(context.Background(), tt.path)
			if m != nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load = %v, %v; want ErrInvalid", m != nil, err)
			}
			if len(diags) == 0 || !strings.Contains(diags.String(), tt.contains) || diags[0].File != tt.path {
				t.Fatalf("diagnostics %q do not mention %q for %s", diags, tt.contains, tt.path)
			}
		})
	}
}

func TestDiagnosticsFormat(t *testing.T) {
	ds := Diagnostics{
		{Severity: SeverityWarning, Code: "b", Summary: "second", File: "m.yaml", Line: 3, Col: 1},
		{Severity: SeverityError, Code: "a", Summary: "first", Hint: "do this", File: "m.yaml", Line: 2, Col: 7},
		{Severity: SeverityError, Code: "c", Summary: "whole file", File: "a.yaml"},
	}
	ds.Sort()
	want := "a.yaml: error: whole file\n" +
		"m.yaml:2:7: error: first\n\thint: do this\n" +
		"m.yaml:3:1: warning: second"
	if got := ds.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}
	if !ds.HasErrors() || len(ds.Errors()) != 2 {
		t.Errorf("HasErrors/Errors wrong: %v %d", ds.HasErrors(), len(ds.Errors()))
	}
	if (Diagnostics{{Severity: SeverityWarning}}).HasErrors() {
		t.Errorf("warnings alone count as errors")
	}
	var err error = ds
	if err.Error() != want {
		t.Errorf("Error() differs from String()")
	}
}
