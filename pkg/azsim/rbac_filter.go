package azsim

import (
	"fmt"
	"regexp"
	"strings"
)

// assignmentFilter is a parsed role assignment $filter. ARM supports atScope(), principalId eq '{id}' and
// assignedTo('{id}'), alone or joined with "and".
type assignmentFilter struct {
	AtScope   bool   // only assignments at or above the scope
	Principal string // only this principal (principalId eq / assignedTo), "" = any
}

var (
	reAtScope     = regexp.MustCompile(`(?i)^atScope\(\)$`)
	rePrincipalEq = regexp.MustCompile(`(?i)^principalId\s+eq\s+'([^']+)'$`)
	reAssignedTo  = regexp.MustCompile(`(?i)^assignedTo\('([^']+)'\)$`)
	reAnd         = regexp.MustCompile(`(?i)\s+and\s+`)
)

// parseAssignmentFilter parses the (already URL-decoded) $filter value.
func parseAssignmentFilter(f string) (assignmentFilter, error) {
	var out assignmentFilter
	f = strings.TrimSpace(f)
	if f == "" {
		return out, nil
	}
	for _, term := range reAnd.Split(f, -1) {
		term = strings.TrimSpace(term)
		switch {
		case reAtScope.MatchString(term):
			out.AtScope = true
		case rePrincipalEq.MatchString(term):
			if out.Principal != "" {
				return out, fmt.Errorf("principal given twice")
			}
			out.Principal = rePrincipalEq.FindStringSubmatch(term)[1]
		case reAssignedTo.MatchString(term):
			if out.Principal != "" {
				return out, fmt.Errorf("principal given twice")
			}
			out.Principal = reAssignedTo.FindStringSubmatch(term)[1]
		default:
			return out, fmt.Errorf("unsupported term %q", term)
		}
	}
	return out, nil
}

// matches reports whether an assignment is in the answer for a list at scope: by default assignments at, above and
// below the scope; with atScope() only at or above.
func (f assignmentFilter) matches(ra *roleAssignment, scope string) bool {
	if f.Principal != "" && !strings.EqualFold(ra.PrincipalID, f.Principal) {
		return false
	}
	if scopeContains(ra.Scope, scope) {
		return true
	}
	return !f.AtScope && scopeContains(scope, ra.Scope)
}
