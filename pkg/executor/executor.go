package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// StateStore is the part of *state.Handle the executor needs: one record
// and its open journal entries at a time (an action looks at its own, and a
// copy of the whole state per action made a fleet's apply quadratic), and an
// atomic, locked update. Tests may use the real handle on a temporary file.
type StateStore interface {
	Get(address string) (state.Resource, bool)
	OpenJournal(address string) []state.JournalEntry
	Update(ctx context.Context, fn func(*state.State) error) error
}

// Hooks are test points called at the moments a crash matters most: right
// after an Azure write call returned (its result not yet in state), right
// after a new secret was delivered (not yet in state), and right after a
// result was recorded. The CLI wires them to an environment variable so crash
// tests can SIGKILL a real apply at each point; production leaves them nil.
// They are called from the actions' goroutines, concurrently.
type Hooks struct {
	AfterCall    func(address string)
	AfterDeliver func(address string)
	AfterRecord  func(address string)
}

// Options configure one apply.
type Options struct {
	// Clients gives per-tenant Graph and ARM access.
	Clients azure.Clients
	// Vaults opens Key Vaults for keyvault: secret delivery (nil: such a
	// delivery fails and the new password is removed again).
	Vaults azure.KeyVaults
	// State records every result as it lands.
	State StateStore
	// Parallelism bounds the actions in flight (default 10), and so the
	// calls in flight unless ActionsInFlight says otherwise.
	Parallelism int
	// ActionsInFlight, when above Parallelism, lets that many actions run at
	// once. Set it only when Clients themselves bound their requests in
	// flight to Parallelism (azure.Options.MaxInFlight, as the CLI does):
	// an action spends part of its time on state writes (two fsyncs per
	// write call), read-backs' and replication waits, and backoffs, and with
	// one action per call slot those moments left a slot idle — about a
	// third of them at 50 ms per call.
	ActionsInFlight int
	// Stop, when closed, starts nothing new (first Ctrl-C); cancelling the
	// context passed to Apply aborts in-flight calls (second Ctrl-C).
	Stop <-chan struct{}
	// WaitTimeout bounds each replication wait (default 30m); WaitInterval is
	// the polling period (default 15s).
	WaitTimeout, WaitInterval time.Duration
	// Retry is the template for retrying lag, throttling and transient
	// errors; its Classify is set per action. Zero means the defaults (1s
	// backoff doubling to 30s, 5m deadline).
	Retry Retrier
	// Events receives progress (nil = none).
	Events Sink
	// Logger logs at debug/trace (nil = none). Never given a secret.
	Logger hclog.Logger
	// Now is the clock (nil = time.Now); secrets' endDateTime derive from it.
	Now func() time.Time
	// Hooks are crash-test points (nil = none).
	Hooks *Hooks
	// OwnFiles are the files galshare itself uses in this run (state, lock,
	// plan, cloud, credentials files...): a secret is never delivered into
	// one of them, checked by identity just before it is created and written.
	OwnFiles []spec.OwnFile
	// AnswerGrace is how long a call that is not idempotent (addPassword),
	// already sent when the context is cancelled, may still take to
	// answer (default 15s); see answerGrace.
	AnswerGrace time.Duration
}

const (
	defaultParallelism  = 10
	defaultWaitTimeout  = 30 * time.Minute
	defaultWaitInterval = 15 * time.Second
	defaultAnswerGrace  = 15 * time.Second
	// lateWriteWindow is how long after a write call started it may still
	// take effect: the HTTP client gives up after 2 minutes, and a server
	// may finish a write whose client went away later still. A journalled
	// create whose object is not found is kept open this long (see
	// settleJournal).
	lateWriteWindow = 30 * time.Minute
)

// run is the state of one apply shared by its actions.
type run struct {
	opts Options
	plan *planner.Plan
	out  *outputs
	ev   *emitter
	log  hclog.Logger
	// pending are the journal entries left open on purpose (record.go).
	pending pendingEntries
}

