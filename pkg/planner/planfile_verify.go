package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// A saved plan is only a record of what was reviewed: apply re-derives the
// plan from the manifest (hash-bound), the state (lineage and serial) and a
// fresh refresh, with the options the file records and Build's clock at its
// created_at, and executes the file only when it equals that re-derived
// plan. So whatever `galshare show` renders from the file is exactly what
// apply does, and a hand-edited payload (a role scope, a role GUID, a
// delivery path) is refused instead of executed.

// Mismatch is one difference between a saved plan and the plan re-derived
// from its inputs.
type Mismatch struct {
	// Address is the change's address, or "" for a plan-level field.
	Address string
	// Field is the JSON path of the differing field inside the change (or
	// the plan), e.g. "role_assignment.scope"; "" when the whole change is
	// in one plan and not the other.
	Field string
	// File and Derived are the field's JSON values in the plan file and in
	// the re-derived plan ("" when absent). They never hold a secret: the
	// plan model has no field for one.
	File, Derived string
	// Stale is set when the difference comes from Azure: the live object's
	// fingerprint, a tenant's readability, whether a change is blocked or a
	// wait's status changed since the plan.
	Stale bool
}

func (m Mismatch) String() string {
	where := m.Address
	if where == "" {
		where = "plan"
	}
	switch {
	case m.Stale && m.Field == "fingerprint" && m.Derived == "":
		return where + ": the object no longer exists (deleted since plan)"
	case m.Stale && m.Field == "fingerprint" && m.File == "":
		return where + ": the object appeared since plan"
	case m.Stale && m.Field == "fingerprint":
		return fmt.Sprintf("%s: changed since plan (the live object's fingerprint was %s, now %s)", where, m.File, m.Derived)
	case m.Field == "" && m.Derived == "":
		return where + ": is in the plan file, but not in the plan its inputs give"
	case m.Field == "" && m.File == "":
		return where + ": is missing from the plan file"
	}
	return fmt.Sprintf("%s: %s is %s in the plan file, but %s from the manifest, the state and Azure", where, m.Field, orAbsent(m.File), orAbsent(m.Derived))
}

func orAbsent(v string) string {
	if v == "" {
		return "absent"
	}
	return v
}

// MismatchError refuses a saved plan that differs from its re-derivation.
type MismatchError struct {
	Mismatches []Mismatch
}

// maxMismatchLines bounds the lines the error lists.
const maxMismatchLines = 20

