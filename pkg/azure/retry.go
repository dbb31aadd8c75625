package azure

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Pipeline retry defaults. azcore alone retries 408, 429, 500, 502, 503, 504
// and transport errors 3 times. Refresh (plan) has no retrier of its own, so
// under steady throttling a read that met four faults in a row failed the
// whole plan. Throttling (429) and 503 say the request was not processed and
// when to come back, so they are safe to retry for any method, as often as the
// time budget allows; a 500/502/504/408 or a broken connection leaves the
// outcome of a write unknown, so those keep azcore's count.
const (
	// DefaultMaxRetries is the retries per call when Options.Retry.MaxRetries
	// is 0 (azcore: 3).
	DefaultMaxRetries = 8
	// DefaultRetryBudget is Options.RetryBudget's default: no retry starts once
	// this much time has passed since the call began (or would pass while
	// waiting for the server's Retry-After).
	DefaultRetryBudget = 2 * time.Minute
	// DefaultMaxRetryDelay caps a single wait (azcore: 60 s). A longer
	// Retry-After is not waited for: the call fails at once as KindThrottled
	// carrying RetryAfter, for the executor's retrier to honour.
	DefaultMaxRetryDelay = 30 * time.Second
	// ambiguousRetries bounds retries after failures other than 429/503.
	ambiguousRetries = 3
)

// retryDefaults fills the zero fields of o with galshare's defaults. It
// leaves StatusCodes alone: nil lets each pipeline keep its own list (azcore's
// for Graph and ARM, IMDS's for managed identity).
func retryDefaults(o policy.RetryOptions) policy.RetryOptions {
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MaxRetryDelay == 0 {
		o.MaxRetryDelay = DefaultMaxRetryDelay
	}
	return o
}

// azcoreStatusCodes is azcore's default list of retryable status codes (used
// when RetryOptions.StatusCodes is nil).
var azcoreStatusCodes = []int{
	http.StatusRequestTimeout,      // 408
	http.StatusTooManyRequests,     // 429
	http.StatusInternalServerError, // 500
	http.StatusBadGateway,          // 502
	http.StatusServiceUnavailable,  // 503
	http.StatusGatewayTimeout,      // 504
}

// retryRules decide, per call of a Graph or ARM pipeline, whether azcore's
// retry policy tries again. They need per-call state (when the call began, how
// many ambiguous failures it met), which retryStart puts in the request's
// context; azcore's ShouldRetry sees only the response, so transport errors
// (no response) are counted and stopped by retryGate below the retry policy.
type retryRules struct {
	codes     []int
	ambiguous int32         // retries allowed after failures other than 429/503
	budget    time.Duration // <= 0: no time bound beyond MaxRetries
	// unreachable and timeouts bound the retries after a request could not
	// reach its endpoint or got no answer in time (network.go); a TLS
	// failure is not retried.
	unreachable, timeouts int32
	// down is shared by a connector's token, Graph and ARM pipelines (nil:
	// none): a call to an endpoint another call just gave up on is not
	// retried after a network failure.
	down *unreachableOrigins
}

// newRetryRules returns the rules for options o (defaults already filled) and
// a budget (0: DefaultRetryBudget, < 0: none).
func newRetryRules(o policy.RetryOptions, budget time.Duration) *retryRules {
	if budget == 0 {
		budget = DefaultRetryBudget
	}
	codes := o.StatusCodes
	if codes == nil {
		codes = azcoreStatusCodes
	}
	return &retryRules{codes: codes, ambiguous: min(ambiguousRetries, max(o.MaxRetries, 0)), budget: budget,
		unreachable: unreachableRetries, timeouts: timeoutRetries}
}

// credentialRetryRules are the rules of the token pipelines: azcore's own
// retries (status codes and count as configured, so managed identity keeps
// its list) except after an unreachable endpoint, which gets the same short
// bound as Graph and ARM. Without it a token request to a dead authority was
// retried MaxRetries times with backoff up to MaxRetryDelay, until MSAL's
// own 30 s deadline turned it into "context deadline exceeded".
func credentialRetryRules(o policy.RetryOptions) *retryRules {
	return &retryRules{ambiguous: int32(max(o.MaxRetries, 0)), budget: -1,
		unreachable: unreachableRetries, timeouts: timeoutRetries}
}

// installGate adds retryStart and retryGate (transport errors only) to the
// options of a token pipeline; ShouldRetry and the status codes stay azcore's.
func (r *retryRules) installGate(o *azcore.ClientOptions) {
	o.PerCallPolicies = append(slices.Clip(o.PerCallPolicies), retryStart{})
	o.PerRetryPolicies = append(slices.Clip(o.PerRetryPolicies), retryGate{r})
}

