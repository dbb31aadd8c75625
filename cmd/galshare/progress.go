package main

import (
	"io"
	"strings"
	"sync"
	"time"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/termtext"
)

// applyView shows an apply's progress. The executor serialises events, so
// views need no locking for Event; Close flushes and is called once, after
// the summary event.
type applyView interface {
	Event(executor.Event)
	// Notice prints a line at once, outside the per-action lines (the
	// answer to a Ctrl-C).
	Notice(msg string)
	// Running is the number of actions in flight.
	Running() int
	Close()
}

// newApplyView picks the view: one JSON event per line with --json, a live
// view (mpb) when stdout is a terminal, else one line per action.
func newApplyView(a *app, jsonOut bool) applyView {
	switch {
	case jsonOut:
		return newJSONView(a.stdout)
	case a.isTTY:
		return newLiveView(a.stdout, a.useColor(), a.termSize)
	default:
		return &lineView{w: a.stdout}
	}
}

// outcome is the word for what happened to an action, e.g. "created",
// "replication complete", "skipped".
func outcome(ev executor.Event) string {
	switch ev.Status {
	case "succeeded":
		switch ev.Action {
		case "create":
			return "created"
		case "update":
			return "updated"
		case "delete":
			return "deleted"
		case "replace":
			return "replaced"
		case "wait":
			return "ready"
		case "read":
			return "read"
		}
		if ev.Adopt {
			return "recorded in state (already existed)"
		}
		if ev.Forget {
			return "removed from state only (galshare did not create it, so it stays in Azure)"
		}
		return "unchanged"
	case "skipped":
		return "skipped (upstream " + ev.Cause + " did not succeed)"
	case "not started":
		return "not started (interrupted)"
	case "cancelled":
		return "cancelled (second interrupt)"
	}
	return ev.Status
}

// quiet reports events the human views leave out: starts and ends of
// unchanged objects (the plan already said so). The JSON stream keeps them.
func quiet(ev executor.Event) bool {
	return ev.Action == "no-op" && !ev.Adopt && !ev.Forget && (ev.Type == executor.EventStart || ev.Status == "succeeded")
}

// round keeps durations short in progress lines.
func round(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// lineView writes one line per finished action (address, outcome,
// duration) and one per progress report (retries, replication polls), for
// logs and CI.
type lineView struct {
	w       io.Writer
	mu      sync.Mutex
	running map[string]bool
}

func (v *lineView) Event(ev executor.Event) {
	if quiet(ev) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	switch ev.Type {
	case executor.EventStart:
		if v.running == nil {
			v.running = map[string]bool{}
		}
		v.running[ev.Address] = true
	case executor.EventComplete, executor.EventError:
		delete(v.running, ev.Address)
	}
	switch ev.Type {
	case executor.EventProgress:
		termtext.Fprintf(v.w, "%s: %s\n", ev.Address, ev.Message)
	case executor.EventComplete:
		if ev.DurationMS > 0 || ev.Status == "succeeded" {
			termtext.Fprintf(v.w, "%s: %s [%s]\n", ev.Address, outcome(ev), round(ev.DurationMS))
		} else {
			termtext.Fprintf(v.w, "%s: %s\n", ev.Address, outcome(ev))
		}
	case executor.EventError:
		termtext.Fprintf(v.w, "%s: %s [%s]: %s\n", ev.Address, ev.Status, round(ev.DurationMS), eventError(ev))
	}
}

// Notice prints msg on a line of its own.
func (v *lineView) Notice(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	io.WriteString(v.w, msg+"\n")
}

// Running is the number of actions started and not yet ended.
func (v *lineView) Running() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.running)
}

func (v *lineView) Close() {}

// eventError is an error event's message without the address and status
// the view already printed before it ("sp[x]: blocked: …" said once).
func eventError(ev executor.Event) string {
	msg := strings.TrimPrefix(ev.Error, ev.Address+": ")
	return strings.TrimPrefix(msg, ev.Status+": ")
}