// Stale reports whether some difference comes from Azure rather than from
// the file (see Mismatch.Stale).
func (e *MismatchError) Stale() bool {
	for _, m := range e.Mismatches {
		if m.Stale {
			return true
		}
	}
	return false
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	if e.Stale() {
		b.WriteString("the saved plan is stale: Azure changed since the plan was made, so it no longer matches what apply would do")
	} else {
		b.WriteString("the plan file was edited or is corrupt: it differs from the plan its manifest, the state and Azure give (the objects it fingerprinted are unchanged)")
	}
	for i, m := range e.Mismatches {
		if i == maxMismatchLines {
			fmt.Fprintf(&b, "\n  … and %d more differences", len(e.Mismatches)-i)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(m.String())
	}
	b.WriteString("\nnothing was applied; run galshare plan --out FILE again, review it, and apply that file")
	return b.String()
}

// VerifyRederived compares a saved plan with the plan Build re-derived from
// its inputs and returns a *MismatchError listing every difference, or nil.
// Every field of every change is compared (action, payload, before/after,
// reason, depends_on, fingerprint, blocked, origin, …), as are the plan's
// manifest, state, destroy, targets, no_preflight and tenants; only the
// format and galshare versions and created_at (Build's clock, already used
// for the re-derivation) are not. One difference is tolerated: a wait the
// file has that the re-derived plan no longer needs, or waits for with
// other progress (the image replicated since), is accepted as the file has
// it; waiting for a ready image returns at once.
func VerifyRederived(file, derived *Plan) error {
	var ms []Mismatch
	ms = append(ms, diffHeads(file, derived)...)
	fileBy := make(map[Address]*Change, len(file.Changes))
	for i := range file.Changes {
		fileBy[file.Changes[i].Address] = &file.Changes[i]
	}
	derivedBy := make(map[Address]bool, len(derived.Changes))
	for i := range derived.Changes {
		d := &derived.Changes[i]
		derivedBy[d.Address] = true
		f, ok := fileBy[d.Address]
		if !ok {
			// Which addresses a plan has follows from the manifest, the
			// state and the options, all bound above: not from Azure.
			ms = append(ms, Mismatch{Address: d.Address.String(), Derived: d.Action.String()})
			continue
		}
		ms = append(ms, diffChange(f, d)...)
	}
	for i := range file.Changes {
		f := &file.Changes[i]
		if !derivedBy[f.Address] {
			ms = append(ms, Mismatch{Address: f.Address.String(), File: f.Action.String()})
		}
	}
	if len(ms) == 0 {
		return nil
	}
	return &MismatchError{Mismatches: ms}
}

// diffChange compares one change; a changed fingerprint is reported alone
// (the other differences follow from it).
func diffChange(f, d *Change) []Mismatch {
	addr := f.Address.String()
	if f.Fingerprint != d.Fingerprint && f.Type != TypeWait {
		return []Mismatch{{Address: addr, Field: "fingerprint", File: f.Fingerprint, Derived: d.Fingerprint, Stale: true}}
	}
	if f.Type == TypeWait && f.Action == Wait && (d.Action == Wait || d.Action == NoOp) {
		w := *d
		w.Action, w.Reason, w.Before, w.After, w.Fingerprint = f.Action, f.Reason, f.Before, f.After, f.Fingerprint
		d = &w
	}
	// Fast paths: identical values, or equal encodings (the encoder sorts
	// map keys and omits empty fields alike), with no tree to build.
	if reflect.DeepEqual(f, d) {
		return nil
	}
	if bf, err := json.Marshal(f); err == nil {
		if bd, err := json.Marshal(d); err == nil && bytes.Equal(bf, bd) {
			return nil
		}
	}
	// Whether a change is blocked (a right, a consent, an unreadable
	// tenant) and a wait's status come from what refresh read, like a
	// fingerprint: a change of action there is Azure's, not the file's.
	fromAzure := f.Action != d.Action && (f.Action == Blocked || d.Action == Blocked || f.Type == TypeWait)
	var ms []Mismatch
	diffJSON(toTree(f), toTree(d), "", func(path, fv, dv string) {
		ms = append(ms, Mismatch{Address: addr, Field: path, File: fv, Derived: dv, Stale: fromAzure})
	})
	return ms
}

// diffHeads compares the plan-level fields that bind and scope the plan.
func diffHeads(file, derived *Plan) []Mismatch {
	head := func(p *Plan) map[string]any {
		return map[string]any{
			"manifest":     toTree(p.Manifest),
			"state":        toTree(p.State),
			"destroy":      p.Destroy,
			"targets":      toTree(p.Targets),
			"no_preflight": p.NoPreflight,
		}
	}
	var ms []Mismatch
	diffJSON(head(file), head(derived), "", func(path, fv, dv string) {
		ms = append(ms, Mismatch{Field: path, File: fv, Derived: dv})
	})
	// A tenant's readability and its note come from the refresh (Azure);
	// the rest of a tenant from the manifest and the state.
	if reflect.DeepEqual(file.Tenants, derived.Tenants) {
		return ms
	}
	diffJSON(toTree(file.Tenants), toTree(derived.Tenants), "tenants", func(path, fv, dv string) {
		stale := strings.HasSuffix(path, ".readable") || strings.HasSuffix(path, ".note")
		ms = append(ms, Mismatch{Field: path, File: fv, Derived: dv, Stale: stale})
	})
	return ms
}

// toTree is v's JSON encoding decoded into maps, slices and scalars, so that
// every field, present and future, is compared by the same walk.
func toTree(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("(cannot encode: %v)", err)
	}
	var t any
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Sprintf("(cannot decode: %v)", err)
	}
	return t
}

// diffJSON walks two JSON trees and reports each differing leaf (or whole
// list, when the lengths differ) by its dotted path. Absent, null, empty
// lists and empty objects are equal: the encoder omits them alike.
func diffJSON(a, b any, path string, report func(path, a, b string)) {
	if isEmpty(a) && isEmpty(b) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			diffJSON(am[k], bm[k], join(path, k), report)
		}
		return
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		for i := range as {
			diffJSON(as[i], bs[i], fmt.Sprintf("%s[%d]", path, i), report)
		}
		return
	}
	ja, jb := compact(a), compact(b)
	if ja != jb {
		report(path, ja, jb)
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// maxValueLen bounds one value in a message.
const maxValueLen = 160

// compact renders a JSON value for a message ("" when absent).
func compact(v any) string {
	if isEmpty(v) {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > maxValueLen {
		s = s[:maxValueLen] + "…"
	}
	return s
}
