package state

import (
	"maps"
	"slices"
)

// sameState reports whether a and b record the same content (identity
// fields, manifest, resources and journal in order, timestamps included).
func sameState(a, b *State) bool {
	return a.Version == b.Version && a.Lineage == b.Lineage && a.Serial == b.Serial &&
		a.Manifest == b.Manifest &&
		slices.EqualFunc(a.Resources, b.Resources, func(x, y Resource) bool {
			return x.sameContent(y) && x.CreatedAt.Equal(y.CreatedAt) && x.UpdatedAt.Equal(y.UpdatedAt)
		}) &&
		slices.EqualFunc(a.Journal, b.Journal, func(x, y JournalEntry) bool {
			return x.ID == y.ID && x.Address == y.Address && x.Type == y.Type && x.Tenant == y.Tenant &&
				x.Operation == y.Operation && x.StartedAt.Equal(y.StartedAt) && maps.Equal(x.Intent, y.Intent)
		})
}
