package state

import "fmt"

// StaleError says the state moved between making a saved plan and applying
// it. Apply must refuse, because the plan's decisions were made against a
// different record of what galshare owns.
type StaleError struct {
	// Planned is the state identity the plan was made against.
	Planned Ref
	// Current is the state identity found now.
	Current Ref
}

// Error names what changed in words the operator can act on.
func (e *StaleError) Error() string {
	p, c := e.Planned, e.Current
	switch {
	case !p.Exists && c.Exists:
		return fmt.Sprintf("the plan was made with no state file, but one now exists (lineage %s, serial %d); make a new plan", c.Lineage, c.Serial)
	case p.Exists && !c.Exists:
		return fmt.Sprintf("the plan was made against state lineage %s serial %d, but the state file is now missing; make a new plan", p.Lineage, p.Serial)
	case p.Lineage != c.Lineage:
		return fmt.Sprintf("the plan was made against state lineage %s, but the state file now has lineage %s (a different state); make a new plan", p.Lineage, c.Lineage)
	default:
		return fmt.Sprintf("the plan was made against state serial %d, but the state is now at serial %d (another run changed it); make a new plan", p.Serial, c.Serial)
	}
}

// Check returns a *StaleError when current is not the state r was taken
// from. An empty lineage only matches "no state file": unlike Terraform's
// historical check, a plan made with no state is not applied to a state that
// appeared since.
func (r Ref) Check(current Ref) error {
	if r.Exists != current.Exists || r.Lineage != current.Lineage || r.Serial != current.Serial {
		return &StaleError{Planned: r, Current: current}
	}
	return nil
}
