package planner

import (
	"fmt"
	"time"
)

// FormatVersion is the version of the plan's JSON forms (the saved plan file
// and the --json rendering). A reader refuses a major version it does not
// know. 1.1 added no_preflight and made the manifest's path and sha256
// mandatory in a saved plan, so apply can re-derive the plan and refuse a
// file that differs from it.
const FormatVersion = "1.1"

// Plan is the reviewed unit of work: the changes in dependency order plus
// what binds them to the inputs they were computed from, so apply can refuse
// a stale plan.
type Plan struct {
	// FormatVersion is FormatVersion when written.
	FormatVersion string `json:"format_version"`
	// GalshareVersion is the version of the binary that made the plan.
	GalshareVersion string `json:"galshare_version,omitempty"`
	// CreatedAt is when the plan was computed (UTC).
	CreatedAt time.Time `json:"created_at"`
	// Manifest identifies the manifest by name, path and content hash.
	Manifest ManifestRef `json:"manifest"`
	// State binds the plan to the state it was computed against.
	State StateRef `json:"state"`
	// Destroy is set for a plan made with --destroy.
	Destroy bool `json:"destroy,omitempty"`
	// Targets are the --target addresses the plan was limited to.
	Targets []Address `json:"targets,omitempty"`
	// NoPreflight is set for a plan made with --no-preflight: apply of the
	// saved plan re-derives it the same way (see VerifyRederived).
	NoPreflight bool `json:"no_preflight,omitempty"`
	// Tenants lists every tenant the plan touches, publisher first, in
	// manifest order; renderers group changes by it.
	Tenants []TenantInfo `json:"tenants"`
	// Changes are topologically sorted: every change comes after all the
	// changes it depends on. No-op changes are kept so that dependants can
	// take outputs (ids) from them and fingerprints are checked.
	Changes []Change `json:"changes"`
}

// ManifestRef identifies the manifest a plan was made from.
type ManifestRef struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// StateRef binds a plan to one version of the state file. Exists false means
// "no state file yet": apply then refuses if a state file has appeared.
type StateRef struct {
	Exists  bool   `json:"exists"`
	Lineage string `json:"lineage,omitempty"`
	Serial  int64  `json:"serial"`
}

// TenantInfo describes one tenant for grouping and for the reader.
type TenantInfo struct {
	ID string `json:"id"`
	// Role is "publisher" or "consumer".
	Role string `json:"role"`
	// Consumer is the consumer's name (empty for the publisher).
	Consumer string `json:"consumer,omitempty"`
	// Access is "managed" or "manual" for consumers, "removed" for a
	// tenant only state remembers.
	Access string `json:"access,omitempty"`
	// Readable says whether refresh could read the tenant; when false,
	// Note says why.
	Readable bool   `json:"readable"`
	Note     string `json:"note,omitempty"`
}

// Label is the tenant's heading in renderings, e.g. "publisher tenant 1111…"
// or "consumer fabrikam (tenant 2222…)".
func (t TenantInfo) Label() string {
	if t.Role == "publisher" {
		return "publisher tenant " + t.ID
	}
	s := "consumer " + t.Consumer + " (tenant " + t.ID
	switch t.Access {
	case "manual":
		s += ", manual"
	case "removed":
		s += ", no longer in the manifest"
	}
	return s + ")"
}

// Summary counts the plan's changes the way the closing line states them.
// A Replace counts as one to add and one to destroy, like Terraform.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	Adopt   int `json:"adopt"`
	Forget  int `json:"forget"`
	Wait    int `json:"wait"`
	Read    int `json:"read"`
	Blocked int `json:"blocked"`
	NoOp    int `json:"no_op"`
}

// Summary counts the changes by action.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		if c.Adopt {
			s.Adopt++
		}
		if c.Forget {
			s.Forget++
		}
		switch c.Action {
		case Create:
			s.Add++
		case Update:
			s.Change++
		case Delete:
			s.Destroy++
		case Replace:
			s.Add++
			s.Destroy++
		case Wait:
			s.Wait++
		case Read:
			s.Read++
		case Blocked:
			s.Blocked++
		case NoOp:
			if !c.Adopt && !c.Forget {
				s.NoOp++
			}
		}
	}
	return s
}

// HasChanges reports whether apply has anything to do besides blocked
// actions: a write, a wait, or a state-only change (adopt, forget).
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action.IsChange() || c.Adopt || c.Forget {
			return true
		}
	}
	return false
}

// IsBlocked reports whether some change needs a human first (exit code 3).
func (p *Plan) IsBlocked() bool {
	for _, c := range p.Changes {
		if c.Action == Blocked {
			return true
		}
	}
	return false
}

// Change returns the change at addr, or nil.
func (p *Plan) Change(addr Address) *Change {
	for i := range p.Changes {
		if p.Changes[i].Address == addr {
			return &p.Changes[i]
		}
	}
	return nil
}

// Tenant returns the TenantInfo for a tenant id, or a bare one.
func (p *Plan) Tenant(id string) TenantInfo {
	for _, t := range p.Tenants {
		if t.ID == id {
			return t
		}
	}
	return TenantInfo{ID: id, Role: "consumer", Readable: true}
}

// Validate checks the invariants the executor relies on: unique addresses,
// dependencies that exist and come earlier (a topological order, hence no
// cycle), exactly the payload matching each change's type, and Blocked info
// exactly on blocked changes.
func (p *Plan) Validate() error {
	if p.FormatVersion == "" {
		return fmt.Errorf("plan has no format_version")
	}
	seen := make(map[Address]bool, len(p.Changes))
	for i, c := range p.Changes {
		if c.Address.Kind == AddrInvalid {
			return fmt.Errorf("change %d has no address", i)
		}
		if seen[c.Address] {
			return fmt.Errorf("duplicate change for %s", c.Address)
		}
		for _, d := range c.DependsOn {
			if !seen[d] {
				return fmt.Errorf("%s depends on %s, which is not an earlier change in the plan", c.Address, d)
			}
		}
		seen[c.Address] = true
		if want := c.Address.ResourceType(); c.Type != want {
			return fmt.Errorf("%s has type %q, want %q", c.Address, c.Type, want)
		}
		if err := c.checkPayload(); err != nil {
			return fmt.Errorf("%s: %w", c.Address, err)
		}
		if (c.Action == Blocked) != (c.Blocked != nil) {
			return fmt.Errorf("%s: blocked details must be present exactly on a blocked action", c.Address)
		}
	}
	return nil
}

func (c *Change) checkPayload() error {
	n := 0
	var ok bool
	if c.App != nil {
		n++
		ok = c.Type == TypeApplication
	}
	if c.Password != nil {
		n++
		ok = c.Type == TypePassword
	}
	if c.ServicePrincipal != nil {
		n++
		ok = c.Type == TypeServicePrincipal
	}
	if c.RoleAssignment != nil {
		n++
		ok = c.Type == TypeRoleAssignment
	}
	if c.Wait != nil {
		n++
		ok = c.Type == TypeWait
	}
	if n != 1 || !ok {
		return fmt.Errorf("want exactly one payload matching type %q", c.Type)
	}
	return nil
}
