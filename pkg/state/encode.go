package state

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// indentLimit is the largest state (by its resources' compact encoding)
// written indented. Small states (a
// handful of consumers) stay pleasant to read and diff in version control;
// a fleet's state is written compact, because indenting a multi-megabyte
// file on every recorded action costs more than the action.
const indentLimit = 256 << 10

// stateHeader is the part of State's on-disk shape before the resources;
// encode appends the resources and the journal to it by hand so that the
// cached resource encodings are copied, not parsed and re-encoded.
type stateHeader struct {
	Version  int         `json:"version"`
	Lineage  string      `json:"lineage,omitempty"`
	Serial   int64       `json:"serial"`
	Manifest ManifestRef `json:"manifest"`
}

// encodedResource is a resource's JSON, compact and (made on first use)
// indented as an element of the resources array, with the value it was
// made from.
type encodedResource struct {
	r        Resource
	compact  []byte
	indented []byte
}

// encoder renders states in the canonical form (sorted by address and
// start time, newline-ended, indented when small) and remembers each
// resource's encoding: a run records one action per write, so all but a
// few resources are the same as in the previous write. It is used by one
// writer at a time (Handle.flushLocked hands writing from one goroutine to
// the next).
type encoder struct {
	cache map[string]*encodedResource
}

// encode renders s with a throwaway encoder (Read, tests and tools).
func encode(s *State) ([]byte, error) {
	var e encoder
	return e.encode(s)
}

func (e *encoder) encode(s *State) ([]byte, error) {
	rs := slices.Clone(s.Resources)
	slices.SortFunc(rs, func(a, b Resource) int { return cmp.Compare(a.Address, b.Address) })
	js := slices.Clone(s.Journal)
	if js == nil {
		js = []JournalEntry{}
	}
	slices.SortFunc(js, func(a, b JournalEntry) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
	})
	next := make(map[string]*encodedResource, len(rs))
	encs := make([]*encodedResource, len(rs))
	size := 0
	for i, r := range rs {
		c, ok := e.cache[r.Address]
		if !ok || !sameResource(c.r, r) {
			data, err := json.Marshal(&r)
			if err != nil {
				return nil, fmt.Errorf("encoding state: resource %q: %w", r.Address, err)
			}
			c = &encodedResource{r: r.clone(), compact: data}
		}
		next[r.Address] = c
		encs[i] = c
		size += len(c.compact) + 1
	}
	e.cache = next
	head := stateHeader{Version: CurrentVersion, Lineage: s.Lineage, Serial: s.Serial, Manifest: s.Manifest}
	if size > indentLimit {
		return encodeCompact(head, encs, js, size)
	}
	return encodeIndented(head, encs, js, size)
}

// encodeCompact writes the state as json.Marshal would.
func encodeCompact(head stateHeader, encs []*encodedResource, js []JournalEntry, size int) ([]byte, error) {
	h, err := json.Marshal(&head)
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	j, err := json.Marshal(js)
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(h) + size + len(j) + 64)
	b.Write(h[:len(h)-1]) // without the closing brace
	b.WriteString(`,"resources":[`)
	for i, c := range encs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(c.compact)
	}
	b.WriteString(`],"journal":`)
	b.Write(j)
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// encodeIndented writes the state as json.MarshalIndent(s, "", "  ") would.
func encodeIndented(head stateHeader, encs []*encodedResource, js []JournalEntry, size int) ([]byte, error) {
	h, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	j, err := json.MarshalIndent(js, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding state: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(h) + 2*size + len(j) + 64) // indenting about doubles a resource
	b.Write(h[:len(h)-2])                 // without the closing "\n}"
	b.WriteString(",\n  \"resources\": [")
	for i, c := range encs {
		if c.indented == nil {
			var ib bytes.Buffer
			if err := json.Indent(&ib, c.compact, "    ", "  "); err != nil {
				return nil, fmt.Errorf("encoding state: resource %q: %w", c.r.Address, err)
			}
			c.indented = ib.Bytes()
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(c.indented)
	}
	if len(encs) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("],\n  \"journal\": ")
	b.Write(j)
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// sameResource reports whether a and b encode the same: the content and
// the bookkeeping times.
func sameResource(a, b Resource) bool {
	return a.sameContent(b) && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.CreatedAt.Location() == b.CreatedAt.Location() && a.UpdatedAt.Location() == b.UpdatedAt.Location()
}