// Apply walks the plan's graph and applies every change. It returns an error
// only when the plan cannot be walked at all (invalid graph); failures of
// individual actions, blocked actions and interruptions are in the report.
// State is recorded as each action lands, so it is saved whatever happens.
func Apply(ctx context.Context, plan *planner.Plan, opts Options) (*Report, error) {
	if opts.Clients == nil || opts.State == nil {
		return nil, errors.New("executor: Clients and State are required")
	}
	if err := plan.Validate(); err != nil {
		return nil, fmt.Errorf("executor: invalid plan: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = defaultParallelism
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = defaultWaitTimeout
	}
	if opts.WaitInterval <= 0 {
		opts.WaitInterval = defaultWaitInterval
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.AnswerGrace <= 0 {
		opts.AnswerGrace = defaultAnswerGrace
	}
	r := &run{
		opts: opts,
		plan: plan,
		out:  newOutputs(),
		ev:   &emitter{sink: opts.Events, now: opts.Now},
		log:  opts.Logger,
	}
	nodes := make([]Node, 0, len(plan.Changes))
	byID := make(map[string]*planner.Change, len(plan.Changes))
	for i := range plan.Changes {
		c := &plan.Changes[i]
		deps := make([]string, len(c.DependsOn))
		for j, d := range c.DependsOn {
			deps[j] = d.String()
		}
		id := c.Address.String()
		byID[id] = c
		nodes = append(nodes, Node{ID: id, Deps: deps, Run: func(ctx context.Context) error { return r.apply(ctx, c) }})
	}
	start := opts.Now()
	res, err := Walk(ctx, nodes, WalkOptions{
		Parallelism: opts.actionsInFlight(),
		Stop:        opts.Stop,
		Now:         opts.Now,
		OnStart: func(id string) {
			c := byID[id]
			r.ev.emit(Event{Type: EventStart, Address: id, Action: c.Action.String(), Tenant: c.Tenant, Adopt: c.Adopt, Forget: c.Forget, Message: startMessage(c)})
		},
		OnDone: func(res NodeResult) { r.ev.emit(resultEvent(byID[res.ID], res)) },
	})
	if err != nil {
		return nil, fmt.Errorf("executor: %w", err)
	}
	rep := newReport(plan, res, opts.Now().Sub(start))
	rep.fillAppID(r.appID())
	r.ev.emit(Event{Type: EventSummary, Summary: &rep.Summary, DurationMS: rep.Summary.DurationMS})
	return rep, nil
}

// appID is the app's client id once known (planned or just created), so
// blocked instructions can show it instead of a placeholder.
func (r *run) appID() string {
	for _, c := range r.plan.Changes {
		if c.Type == planner.TypeApplication {
			return firstNonEmpty(c.App.AppID, r.out.get(c.Address).AppID)
		}
	}
	return ""
}

// apply performs one change. Every path returns an error that names the
// object and carries a fix when one is known.
func (r *run) apply(ctx context.Context, c *planner.Change) error {
	if c.Action == planner.Blocked {
		return blockedError(c)
	}
	if c.Forget {
		// An adopted object leaving management, or one already gone: only
		// state changes; galshare never deletes what it did not create.
		return r.forget(ctx, c, "")
	}
	var err error
	switch c.Type {
	case planner.TypeApplication:
		err = r.applyApp(ctx, c)
	case planner.TypePassword:
		err = r.applyPassword(ctx, c)
	case planner.TypeServicePrincipal:
		err = r.applyServicePrincipal(ctx, c)
	case planner.TypeRoleAssignment:
		err = r.applyRoleAssignment(ctx, c)
	case planner.TypeWait:
		err = r.applyWait(ctx, c)
	default:
		err = fmt.Errorf("unknown resource type %q", c.Type)
	}
	return err
}

// unsupported is the error for an action a resource type has no meaning for;
// the planner never produces one, so it points at a bug or a hand-edited plan.
func unsupported(c *planner.Change) error {
	return fmt.Errorf("%s: action %s is not supported for a %s", c.Address, c.Action, c.Type)
}

// BlockedError is what a blocked action ends with: the plan's instructions
// for the human who must act. It wraps ErrBlocked.
type BlockedError struct {
	Address string
	Info    planner.BlockedInfo
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s: blocked: %s", e.Address, e.Info.Why)
}

// Unwrap makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

func blockedError(c *planner.Change) error {
	be := &BlockedError{Address: c.Address.String()}
	if c.Blocked != nil {
		be.Info = *c.Blocked
	}
	return be
}

func startMessage(c *planner.Change) string {
	if c.Reason != "" {
		return c.Action.String() + ": " + c.Reason
	}
	return c.Action.String()
}

func resultEvent(c *planner.Change, res NodeResult) Event {
	ev := Event{
		Type:       EventComplete,
		Address:    res.ID,
		Action:     c.Action.String(),
		Tenant:     c.Tenant,
		Adopt:      c.Adopt,
		Forget:     c.Forget,
		Status:     res.Status.String(),
		Cause:      res.Cause,
		DurationMS: res.Duration().Milliseconds(),
	}
	switch res.Status {
	case StatusFailed, StatusBlocked:
		ev.Type = EventError
		ev.Error = res.Err.Error()
		ev.Fix = fixFor(res.Err)
	case StatusSkipped:
		ev.Message = "skipped: upstream " + res.Cause + " did not succeed"
	case StatusNotStarted:
		ev.Message = "not started: apply was interrupted"
	case StatusCancelled:
		ev.Message = "cancelled by a second interrupt; the next plan settles whether the call took effect"
	}
	return ev
}

// fixFor extracts the advice carried by an error: an Azure error's Fix, or a
// blocked action's instructions.
func fixFor(err error) string {
	var be *BlockedError
	if errors.As(err, &be) {
		switch {
		case be.Info.ConsentURL != "":
			return "an administrator of the tenant opens " + be.Info.ConsentURL + " and consents, then run apply again"
		case be.Info.Command != "":
			return "run: " + be.Info.Command + ", then run apply again"
		}
		return "act as the plan describes, then run apply again"
	}
	var ae *azure.Error
	if errors.As(err, &ae) && ae.Fix != "" {
		return ae.Fix
	}
	var se *StaleError
	if errors.As(err, &se) {
		return "run plan again and review the new plan"
	}
	return ""
}

// actionsInFlight is how many actions the walk runs at once: Parallelism, or
// ActionsInFlight when that is larger (the clients then bound the calls).
func (o Options) actionsInFlight() int { return max(o.Parallelism, o.ActionsInFlight) }
