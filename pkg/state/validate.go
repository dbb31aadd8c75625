package state

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/google/uuid"
)

// kindPattern is what resource types and journal operations must look like:
// short lower-case identifiers, so a hand edit cannot smuggle in free text.
var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// checkResource validates one resource record.
func checkResource(r Resource) error {
	where := "resource"
	if r.Address != "" {
		where = fmt.Sprintf("resource %q", r.Address)
	}
	switch {
	case r.Address == "":
		return errors.New("resource: empty address")
	case !kindPattern.MatchString(r.Type):
		return fmt.Errorf("%s: invalid type %q (want a lower-case identifier such as %q)", where, r.Type, TypeApplication)
	case !r.Origin.Valid():
		return fmt.Errorf("%s: unknown origin %q (want %q or %q)", where, r.Origin, OriginCreated, OriginAdopted)
	}
	return checkAttributes(where+" attributes", r.Attributes)
}

// checkJournal validates one journal entry.
func checkJournal(e JournalEntry) error {
	where := fmt.Sprintf("journal entry %q", e.ID)
	switch {
	case e.ID == "":
		return errors.New("journal entry: empty id")
	case e.Address == "":
		return fmt.Errorf("%s: empty address", where)
	case !kindPattern.MatchString(e.Operation):
		return fmt.Errorf("%s: invalid operation %q (want e.g. %q)", where, e.Operation, OpCreate)
	case e.Type != "" && !kindPattern.MatchString(e.Type):
		return fmt.Errorf("%s: invalid type %q", where, e.Type)
	}
	return checkAttributes(where+" intent", e.Intent)
}

// validate checks a whole state: what a hand edit or a bug could break.
// It returns every problem found, joined, so one run shows all of them.
func validate(s *State) error {
	return validateChanged(s, nil)
}

// validateChanged is validate, skipping the per-resource checks of the
// resources marked in checked (already validated, unchanged). The header,
// duplicate addresses and the journal are always checked.
func validateChanged(s *State, checked []bool) error {
	var errs []error
	if s.Version != CurrentVersion {
		errs = append(errs, fmt.Errorf("version %d: this galshare writes version %d", s.Version, CurrentVersion))
	}
	if s.Serial < 0 {
		errs = append(errs, fmt.Errorf("serial %d is negative", s.Serial))
	}
	if s.Lineage == "" {
		if len(s.Resources) > 0 || len(s.Journal) > 0 || s.Serial > 0 {
			errs = append(errs, errors.New("lineage is missing but the state has resources, journal entries or a serial; a lineage is assigned on the first write and must not be removed"))
		}
	} else if _, err := uuid.Parse(s.Lineage); err != nil {
		errs = append(errs, fmt.Errorf("lineage %q is not a UUID", s.Lineage))
	}
	if h := s.Manifest.SHA256; h != "" {
		if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
			errs = append(errs, fmt.Errorf("manifest.sha256 %q is not a hex SHA-256 digest", h))
		}
	}
	seen := make(map[string]int, len(s.Resources))
	for i, r := range s.Resources {
		if i < len(checked) && checked[i] {
			// unchanged since it was last validated
		} else if err := checkResource(r); err != nil {
			errs = append(errs, fmt.Errorf("resources[%d]: %w", i, err))
		}
		if j, dup := seen[r.Address]; dup && r.Address != "" {
			errs = append(errs, fmt.Errorf("resources[%d]: duplicate address %q (also resources[%d])", i, r.Address, j))
		} else {
			seen[r.Address] = i
		}
	}
	ids := make(map[string]int, len(s.Journal))
	for i, e := range s.Journal {
		if err := checkJournal(e); err != nil {
			errs = append(errs, fmt.Errorf("journal[%d]: %w", i, err))
		}
		if j, dup := ids[e.ID]; dup && e.ID != "" {
			errs = append(errs, fmt.Errorf("journal[%d]: duplicate id %q (also journal[%d])", i, e.ID, j))
		} else {
			ids[e.ID] = i
		}
	}
	return errors.Join(errs...)
}
