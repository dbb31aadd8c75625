package executor

import (
	"fmt"
	"sync"

	"github.com/galshare/galshare/pkg/planner"
)

// output is what an applied change hands to its dependants: ids that only
// exist once the object does (an app's object id and appId, a service
// principal's object id in its tenant).
type output struct {
	ObjectID string
	AppID    string
}

// outputs is the apply-wide table of outputs, written by actions as they
// finish and read by their dependants (which the walk starts only after).
type outputs struct {
	mu sync.Mutex
	m  map[planner.Address]output
}

func newOutputs() *outputs { return &outputs{m: map[planner.Address]output{}} }

func (o *outputs) set(a planner.Address, v output) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[a] = v
}

func (o *outputs) get(a planner.Address) output {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[a]
}

// appIDOf is the app's client id for a change that needs it: the plan's when
// known at plan time, else the output of the app's change at from.
func (r *run) appIDOf(planned string, from planner.Address) (string, error) {
	return pick(planned, r.out.get(from).AppID, "the app's appId", from)
}

// pick returns the plan-time value when known, else the output of the
// dependency, else an error naming both (which means a planner bug or a
// dependency that produced nothing).
func pick(planned, produced, what string, from planner.Address) (string, error) {
	if planned != "" {
		return planned, nil
	}
	if produced != "" {
		return produced, nil
	}
	return "", fmt.Errorf("%s is unknown: neither the plan nor %s provided it", what, from)
}
