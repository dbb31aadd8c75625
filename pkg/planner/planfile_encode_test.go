package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// TestEncodePlanFileMatchesMarshalIndent pins the streamed encoding to the
// format it replaced: the bytes of json.MarshalIndent of the whole envelope,
// for every golden plan and for plans without changes (nil and empty).
func TestEncodePlanFileMatchesMarshalIndent(t *testing.T) {
	plans := goldenPlans(t)
	for name, p := range plans {
		t.Run(name, func(t *testing.T) { checkEncoding(t, p) })
	}
	for _, tc := range []struct {
		name    string
		changes []Change
	}{{"nil changes", nil}, {"no changes", []Change{}}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range plans {
				q := *p
				q.Changes = tc.changes
				checkEncoding(t, &q)
				break
			}
		})
	}
}

func checkEncoding(t *testing.T, p *Plan) {
	t.Helper()
	want, err := json.MarshalIndent(planFile{Kind: PlanFileKind, Plan: p}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	var got bytes.Buffer
	if err := encodePlanFile(&got, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("streamed encoding differs from MarshalIndent (%d vs %d bytes):\n%s", got.Len(), len(want), firstDiff(got.Bytes(), want))
	}
}

// firstDiff shows both encodings around their first difference.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return "got:  …" + string(a[lo:min(len(a), i+80)]) + "\nwant: …" + string(b[lo:min(len(b), i+80)])
}

// failWriter fails every write.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestEncodePlanFileReportsWriteErrors checks that a failing writer is not
// mistaken for a saved plan.
func TestEncodePlanFileReportsWriteErrors(t *testing.T) {
	for _, p := range goldenPlans(t) {
		if err := encodePlanFile(failWriter{}, p); !errors.Is(err, errDiskFull) {
			t.Fatalf("error %v, want %v", err, errDiskFull)
		}
		return
	}
}
