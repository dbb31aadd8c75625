package executor

import (
	"sync"
	"time"
)

// EventType is the kind of a progress event. The names are part of the
// `apply --json` stream, one JSON object per line.
type EventType string

// The event types of an apply.
const (
	// EventStart: an action began.
	EventStart EventType = "start"
	// EventProgress: an action is still working (a retry after consistency
	// lag or throttling, a replication poll).
	EventProgress EventType = "progress"
	// EventComplete: an action ended well (succeeded) or was not attempted
	// (skipped, not started).
	EventComplete EventType = "complete"
	// EventError: an action failed or is blocked on a human.
	EventError EventType = "error"
	// EventInterrupt: the operator pressed Ctrl-C; Message says what
	// happens next (running calls finish, nothing new starts; or a second
	// interrupt cancels them). Emitted by the CLI, not by the walk.
	EventInterrupt EventType = "interrupt"
	// EventSummary: the apply ended; Summary is set.
	EventSummary EventType = "summary"
)

// Event is one line of progress. It never holds a secret value: messages are
// built from addresses, ids and classified Azure errors, which hold none.
type Event struct {
	Type    EventType `json:"type"`
	Time    time.Time `json:"time"`
	Address string    `json:"address,omitempty"`
	Action  string    `json:"action,omitempty"`
	Tenant  string    `json:"tenant,omitempty"`
	// Adopt marks an action that records an existing object in state;
	// Forget one that only removes an object from state (left in Azure).
	Adopt  bool `json:"adopt,omitempty"`
	Forget bool `json:"forget,omitempty"`
	// Status is the walk status for complete/error events.
	Status string `json:"status,omitempty"`
	// Message is a short human line: what is happening or what happened.
	Message string `json:"message,omitempty"`
	// Error and Fix are set on error events.
	Error string `json:"error,omitempty"`
	Fix   string `json:"fix,omitempty"`
	// Cause names the failed or blocked action that made this one skip.
	Cause string `json:"cause,omitempty"`
	// DurationMS is how long the action ran (complete/error events).
	DurationMS int64 `json:"duration_ms,omitempty"`
	// Summary is set on the summary event.
	Summary *Summary `json:"summary,omitempty"`
}

// Sink receives events. The executor serialises calls, so a sink needs no
// locking of its own.
type Sink func(Event)

// emitter serialises events from the walk goroutine and from actions
// reporting progress concurrently.
type emitter struct {
	mu   sync.Mutex
	sink Sink
	now  func() time.Time
}

func (e *emitter) emit(ev Event) {
	if e == nil || e.sink == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = e.now().UTC()
	}
	e.sink(ev)
}
