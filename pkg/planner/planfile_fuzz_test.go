package planner

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzReadPlanFile feeds arbitrary bytes to the saved-plan parser (what `galshare apply PLANFILE` and `galshare
// show` read from disk, possibly hand-edited or hostile). Properties: it never panics; every refusal wraps
// ErrPlanFile; an accepted plan renders in every format without panicking, saves again, and the saved bytes parse
// back to the same plan and re-save byte-identically (a stable round trip); and an accepted plan names its manifest
// by absolute path and hash (what apply re-derives it from).
//
//	go test ./pkg/planner -run '^$' -fuzz FuzzReadPlanFile -fuzztime 60s
func FuzzReadPlanFile(f *testing.F) {
	plans := goldenPlans(f)
	names := make([]string, 0, len(plans))
	for n := range plans {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := MarshalPlanFile(plans[n])
		if err != nil {
			f.Fatalf("%s: %v", n, err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])                                                                          // truncated
		f.Add(bytes.Replace(b, []byte(`"format_version": "1.`), []byte(`"format_version": "9.`), 1)) // future version
		f.Add(bytes.Replace(b, []byte(`"depends_on"`), []byte(`"depends_onx"`), 1))                  // unknown field
		f.Add(bytes.Replace(b, []byte(`"path": "/`), []byte(`"path": "`), 1))                        // relative manifest path
		f.Add(bytes.Replace(b, []byte(`"sha256": "`), []byte(`"sha256": "", "x": "`), 1))            // blanked hash
	}
	f.Add([]byte(`{"kind":"galshare-plan","format_version":"1.0"}`))
	f.Add([]byte(`{"kind":"galshare-plan","format_version":"1.0","changes":[{"address":"app.x","action":"create"}]}`))
	f.Add([]byte(`{"kind":"other"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\x00\xff"))

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlanFile(data)
		if err != nil {
			if !errors.Is(err, ErrPlanFile) {
				t.Fatalf("refusal does not wrap ErrPlanFile: %v", err)
			}
			return
		}
		if p.Manifest.SHA256 == "" || !filepath.IsAbs(p.Manifest.Path) {
			t.Fatalf("accepted a plan without its manifest binding: %+v", p.Manifest)
		}
		for _, render := range []func(io.Writer, *Plan) error{
			func(w io.Writer, p *Plan) error { return RenderText(w, p, TextOptions{}) },
			RenderJSON,
			func(w io.Writer, p *Plan) error { return RenderMarkdown(w, p, MarkdownOptions{}) },
		} {
			_ = render(io.Discard, p)
		}
		b, err := MarshalPlanFile(p)
		if err != nil {
			t.Fatalf("an accepted plan cannot be saved again: %v", err)
		}
		p2, err := ParsePlanFile(b)
		if err != nil {
			t.Fatalf("a re-saved plan is refused: %v\n%s", err, b)
		}
		if diff := cmp.Diff(p, p2, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip changed the plan (-first +second):\n%s", diff)
		}
		b2, err := MarshalPlanFile(p2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatalf("re-saving is not stable:\n%s\n---\n%s", b, b2)
		}
	})
}
