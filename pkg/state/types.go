package state

import (
	"maps"
	"slices"
	"time"
)

// CurrentVersion is the state format version this galshare writes. Older
// versions are upgraded step by step on load; newer ones are refused, because
// rewriting them would silently drop what a newer galshare recorded.
const CurrentVersion = 1

// Origin says whether galshare made an object or found it already there.
// It decides what destroy may delete: only what galshare created.
type Origin string

const (
	// OriginCreated marks an object galshare created; destroy may delete it.
	OriginCreated Origin = "created"
	// OriginAdopted marks an object that existed before galshare managed it;
	// galshare records and updates it but never deletes it.
	OriginAdopted Origin = "adopted"
)

// Valid reports whether o is one of the known origins, so a hand-edited
// origin cannot turn an adopted object into one destroy would delete.
func (o Origin) Valid() bool { return o == OriginCreated || o == OriginAdopted }

// Resource types galshare records. The set is open (the validator only asks
// for a lower-case identifier) so the planner can add kinds without a format
// change, but these are the names the executor writes today.
const (
	TypeApplication      = "application"
	TypePassword         = "password"
	TypeServicePrincipal = "service_principal"
	TypeRoleAssignment   = "role_assignment"
	TypeWait             = "wait"
)

// Resource is one object galshare manages, keyed by its address (the
// planner's typed address in string form, e.g. "app.myGalleryApp" or
// "sp[fabrikam]"). It holds identifiers and non-secret facts only: enough to
// find the object again in Azure and to decide whether it may be deleted.
type Resource struct {
	// Address is the planner's address in string form; unique within a state.
	Address string `json:"address"`
	// Type is the kind of object, e.g. TypeApplication.
	Type string `json:"type"`
	// Tenant is the Entra tenant the object lives in.
	Tenant string `json:"tenant"`
	// ID is the Graph object id, ARM resource id or password keyId.
	ID string `json:"id"`
	// Origin says whether galshare created or adopted the object.
	Origin Origin `json:"origin"`
	// Attributes holds non-secret facts: appId, hint, endDateTime, scope,
	// roleDefinitionId, principalId… Keys that look like secrets are refused.
	Attributes map[string]string `json:"attributes,omitempty"`
	// CreatedBy names who (user@host) first recorded the object. Filled by
	// Handle.Update from the lock owner when left empty.
	CreatedBy string `json:"createdBy,omitempty"`
	// CreatedAt is when the object was first recorded. Filled by
	// Handle.Update when zero.
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is when the record last changed. Set by Handle.Update
	// whenever the resource differs from the previous write.
	UpdatedAt time.Time `json:"updatedAt"`
}

// clone returns a deep copy so callers never share the Attributes map with
// the handle's copy.
func (r Resource) clone() Resource {
	r.Attributes = maps.Clone(r.Attributes)
	return r
}

// sameContent reports whether two records describe the same object in the
// same way, ignoring the bookkeeping timestamps.
func (r Resource) sameContent(o Resource) bool {
	return r.Address == o.Address && r.Type == o.Type && r.Tenant == o.Tenant &&
		r.ID == o.ID && r.Origin == o.Origin && r.CreatedBy == o.CreatedBy &&
		maps.Equal(r.Attributes, o.Attributes)
}

// ManifestRef records which manifest last wrote the state, so a state can be
// recognised when pointed at the wrong manifest.
type ManifestRef struct {
	// Name is the manifest's name field.
	Name string `json:"name,omitempty"`
	// Path is the manifest path as given on the command line.
	Path string `json:"path,omitempty"`
	// SHA256 is the hex digest of the manifest bytes.
	SHA256 string `json:"sha256,omitempty"`
}

// State is the decoded state file. Values handed out by Handle.State and
// Read are private copies: mutating them changes nothing on disk; mutate
// through Handle.Update.
type State struct {
	// Version is the format version; always CurrentVersion after load.
	Version int `json:"version"`
	// Lineage identifies this state across serials. Empty only when no file
	// exists yet; assigned on the first write.
	Lineage string `json:"lineage,omitempty"`
	// Serial is bumped on every write, so a saved plan can tell whether the
	// state moved since it was made.
	Serial int64 `json:"serial"`
	// Manifest identifies the manifest of the last write.
	Manifest ManifestRef `json:"manifest"`
	// Resources are the managed objects, sorted by address when written.
	Resources []Resource `json:"resources"`
	// Journal lists write calls that started but whose result was not yet
	// recorded; after a crash the next plan reconciles them from Azure.
	Journal []JournalEntry `json:"journal"`

	// exists is true when the state was read from a file (or has been
	// written), false for the empty state of a missing file.
	exists bool
}

// Exists reports whether the state came from a file on disk. A missing file
// reads as an empty state with Exists()==false and no lineage, so a saved
// plan can bind to "no state yet" and be refused once one appears.
func (s *State) Exists() bool { return s != nil && s.exists }

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	if s == nil {
		return nil
	}
	c := *s
	c.Resources = make([]Resource, len(s.Resources))
	for i, r := range s.Resources {
		c.Resources[i] = r.clone()
	}
	c.Journal = make([]JournalEntry, len(s.Journal))
	for i, e := range s.Journal {
		c.Journal[i] = e.clone()
	}
	return &c
}

// Get returns a copy of the resource at address.
func (s *State) Get(address string) (Resource, bool) {
	if i := s.index(address); i >= 0 {
		return s.Resources[i].clone(), true
	}
	return Resource{}, false
}

// Put inserts or replaces the resource at r.Address. It refuses an empty
// address, an unknown origin and secret-looking attribute keys, so a bad
// record never reaches the file.
func (s *State) Put(r Resource) error {
	if err := checkResource(r); err != nil {
		return err
	}
	r = r.clone()
	if i := s.index(r.Address); i >= 0 {
		s.Resources[i] = r
		return nil
	}
	s.Resources = append(s.Resources, r)
	return nil
}

// Remove deletes the resource at address and reports whether it was there.
func (s *State) Remove(address string) bool {
	i := s.index(address)
	if i < 0 {
		return false
	}
	s.Resources = slices.Delete(s.Resources, i, i+1)
	return true
}

// Addresses returns the recorded addresses in sorted order.
func (s *State) Addresses() []string {
	out := make([]string, len(s.Resources))
	for i, r := range s.Resources {
		out[i] = r.Address
	}
	slices.Sort(out)
	return out
}

func (s *State) index(address string) int {
	return slices.IndexFunc(s.Resources, func(r Resource) bool { return r.Address == address })
}

// Ref is the identity of a state at one point in time: what a saved plan
// binds to and re-checks before apply.
type Ref struct {
	// Lineage of the state; empty when there was no state file.
	Lineage string `json:"lineage"`
	// Serial of the state; 0 when there was no state file.
	Serial int64 `json:"serial"`
	// Exists is false when there was no state file.
	Exists bool `json:"exists"`
}

// Ref returns the identity of s for binding a saved plan.
func (s *State) Ref() Ref {
	if s == nil {
		return Ref{}
	}
	return Ref{Lineage: s.Lineage, Serial: s.Serial, Exists: s.exists}
}
