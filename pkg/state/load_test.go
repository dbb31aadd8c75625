package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validLineage = "5b0c2a3e-8a0e-4a7e-9a53-1f2f3c4d5e6f"

// validFile is a well-formed v1 state used as the base of the load tests.
const validFile = `{
  "version": 1,
  "lineage": "5b0c2a3e-8a0e-4a7e-9a53-1f2f3c4d5e6f",
  "serial": 3,
  "manifest": {"name": "contoso", "path": "m.yaml", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
  "resources": [
    {"address": "app.myGalleryApp", "type": "application", "tenant": "t1", "id": "obj-1", "origin": "created",
     "attributes": {"appId": "app-1"}, "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}
  ],
  "journal": []
}
`

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "galshare.state.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadValid(t *testing.T) {
	s, err := Read(writeTemp(t, validFile))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !s.Exists() || s.Lineage != validLineage || s.Serial != 3 || s.Manifest.Name != "contoso" {
		t.Fatalf("unexpected state header: %+v", s)
	}
	r, ok := s.Get("app.myGalleryApp")
	if !ok || r.ID != "obj-1" || r.Origin != OriginCreated || r.Attributes["appId"] != "app-1" {
		t.Fatalf("Get(app.myGalleryApp) = %+v, %v", r, ok)
	}
}

func TestReadMissing(t *testing.T) {
	s, err := Read(filepath.Join(t.TempDir(), "nope.json"))
	if err != nil {
		t.Fatalf("Read missing: %v", err)
	}
	if s.Exists() || s.Lineage != "" || s.Serial != 0 || len(s.Resources) != 0 {
		t.Fatalf("missing file should read as empty, got %+v exists=%v", s, s.Exists())
	}
	if s.Ref() != (Ref{}) {
		t.Fatalf("Ref of missing state = %+v, want zero", s.Ref())
	}
}

