package planner

import (
	"fmt"

	"github.com/galshare/galshare/pkg/spec"
)

// World errors. A gallery or a grant scope the manifest names that Azure
// says does not exist used to be planned as a blocked action (exit 3, "a
// human must consent or grant"), although neither a consent nor a grant can
// create it. It is an error in the manifest or in the world: Build refuses
// to plan it, with the manifest position of the id, as a spec diagnostic.
// A destroy plan is not refused: there is nothing to remove there.

// Diagnostic codes of world errors (galshare plan's output; stable like
// pkg/spec's codes).
const (
	CodeGalleryNotFound = "gallery-not-found"
	CodeScopeNotFound   = "scope-not-found"
)

// worldErrors reports the galleries and grant scopes refresh found missing.
func worldErrors(m *spec.Manifest, snap *Snapshot) error {
	var ds spec.Diagnostics
	add := func(path, code, summary, hint string) {
		pos := m.Positions.Lookup(path)
		ds = append(ds, spec.Diagnostic{Severity: spec.SeverityError, Code: code, Summary: summary, Hint: hint,
			File: m.Path, Line: pos.Line, Col: pos.Col, Path: path})
	}
	for i, g := range m.Publisher.Galleries {
		if snap.Galleries[IDKey(g.ID)].Status == Missing {
			add(fmt.Sprintf("publisher.galleries[%d].id", i), CodeGalleryNotFound,
				fmt.Sprintf("gallery %s does not exist in the publisher tenant %s.", g.ID, m.Publisher.Tenant),
				"create the gallery, or fix the id (subscription, resource group and gallery name are checked as written)")
		}
	}
	for ci, c := range m.Consumers {
		principal := ""
		if sp := snap.SPs[TenantKey(c.Tenant)]; sp.Status == Found && sp.SP != nil {
			principal = sp.SP.ObjectID
		}
		for gi, gr := range c.Grants {
			missing := snap.Scopes[IDKey(gr.Scope)].Status == Missing
			if principal != "" && snap.Assignments[AssignmentsKey(gr.Scope, principal)].Status == Missing {
				missing = true
			}
			if missing {
				add(fmt.Sprintf("consumers[%d].grants[%d].scope", ci, gi), CodeScopeNotFound,
					fmt.Sprintf("scope %s of consumer %s does not exist in tenant %s.", gr.Scope, c.Name, c.Tenant),
					"create the resource group (or subscription access) there, or fix the grant's scope")
			}
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return ds
}
