package planner

import (
	"encoding/json"
	"fmt"
)

// Action is what apply will do to one object. It is a closed enum: the
// executor switches on it, renderers show its symbol, and the reason field of
// a Change only explains it.
type Action int

// The actions, with their display symbols.
const (
	// NoOp: the object exists as desired (shown only with its adoption).
	NoOp Action = iota
	// Create (+): the object is missing.
	Create
	// Update (~): the object exists and is changed in place.
	Update
	// Delete (-): the object is removed.
	Delete
	// Replace (-/+): a new object is made, then the old one removed
	// (create-before-destroy: password rotation, a role assignment whose
	// principal or role changed).
	Replace
	// Read (<=): the object is read during apply and its outputs feed
	// dependants; nothing is written.
	Read
	// Wait (...): apply polls until a condition holds (an image version built
	// and replicated everywhere).
	Wait
	// Blocked (!): a human must act first (consent, a role grant, rights
	// galshare lacks); the change carries the exact URL or command.
	Blocked
)

var actionNames = [...]string{
	NoOp:    "no-op",
	Create:  "create",
	Update:  "update",
	Delete:  "delete",
	Replace: "replace",
	Read:    "read",
	Wait:    "wait",
	Blocked: "blocked",
}

var actionSymbols = [...]string{
	NoOp:    " ",
	Create:  "+",
	Update:  "~",
	Delete:  "-",
	Replace: "-/+",
	Read:    "<=",
	Wait:    "...",
	Blocked: "!",
}

// String is the action's stable name used in JSON ("no-op", "create", …).
func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("action(%d)", int(a))
	}
	return actionNames[a]
}

// Symbol is the Terraform-like marker shown in text plans.
func (a Action) Symbol() string {
	if a < 0 || int(a) >= len(actionSymbols) {
		return "?"
	}
	return actionSymbols[a]
}

// IsChange reports whether the action writes to Azure (or, for Wait, makes
// apply block until a condition holds). NoOp, Read and Blocked are not
// changes; Blocked is counted separately.
func (a Action) IsChange() bool {
	switch a {
	case Create, Update, Delete, Replace, Wait:
		return true
	}
	return false
}

// ParseAction parses the name produced by String.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q", s)
}

// MarshalJSON writes the action's name.
func (a Action) MarshalJSON() ([]byte, error) {
	if a < 0 || int(a) >= len(actionNames) {
		return nil, fmt.Errorf("cannot marshal unknown action %d", int(a))
	}
	return json.Marshal(a.String())
}

// UnmarshalJSON reads the action's name.
func (a *Action) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("action: %w", err)
	}
	v, err := ParseAction(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}