func TestLoadErrors(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validFile, old) {
			panic("fixture does not contain " + old)
		}
		return strings.Replace(validFile, old, new, 1)
	}
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the error
		version bool     // expect *VersionError rather than *LoadError
	}{
		{"empty", "", []string{"file is empty"}, false},
		{"whitespace", "  \n", []string{"file is empty"}, false},
		{"not json", "hello", []string{":1:1:", "invalid character 'h'"}, false},
		{"truncated", validFile[:len(validFile)/2], []string{"truncated"}, false},
		{"syntax on line 3", "{\n  \"version\": 1,\n  \"lineage\": x\n}", []string{":3:14:", "invalid character 'x'"}, false},
		{"no version", `{"serial": 1}`, []string{`no "version" field`}, false},
		{"version string", `{"version": "1"}`, []string{"version", "string"}, false},
		{"future version", replace(`"version": 1`, `"version": 2`), []string{"version 2 is newer", "has not been changed"}, true},
		{"version zero", replace(`"version": 1`, `"version": 0`), []string{"version 0 is not a valid"}, true},
		{"unknown field", replace(`"serial": 3,`, `"serial": 3, "extra": true,`), []string{`unknown field "extra"`, ":4:16:"}, false},
		{"wrong type", replace(`"serial": 3`, `"serial": "three"`), []string{"serial", "string", ":4:"}, false},
		{"negative serial", replace(`"serial": 3`, `"serial": -1`), []string{"serial -1 is negative"}, false},
		{"trailing data", validFile + "{}", []string{":12:1:", "after top-level value"}, false},
		{"missing lineage with resources", replace(`"lineage": "5b0c2a3e-8a0e-4a7e-9a53-1f2f3c4d5e6f",`, ``), []string{"lineage is missing"}, false},
		{"bad lineage", replace(validLineage, "not-a-uuid"), []string{`lineage "not-a-uuid" is not a UUID`}, false},
		{"bad sha", replace(`"sha256": "e3b0`, `"sha256": "zz`), []string{"manifest.sha256"}, false},
		{"unknown origin", replace(`"origin": "created"`, `"origin": "mine"`), []string{`unknown origin "mine"`, "resources[0]"}, false},
		{"empty address", replace(`"address": "app.myGalleryApp"`, `"address": ""`), []string{"empty address"}, false},
		{"bad type", replace(`"type": "application"`, `"type": "App lication"`), []string{"invalid type"}, false},
		{"secret attribute", replace(`{"appId": "app-1"}`, `{"appId": "app-1", "clientSecret": "s3cr3t-value"}`), []string{`"clientSecret"`, "secret-looking"}, false},
		{"duplicate address", replace(`"journal": []`, `"journal": []`) + "", nil, false}, // replaced below
		{"journal without id", replace(`"journal": []`, `"journal": [{"id": "", "address": "a", "operation": "create", "startedAt": "2026-01-01T00:00:00Z"}]`), []string{"journal[0]", "empty id"}, false},
		{"journal secret intent", replace(`"journal": []`, `"journal": [{"id": "j1", "address": "a", "operation": "create", "startedAt": "2026-01-01T00:00:00Z", "intent": {"secretText": "x"}}]`), []string{`"secretText"`}, false},
		{"journal duplicate id", replace(`"journal": []`, `"journal": [{"id": "j1", "address": "a", "operation": "create", "startedAt": "2026-01-01T00:00:00Z"}, {"id": "j1", "address": "b", "operation": "delete", "startedAt": "2026-01-01T00:00:00Z"}]`), []string{`duplicate id "j1"`}, false},
	}
	dupRes := `{"address": "app.myGalleryApp", "type": "application", "tenant": "t1", "id": "obj-2", "origin": "adopted", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}`
	for i := range tests {
		if tests[i].name == "duplicate address" {
			tests[i].content = strings.Replace(validFile, `"journal": []`, `"journal": []`, 1)
			tests[i].content = strings.Replace(tests[i].content, "\n  ],\n", ",\n    "+dupRes+"\n  ],\n", 1)
			tests[i].want = []string{`resources[1]: duplicate address "app.myGalleryApp" (also resources[0])`}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeTemp(t, tt.content)
			_, err := Read(p)
			if err == nil {
				t.Fatal("Read succeeded, want error")
			}
			var le *LoadError
			var ve *VersionError
			if tt.version && !errors.As(err, &ve) {
				t.Fatalf("want *VersionError, got %T: %v", err, err)
			}
			if !tt.version && !errors.As(err, &le) {
				t.Fatalf("want *LoadError, got %T: %v", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p) {
				t.Errorf("error does not start with the path %s: %s", p, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "s3cr3t-value") {
				t.Errorf("error leaks the attribute value: %s", msg)
			}
		})
	}
}

// TestOpenRefusesBadFileAndKeepsIt shows a file that cannot be loaded is
// neither overwritten nor left locked.
func TestOpenRefusesBadFileAndKeepsIt(t *testing.T) {
	for name, content := range map[string]string{
		"future":    strings.Replace(validFile, `"version": 1`, `"version": 7`, 1),
		"truncated": validFile[:40],
		"invalid":   strings.Replace(validFile, `"origin": "created"`, `"origin": "stolen"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			p := writeTemp(t, content)
			h, err := Open(t.Context(), p, LockOptions{Operation: "apply"})
			if err == nil {
				h.Close()
				t.Fatal("Open succeeded on a bad file")
			}
			got, _ := os.ReadFile(p)
			if string(got) != content {
				t.Fatal("bad state file was modified")
			}
			if _, err := os.Stat(p + lockSuffix); !os.IsNotExist(err) {
				t.Fatalf("lock left behind after a refused Open: %v", err)
			}
			if _, err := os.Stat(p + backupSuffix); !os.IsNotExist(err) {
				t.Fatalf("backup written for a refused file: %v", err)
			}
		})
	}
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncde\nf")
	for _, tt := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {99, 3, 2}} {
		l, c := position(data, tt.off)
		if l != tt.line || c != tt.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

func TestReadOversized(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxFileSize + 10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Read(p)
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("want size LoadError, got %v", err)
	}
}
