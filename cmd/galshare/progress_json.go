package main

import (
	"encoding/json"
	"io"

	"github.com/galshare/galshare/pkg/executor"
)

// jsonView streams `apply --json`: one executor.Event per line (types start,
// progress, complete, error, summary). Events never hold a secret.
type jsonView struct{ enc *json.Encoder }

func newJSONView(w io.Writer) *jsonView { return &jsonView{enc: json.NewEncoder(w)} }

func (v *jsonView) Event(ev executor.Event) { _ = v.enc.Encode(ev) }

func (v *jsonView) Close() {}
