package planner

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The --json rendering is a stable, documented view of a plan
// (docs/plan-json.md). It is a projection of Plan: the executor payloads
// stay in the saved plan file only, so integrations depend on the reviewed
// facts (address, actions, reason, before/after) and not on internals.

// JSONPlan is the top-level object of the --json rendering.
type JSONPlan struct {
	FormatVersion   string       `json:"format_version"`
	GalshareVersion string       `json:"galshare_version,omitempty"`
	CreatedAt       time.Time    `json:"created_at"`
	Manifest        ManifestRef  `json:"manifest"`
	State           StateRef     `json:"state"`
	Destroy         bool         `json:"destroy"`
	Targets         []string     `json:"targets"`
	NoPreflight     bool         `json:"no_preflight"`
	Tenants         []TenantInfo `json:"tenants"`
	Changes         []JSONChange `json:"changes"`
	Summary         Summary      `json:"summary"`
	HasChanges      bool         `json:"has_changes"`
	Blocked         bool         `json:"blocked"`
}

// JSONChange is one change in the --json rendering.
type JSONChange struct {
	Address string `json:"address"`
	Type    string `json:"type"`
	Tenant  string `json:"tenant"`
	// Actions is the list of steps apply takes, in order: ["create"],
	// ["update"], ["delete"], ["create","delete"] for a replace
	// (create-before-destroy), ["adopt"], ["adopt","update"], ["forget"],
	// ["no-op"], ["read"], ["wait"] or ["blocked"].
	Actions         []string          `json:"actions"`
	Action          string            `json:"action"`
	Reason          string            `json:"reason"`
	Origin          string            `json:"origin,omitempty"`
	PreviousAddress string            `json:"previous_address,omitempty"`
	Before          map[string]string `json:"before"`
	After           map[string]string `json:"after"`
	DependsOn       []string          `json:"depends_on"`
	Fingerprint     string            `json:"fingerprint,omitempty"`
	Blocked         *BlockedInfo      `json:"blocked,omitempty"`
}

// ActionsList is the "actions" array of a change (see JSONChange).
func ActionsList(c *Change) []string {
	switch {
	case c.Forget:
		return []string{"forget"}
	case c.Adopt && c.Action == Update:
		return []string{"adopt", "update"}
	case c.Adopt:
		return []string{"adopt"}
	case c.Action == Replace:
		return []string{"create", "delete"}
	}
	return []string{c.Action.String()}
}

// ToJSON projects a plan onto the documented JSON view.
func ToJSON(p *Plan) *JSONPlan {
	out := &JSONPlan{
		FormatVersion:   FormatVersion,
		GalshareVersion: p.GalshareVersion,
		CreatedAt:       p.CreatedAt,
		Manifest:        p.Manifest,
		State:           p.State,
		Destroy:         p.Destroy,
		Targets:         []string{},
		NoPreflight:     p.NoPreflight,
		Tenants:         p.Tenants,
		Changes:         make([]JSONChange, 0, len(p.Changes)),
		Summary:         p.Summary(),
		HasChanges:      p.HasChanges(),
		Blocked:         p.IsBlocked(),
	}
	for _, t := range p.Targets {
		out.Targets = append(out.Targets, t.String())
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		jc := JSONChange{
			Address: c.Address.String(), Type: string(c.Type), Tenant: c.Tenant,
			Actions: ActionsList(c), Action: c.Action.String(), Reason: c.Reason, Origin: c.Origin,
			Before: c.Before, After: c.After, DependsOn: []string{}, Fingerprint: c.Fingerprint, Blocked: c.Blocked,
		}
		if !c.PreviousAddress.IsZero() {
			jc.PreviousAddress = c.PreviousAddress.String()
		}
		for _, d := range c.DependsOn {
			jc.DependsOn = append(jc.DependsOn, d.String())
		}
		out.Changes = append(out.Changes, jc)
	}
	return out
}

// RenderJSON writes the documented JSON view, indented, with a final
// newline.
func RenderJSON(w io.Writer, p *Plan) error {
	b, err := json.MarshalIndent(ToJSON(p), "", "  ")
	if err != nil {
		return fmt.Errorf("render plan as JSON: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