// apply installs the rules into the options of a Graph or ARM pipeline:
// ShouldRetry, retryStart before azcore's retry policy and retryGate after
// it. A caller's own ShouldRetry wins (the rules are then not installed).
func (r *retryRules) apply(o *azcore.ClientOptions) {
	if o.Retry.ShouldRetry != nil {
		return
	}
	o.Retry.ShouldRetry = r.shouldRetry
	o.PerCallPolicies = append(slices.Clip(o.PerCallPolicies), retryStart{})
	o.PerRetryPolicies = append(slices.Clip(o.PerRetryPolicies), retryGate{r})
}

// callState is one call's retry bookkeeping.
type callState struct {
	start     time.Time
	ambiguous atomic.Int32
	// unreachable and timeouts count the attempts that could not reach
	// the endpoint or got no answer in time.
	unreachable, timeouts atomic.Int32
}

type callStateKey struct{}

func callStateOf(req *http.Request) *callState {
	if req == nil {
		return nil
	}
	st, _ := req.Context().Value(callStateKey{}).(*callState)
	return st
}

// exhausted reports whether a retry after waiting wait would start past the
// budget.
func (r *retryRules) exhausted(st *callState, wait time.Duration) bool {
	return r.budget > 0 && time.Since(st.start)+wait > r.budget
}

// shouldRetry is azcore's ShouldRetry: retryable status codes as configured,
// 429/503 up to MaxRetries, others up to ambiguousRetries, all within the
// budget. Transport errors are left to retryGate.
func (r *retryRules) shouldRetry(resp *http.Response, err error) bool {
	if err != nil {
		return true
	}
	if !slices.Contains(r.codes, resp.StatusCode) {
		return false
	}
	st := callStateOf(resp.Request)
	if st == nil {
		return true
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable &&
		st.ambiguous.Add(1) > r.ambiguous {
		return false
	}
	return !r.exhausted(st, parseRetryAfter(resp.Header))
}

// retryStart is a per-call policy (it runs once, before azcore's retry
// policy) that gives the call fresh retry bookkeeping. A nested pipeline (a
// token request made while authorising this call) does not inherit it: the
// credential pipelines do not install the rules.
type retryStart struct{}

// Do implements policy.Policy.
func (retryStart) Do(req *policy.Request) (*http.Response, error) {
	ctx := context.WithValue(req.Raw().Context(), callStateKey{}, &callState{start: time.Now()})
	return req.WithContext(ctx).Next()
}

// retryGate is a per-try policy (below azcore's retry policy) that stops
// retries after a transport error once the call has used its ambiguous
// retries or its budget, by marking the error non-retriable.
type retryGate struct{ r *retryRules }

// Do implements policy.Policy.
func (g retryGate) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err == nil {
		g.r.down.answered(hostOf(req.Raw().URL))
	}
	if err == nil || req.Raw().Context().Err() != nil {
		return resp, err
	}
	if st := callStateOf(req.Raw()); st != nil && g.r.stopAfter(st, err) {
		return resp, nonRetriable{err}
	}
	return resp, err
}

// stopAfter counts the transport error err against the call's allowances
// and reports whether the call must stop retrying.
func (r *retryRules) stopAfter(st *callState, err error) bool {
	var ne *networkError
	if errors.As(err, &ne) {
		if r.down.isDown(ne.Endpoint) {
			return true
		}
		stop := false
		switch {
		case ne.TLS:
			stop = true
		case ne.Timeout:
			// A hung endpoint is remembered at once: every other call
			// queued behind this one would pay a whole timeout.
			r.down.mark(ne)
			stop = st.timeouts.Add(1) > r.timeouts
		default:
			stop = st.unreachable.Add(1) > r.unreachable
		}
		if stop {
			r.down.mark(ne)
			return true
		}
	}
	return st.ambiguous.Add(1) > r.ambiguous || r.exhausted(st, 0)
}

// nonRetriable marks an error so that azcore's retry policy returns it
// instead of trying again (it looks for a NonRetriable method). It unwraps to
// the original error for classification.
type nonRetriable struct{ err error }

func (e nonRetriable) Error() string { return e.err.Error() }
func (e nonRetriable) Unwrap() error { return e.err }
func (e nonRetriable) NonRetriable() {}

var (
	_ policy.Policy = retryStart{}
	_ policy.Policy = retryGate{}
)
