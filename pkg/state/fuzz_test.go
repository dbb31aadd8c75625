package state

import (
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader. It must never panic, and
// whatever it accepts must survive a write/read round trip unchanged and
// hold no secret-looking key.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(validFile))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"lineage":"` + validLineage + `","serial":0,"resources":[],"journal":[]}`))
	f.Add([]byte(strings.Replace(validFile, `"journal": []`, `"journal": [{"id": "j1", "address": "a", "operation": "create", "startedAt": "2026-01-01T00:00:00Z", "intent": {"k": "v"}}]`, 1)))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1e400}`))
	f.Add([]byte(`{"version":1,"resources":null}`))
	f.Add([]byte(validFile[:100]))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decode("fuzz.json", data)
		if err != nil {
			if s != nil {
				t.Fatal("decode returned a state with an error")
			}
			return
		}
		for _, r := range s.Resources {
			for k := range r.Attributes {
				if secretLookingKey(k) {
					t.Fatalf("accepted secret-looking key %q", k)
				}
			}
		}
		out, err := encode(s)
		if err != nil {
			t.Fatalf("encode of an accepted state: %v", err)
		}
		s2, err := decode("fuzz.json", out)
		if err != nil {
			t.Fatalf("re-decode of our own output failed: %v\n%s", err, out)
		}
		out2, err := encode(s2)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(out2) {
			t.Fatalf("round trip not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
