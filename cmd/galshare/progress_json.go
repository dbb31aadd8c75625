package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/galshare/galshare/pkg/executor"
)

// jsonView streams `apply --json`: one executor.Event per line (types start,
// progress, complete, error, summary). Events never hold a secret.
type jsonView struct{ enc *json.Encoder }

func newJSONView(w io.Writer) *jsonView { return &jsonView{enc: json.NewEncoder(w)} }

func (v *jsonView) Event(ev executor.Event) { _ = v.enc.Encode(ev) }

// Notice is an "interrupt" event: a script sees the stop as it happens.
func (v *jsonView) Notice(msg string) {
	_ = v.enc.Encode(executor.Event{Type: executor.EventInterrupt, Time: time.Now().UTC(), Message: msg})
}

// Running is not tracked by the JSON stream (its reader counts events).
func (v *jsonView) Running() int { return -1 }

func (v *jsonView) Close() {}
