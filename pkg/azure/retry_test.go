package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// errDropped stands for a connection dropped without a response.
var errDropped = errors.New("connection reset by peer")

// scriptTransport answers the n-th attempt with script[n] (a status code, or
// 0 for errDropped) and 200 after the script ends.
type scriptTransport struct {
	script     []int
	retryAfter string // retry-after-ms sent with 429 and 503
	attempts   atomic.Int32
}

func (s *scriptTransport) Do(req *http.Request) (*http.Response, error) {
	n := int(s.attempts.Add(1)) - 1
	status := http.StatusOK
	if n < len(s.script) {
		status = s.script[n]
	}
	if status == 0 {
		return nil, errDropped
	}
	h := http.Header{}
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && s.retryAfter != "" {
		h.Set("Retry-After-Ms", s.retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

func repeat(status, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = status
	}
	return out
}

// TestRetryRules runs calls through a pipeline built like the connector's
// Graph and ARM pipelines (galshare's defaults, with a 1 ms base delay to keep
// it fast) and counts attempts. The "azcore defaults" rows are the control:
// the same script fails without galshare's rules.
func TestRetryRules(t *testing.T) {
	const (
		tooMany = http.StatusTooManyRequests
		unavail = http.StatusServiceUnavailable
		ise     = http.StatusInternalServerError
		drop    = 0
	)
	cases := []struct {
		name         string
		method       string
		script       []int
		azcoreOnly   bool          // plain azcore options, no galshare rules
		budget       time.Duration // 0: default
		wantStatus   int           // 0: a transport error
		wantAttempts int32
	}{
		{"429 eight times then ok", http.MethodGet, repeat(tooMany, 8), false, 0, 200, 9},
		{"429 eight times, azcore defaults", http.MethodGet, repeat(tooMany, 8), true, 0, tooMany, 4},
		{"429 for ever stops at MaxRetries", http.MethodGet, repeat(tooMany, 20), false, 0, tooMany, 9},
		{"503 five times then ok", http.MethodGet, repeat(unavail, 5), false, 0, 200, 6},
		{"429 on a POST is retried as often", http.MethodPost, repeat(tooMany, 6), false, 0, 200, 7},
		{"500 three times then ok", http.MethodGet, repeat(ise, 3), false, 0, 200, 4},
		{"500 four times fails after 3 retries", http.MethodGet, repeat(ise, 4), false, 0, ise, 4},
		{"500 on a POST keeps 3 retries", http.MethodPost, repeat(ise, 6), false, 0, ise, 4},
		{"mixed: 3 ambiguous among throttling", http.MethodGet, []int{tooMany, ise, tooMany, unavail, ise, tooMany, ise}, false, 0, 200, 8},
		{"mixed: a 4th ambiguous failure stops", http.MethodGet, []int{ise, tooMany, ise, tooMany, ise, ise}, false, 0, ise, 6},
		{"dropped three times then ok", http.MethodGet, repeat(drop, 3), false, 0, 200, 4},
		{"dropped four times fails", http.MethodPost, repeat(drop, 6), false, 0, 0, 4},
		{"dropped among throttling", http.MethodGet, []int{tooMany, drop, tooMany, drop, drop, tooMany}, false, 0, 200, 7},
		{"budget ends throttling early", http.MethodGet, repeat(tooMany, 20), false, 100 * time.Millisecond, tooMany, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := &scriptTransport{script: tc.script, retryAfter: "40"}
			o := azcore.ClientOptions{Transport: tr, Retry: policy.RetryOptions{RetryDelay: time.Millisecond}}
			if !tc.azcoreOnly {
				o.Retry = retryDefaults(o.Retry)
				newRetryRules(o.Retry, tc.budget).apply(&o)
			}
			pl := runtime.NewPipeline("galshare-test", "v0", runtime.PipelineOptions{}, &o)
			req, err := runtime.NewRequest(context.Background(), tc.method, "https://example.test/x")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			resp, err := pl.Do(req)
			took := time.Since(start)
			switch {
			case tc.wantStatus == 0:
				if !errors.Is(err, errDropped) {
					t.Fatalf("got %v, %v; want the transport error", resp, err)
				}
			case err != nil:
				t.Fatalf("error %v, want status %d", err, tc.wantStatus)
			case resp.StatusCode != tc.wantStatus:
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			got := tr.attempts.Load()
			if tc.budget > 0 {
				// Time-based: allow one attempt either way, but never
				// more time than the budget plus one wait.
				if got < tc.wantAttempts-1 || got > tc.wantAttempts+1 || took > tc.budget+200*time.Millisecond {
					t.Fatalf("%d attempts in %s, want about %d within the %s budget", got, took, tc.wantAttempts, tc.budget)
				}
				return
			}
			if got != tc.wantAttempts {
				t.Fatalf("%d attempts, want %d", got, tc.wantAttempts)
			}
		})
	}
}

// TestRetryRulesOptions: defaults fill only zero fields, a caller's
// ShouldRetry replaces the rules, and StatusCodes stays nil so that each
// pipeline (managed identity's included) keeps its own list.
func TestRetryRulesOptions(t *testing.T) {
	o := retryDefaults(policy.RetryOptions{})
	if o.MaxRetries != DefaultMaxRetries || o.MaxRetryDelay != DefaultMaxRetryDelay || o.StatusCodes != nil {
		t.Errorf("defaults = %+v", o)
	}
	o = retryDefaults(policy.RetryOptions{MaxRetries: -1, MaxRetryDelay: time.Second})
	if o.MaxRetries != -1 || o.MaxRetryDelay != time.Second {
		t.Errorf("explicit values overwritten: %+v", o)
	}
	if r := newRetryRules(policy.RetryOptions{MaxRetries: 2}, 0); r.ambiguous != 2 || r.budget != DefaultRetryBudget {
		t.Errorf("rules = %+v", r)
	}
	// The connector installs the rules in Graph and ARM pipelines only.
	conn, err := NewConnector(Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if api := conn.apiClientOptions(); api.Retry.ShouldRetry == nil || api.Retry.MaxRetries != DefaultMaxRetries ||
		len(api.PerCallPolicies) != 1 || len(api.PerRetryPolicies) != 2 {
		t.Errorf("Graph/ARM options lack the rules: %+v", api.Retry)
	}
	// Token pipelines keep azcore's ShouldRetry; only the gate bounding
	// retries after an unreachable endpoint is installed (network.go).
	if cred := conn.clientOptions(); cred.Retry.ShouldRetry != nil || len(cred.PerCallPolicies) != 1 || len(cred.PerRetryPolicies) != 2 ||
		cred.Retry.MaxRetries != DefaultMaxRetries {
		t.Errorf("credential options = %+v", cred.Retry)
	}
	mine := func(*http.Response, error) bool { return false }
	co := azcore.ClientOptions{Retry: policy.RetryOptions{ShouldRetry: mine}}
	newRetryRules(co.Retry, 0).apply(&co)
	if len(co.PerCallPolicies)+len(co.PerRetryPolicies) != 0 || fmt.Sprintf("%p", co.Retry.ShouldRetry) != fmt.Sprintf("%p", mine) {
		t.Error("a caller's ShouldRetry was replaced")
	}
}
