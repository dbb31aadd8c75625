package executor

import (
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/planner"
)

// ActionResult is the outcome of one planned change.
type ActionResult struct {
	Address string        `json:"address"`
	Action  string        `json:"action"`
	Tenant  string        `json:"tenant,omitempty"`
	Status  Status        `json:"-"`
	Err     error         `json:"-"`
	Cause   string        `json:"cause,omitempty"`
	Elapsed time.Duration `json:"-"`
}

// Failure is a root-cause failure listed in the summary with its fix.
type Failure struct {
	Address string `json:"address"`
	Tenant  string `json:"tenant,omitempty"`
	Action  string `json:"action"`
	Error   string `json:"error"`
	Fix     string `json:"fix,omitempty"`
	// Skipped lists the actions that did not run because of this failure.
	Skipped []string `json:"skipped,omitempty"`
}

// BlockedAction is a change that needs a human, with the plan's exact URLs
// and commands.
type BlockedAction struct {
	Address string              `json:"address"`
	Tenant  string              `json:"tenant,omitempty"`
	Info    planner.BlockedInfo `json:"info"`
}

// Summary counts the outcomes of an apply and lists what went wrong. It is
// the payload of the final `summary` JSON event.
type Summary struct {
	Succeeded  int `json:"succeeded"`
	Failed     int `json:"failed"`
	Blocked    int `json:"blocked"`
	Skipped    int `json:"skipped"`
	NotStarted int `json:"not_started"`
	// Cancelled actions were cut short by a second interrupt; whether their
	// call took effect is settled by the next plan (journal).
	Cancelled int  `json:"cancelled,omitempty"`
	Stopped   bool `json:"stopped,omitempty"`
	// Added … Waited split the succeeded actions the way the plan's closing
	// line counts its changes (a replace is one added and one destroyed), so
	// "Plan: 6 to add" is followed by "6 added", not by a total that also
	// counts adoptions and no-ops.
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Destroyed int `json:"destroyed"`
	Adopted   int `json:"adopted,omitempty"`
	Forgotten int `json:"forgotten,omitempty"`
	Waited    int `json:"waited,omitempty"`
	// Delivered says where each new client secret went (never its value).
	Delivered []Delivered `json:"delivered,omitempty"`
	// Failures are the root causes only; actions skipped because of them
	// are listed under each.
	Failures []Failure `json:"failures,omitempty"`
	// BlockedActions are every blocked change of the plan, whether or not
	// the walk reached it, so the operator sees every consent URL and grant
	// command at once.
	BlockedActions []BlockedAction `json:"blocked_actions,omitempty"`
	DurationMS     int64           `json:"duration_ms"`
}

// Delivered is a secret apply created and delivered: the password's
// address and the delivery target, so the operator knows where to fetch it.
type Delivered struct {
	Address string `json:"address"`
	Target  string `json:"target"`
}

// Report is the full result of an apply.
type Report struct {
	Results []ActionResult
	Summary Summary
}

// Exit codes of an apply, matching the CLI's documented ones.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitBlocked = 3
)

// ExitCode maps the report to the CLI's exit code: 1 when something failed or
// the apply was interrupted, else 3 when a human must act, else 0.
func (r *Report) ExitCode() int {
	switch {
	case r.Summary.Failed > 0 || r.Summary.Stopped:
		return ExitFailure
	case len(r.Summary.BlockedActions) > 0:
		return ExitBlocked
	}
	return ExitOK
}

// appIDPlaceholder is what the planner writes in consent URLs and grant
// commands when the app does not exist yet.
const appIDPlaceholder = "<appId>"

// fillAppID replaces the planner's appId placeholder in blocked
// instructions once apply created the app, so the admin can act at once.
func (r *Report) fillAppID(appID string) {
	if appID == "" {
		return
	}
	fill := func(s string) string { return strings.ReplaceAll(s, appIDPlaceholder, appID) }
	for i := range r.Summary.BlockedActions {
		in := &r.Summary.BlockedActions[i].Info
		had := strings.Contains(in.ConsentURL+in.AdminConsentURL+in.Command, appIDPlaceholder)
		in.ConsentURL, in.AdminConsentURL, in.Command = fill(in.ConsentURL), fill(in.AdminConsentURL), fill(in.Command)
		var kept []string
		for _, s := range in.Instructions {
			// The planner's note that the appId is not known yet is now
			// wrong: drop it.
			if had && strings.HasPrefix(s, "The appId is not known yet") {
				continue
			}
			kept = append(kept, fill(s))
		}
		in.Instructions = kept
	}
}

func newReport(plan *planner.Plan, res WalkResult, elapsed time.Duration) *Report {
	rep := &Report{}
	failIndex := map[string]int{}
	for i, wr := range res.Results {
		c := &plan.Changes[i]
		ar := ActionResult{
			Address: wr.ID, Action: c.Action.String(), Tenant: c.Tenant,
			Status: wr.Status, Err: wr.Err, Cause: wr.Cause, Elapsed: wr.Duration(),
		}
		rep.Results = append(rep.Results, ar)
		s := &rep.Summary
		switch wr.Status {
		case StatusSucceeded:
			s.Succeeded++
			s.countSucceeded(c)
		case StatusFailed:
			s.Failed++
			failIndex[wr.ID] = len(s.Failures)
			s.Failures = append(s.Failures, Failure{
				Address: wr.ID, Tenant: c.Tenant, Action: c.Action.String(),
				Error: wr.Err.Error(), Fix: fixFor(wr.Err),
			})
		case StatusBlocked:
			s.Blocked++
		case StatusSkipped:
			s.Skipped++
		case StatusNotStarted:
			s.NotStarted++
		case StatusCancelled:
			s.Cancelled++
		}
		if c.Action == planner.Blocked && c.Blocked != nil {
			s.BlockedActions = append(s.BlockedActions, BlockedAction{Address: wr.ID, Tenant: c.Tenant, Info: *c.Blocked})
		}
	}
	for _, ar := range rep.Results {
		if ar.Status == StatusSkipped {
			if i, ok := failIndex[ar.Cause]; ok {
				rep.Summary.Failures[i].Skipped = append(rep.Summary.Failures[i].Skipped, ar.Address)
			}
		}
	}
	rep.Summary.Stopped = res.Stopped
	rep.Summary.DurationMS = elapsed.Milliseconds()
	return rep
}

// countSucceeded adds a succeeded change to the per-kind counts.
func (s *Summary) countSucceeded(c *planner.Change) {
	if c.Adopt {
		s.Adopted++
	}
	if c.Forget {
		s.Forgotten++
	}
	switch c.Action {
	case planner.Create:
		s.Added++
	case planner.Update:
		s.Changed++
	case planner.Delete:
		s.Destroyed++
	case planner.Replace:
		s.Added++
		s.Destroyed++
	case planner.Wait:
		s.Waited++
	}
	if c.Password != nil && (c.Action == planner.Create || c.Action == planner.Replace) {
		s.Delivered = append(s.Delivered, Delivered{Address: c.Address.String(), Target: c.Password.DeliverTo.String()})
	}
}
