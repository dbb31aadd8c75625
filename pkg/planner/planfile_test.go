package planner

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPlanFileRoundTrip(t *testing.T) {
	for name, p := range goldenPlans(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := WritePlanFile(path, p); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			got, err := ReadPlanFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(p, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("temp files left behind: %v", entries)
			}
		})
	}
}

func TestPlanFileRefuses(t *testing.T) {
	good, err := MarshalPlanFile(goldenPlans(t)["create"])
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := map[string][]byte{
		"not json":        []byte("hello"),
		"empty":           {},
		"other kind":      edit(func(m map[string]any) { m["kind"] = "terraform-plan" }),
		"future version":  edit(func(m map[string]any) { m["format_version"] = "2.0" }),
		"unknown field":   edit(func(m map[string]any) { m["secretText"] = "x" }),
		"bad action":      []byte(strings.Replace(string(good), `"action": "create"`, `"action": "explode"`, 1)),
		"bad address":     []byte(strings.Replace(string(good), `"address": "sp[publisher]"`, `"address": "sp[]"`, 1)),
		"dangling dep":    []byte(strings.Replace(string(good), `"app.myGalleryApp"`, `"app.other"`, 1)),
		"trailing data":   append(append([]byte{}, good...), []byte("{}")...),
		"no payload":      edit(func(m map[string]any) { delete(m["changes"].([]any)[0].(map[string]any), "app") }),
		"blocked no info": edit(func(m map[string]any) { m["changes"].([]any)[0].(map[string]any)["action"] = "blocked" }),
		// Apply re-derives the plan from its manifest: a file that does not
		// name it (blanked by hand) must not turn that check off.
		"no manifest path":       edit(func(m map[string]any) { m["manifest"].(map[string]any)["path"] = "" }),
		"relative manifest path": edit(func(m map[string]any) { m["manifest"].(map[string]any)["path"] = "quickstart.yaml" }),
		"no manifest sha256":     edit(func(m map[string]any) { m["manifest"].(map[string]any)["sha256"] = "" }),
		"no manifest":            edit(func(m map[string]any) { delete(m, "manifest") }),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePlanFile(b); !errors.Is(err, ErrPlanFile) {
				t.Errorf("err = %v; want ErrPlanFile", err)
			}
		})
	}
	if _, err := ReadPlanFile(t.TempDir()); err == nil {
		t.Error("a directory was read as a plan")
	}
}

// plan --json output is a view, not a plan file: show and apply say which
// command writes one.
func TestPlanFileRefusesJSONView(t *testing.T) {
	var b strings.Builder
	if err := RenderJSON(&b, goldenPlans(t)["create"]); err != nil {
		t.Fatal(err)
	}
	_, err := ParsePlanFile([]byte(b.String()))
	if !errors.Is(err, ErrPlanFile) || !strings.Contains(err.Error(), `only "galshare plan --out FILE" writes a plan file`) {
		t.Errorf("err = %v, want a hint naming plan --out", err)
	}
}

// A FIFO given as the plan file is refused before it is opened: opening it
// would block until something writes to it.
func TestReadPlanFileRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := ReadPlanFile(path)
	if !errors.Is(err, ErrPlanFile) || !strings.Contains(err.Error(), "named pipe (FIFO)") {
		t.Errorf("err = %v, want a refusal naming the FIFO", err)
	}
}

func FuzzParsePlanFile(f *testing.F) {
	plans := goldenPlans(f)
	for _, p := range []string{"create", "mixed", "destroy"} {
		b, err := MarshalPlanFile(plans[p])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"galshare-plan","format_version":"1.0","changes":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePlanFile(b)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip unchanged.
		again, err := MarshalPlanFile(p)
		if err != nil {
			t.Fatalf("parsed plan does not marshal: %v", err)
		}
		if _, err := ParsePlanFile(again); err != nil {
			t.Fatalf("re-parse failed: %v", err)
		}
	})
}

// TestParsePlanFileMutations is a deterministic stand-in for the fuzzer
// (which needs -fuzz): thousands of seeded byte mutations of real plan
// files must never panic, and whatever parses must round-trip.
func TestParsePlanFileMutations(t *testing.T) {
	plans := goldenPlans(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"create", "mixed", "destroy"} {
		good, err := MarshalPlanFile(plans[name])
		if err != nil {
			t.Fatal(err)
		}
		for range 3000 {
			b := append([]byte(nil), good...)
			for range 1 + rng.IntN(4) {
				i := rng.IntN(len(b))
				switch rng.IntN(3) {
				case 0:
					b[i] = byte(rng.IntN(256))
				case 1:
					b = append(b[:i], b[i+1:]...)
				default:
					b = append(b[:i], append([]byte{`"[]{}:,0a`[rng.IntN(9)]}, b[i:]...)...)
				}
			}
			p, err := ParsePlanFile(b)
			if err != nil {
				if !errors.Is(err, ErrPlanFile) {
					t.Fatalf("error not wrapping ErrPlanFile: %v", err)
				}
				continue
			}
			again, err := MarshalPlanFile(p)
			if err != nil {
				t.Fatalf("parsed plan does not marshal: %v", err)
			}
			if _, err := ParsePlanFile(again); err != nil {
				t.Fatalf("re-parse failed: %v", err)
			}
		}
	}
}

// TestPlanFileSizeLimit pins the plan-file limit: it fits a
// 20,000-consumer plan (~2.8 KB per consumer) with 2× margin, and a file
// one byte over it is refused before it is decoded.
func TestPlanFileSizeLimit(t *testing.T) {
	if need := 20_000 * 2_800; 2*need > MaxPlanFileSize {
		t.Errorf("MaxPlanFileSize %d leaves less than 2× margin over a 20,000-consumer plan (%d bytes)", MaxPlanFileSize, need)
	}
	path := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: reading it costs no disk, only the limited read.
	if err := f.Truncate(MaxPlanFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadPlanFile(path)
	if !errors.Is(err, ErrPlanFile) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("ReadPlanFile(oversized) = %v, want %v (larger than)", err, ErrPlanFile)
	}
}
