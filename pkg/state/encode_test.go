package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestEncoderCacheMatchesFreshEncoding: an encoder reused across writes
// (as Handle does) must produce exactly what a fresh one does after every
// kind of change, including changes only to attributes or times.
func TestEncoderCacheMatchesFreshEncoding(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &State{Version: CurrentVersion, Lineage: "5f0c6d7e-8a9b-4c1d-9e2f-3a4b5c6d7e8f", Serial: 1}
	for i := range 5 {
		r := appResource(fmt.Sprintf("app.r%d", i))
		r.CreatedAt, r.UpdatedAt = t0, t0
		s.Resources = append(s.Resources, r)
	}
	steps := []struct {
		name   string
		change func(*State)
	}{
		{"unchanged", func(*State) {}},
		{"attribute changed", func(s *State) {
			s.Resources[1].Attributes = map[string]string{"appId": "other"}
		}},
		{"time changed", func(s *State) { s.Resources[2].UpdatedAt = t0.Add(time.Second) }},
		{"time zone changed", func(s *State) { s.Resources[2].UpdatedAt = s.Resources[2].UpdatedAt.In(time.FixedZone("x", 3600)) }},
		{"removed", func(s *State) { s.Remove("app.r3") }},
		{"added", func(s *State) { s.Resources = append(s.Resources, appResource("app.a0")) }},
		{"journal and serial", func(s *State) {
			s.Serial++
			if _, err := s.BeginJournal(JournalEntry{Address: "app.r0", Operation: OpUpdate, StartedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}},
		{"all removed", func(s *State) { s.Resources = nil }},
	}
	var e encoder
	for _, st := range steps {
		next := s.Clone()
		st.change(next)
		s = next
		got, err := e.encode(s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Fatalf("%s: cached encoding differs (-fresh +cached):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(string(reference(t, s, true)), string(got)); diff != "" {
			t.Fatalf("%s: differs from json.MarshalIndent (-reference +got):\n%s", st.name, diff)
		}
		back, err := decode("state.json", got)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(s, back, cmpopts.IgnoreUnexported(State{}), cmpopts.EquateEmpty(),
			cmpopts.SortSlices(func(a, b Resource) bool { return a.Address < b.Address }),
			cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("%s: round trip (-state +decoded):\n%s", st.name, diff)
		}
	}
}

// reference is the canonical form made the plain way: the state sorted,
// then json.MarshalIndent (or json.Marshal), newline-ended.
func reference(t *testing.T, s *State, indent bool) []byte {
	t.Helper()
	c := s.Clone()
	c.Version = CurrentVersion
	slices.SortFunc(c.Resources, func(a, b Resource) int { return strings.Compare(a.Address, b.Address) })
	slices.SortFunc(c.Journal, func(a, b JournalEntry) int {
		if d := a.StartedAt.Compare(b.StartedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	if c.Journal == nil {
		c.Journal = []JournalEntry{}
	}
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(c, "", "  ")
	} else {
		data, err = json.Marshal(c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// TestEncodeIndentsOnlySmallStates: a small state is indented for people,
// a large one is compact (and still loads).
func TestEncodeIndentsOnlySmallStates(t *testing.T) {
	for _, n := range []int{3, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			h, p := openTemp(t)
			if err := h.Update(t.Context(), func(s *State) error {
				for i := range n {
					if err := s.Put(appResource(fmt.Sprintf("app.r%05d", i))); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if n > 1000 && len(data) <= indentLimit {
				t.Fatalf("%d bytes is not a large state; grow the test", len(data))
			}
			indented := bytes.Contains(data, []byte("\n  \"resources\""))
			if wantIndent := len(data) <= indentLimit; indented != wantIndent {
				t.Fatalf("%d bytes: indented=%v, want %v", len(data), indented, wantIndent)
			}
			if !json.Valid(data) || data[len(data)-1] != '\n' {
				t.Fatal("not valid newline-ended JSON")
			}
			s, err := Read(p)
			if err != nil || len(s.Resources) != n {
				t.Fatalf("Read = %d resources, %v; want %d", len(s.Resources), err, n)
			}
			if want := reference(t, s, indented); !bytes.Equal(data, want) {
				t.Fatalf("file differs from the reference encoding:\n%s", cmp.Diff(string(want), string(data)))
			}
		})
	}
}
