package executor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock whose Sleep just advances time, so retry tests run in
// microseconds and can assert every wait. Actions share it concurrently;
// tests read t and waits only once Apply has returned.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return nil
}

var (
	errLag      = errors.New("PrincipalNotFound")
	errThrottle = errors.New("429")
	errDenied   = errors.New("AuthorizationFailed")
)

func testClassify(err error) Decision {
	switch {
	case errors.Is(err, errLag):
		return Decision{Retry: true}
	case errors.Is(err, errThrottle):
		return Decision{Retry: true, RetryAfter: 7 * time.Second}
	}
	return Decision{}
}

func TestRetrierDo(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error // errors of successive attempts; past the end = success
		jitter    float64
		deadline  time.Duration
		wantCalls int
		wantWaits []time.Duration
		wantErr   error // errors.Is target; nil = success
		wantRetry bool  // error is *RetryError
	}{
		{name: "success first time", wantCalls: 1},
		{
			name: "lag then success, equal jitter at 0 waits half the backoff",
			errs: []error{errLag, errLag, errLag}, jitter: 0, wantCalls: 4,
			wantWaits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
		},
		{
			name: "jitter near 1 waits almost the full backoff",
			errs: []error{errLag, errLag}, jitter: 0.999999, wantCalls: 3,
			wantWaits: []time.Duration{999999500 * time.Nanosecond, 1999999 * time.Microsecond},
		},
		{
			name: "backoff is capped at Max",
			errs: []error{errLag, errLag, errLag, errLag, errLag, errLag, errLag}, wantCalls: 8,
			wantWaits: []time.Duration{
				500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
				4 * time.Second, 4 * time.Second, 4 * time.Second,
			},
		},
		{
			name: "throttling honours Retry-After plus up to 10%",
			errs: []error{errThrottle, errThrottle}, jitter: 0.5, wantCalls: 3,
			wantWaits: []time.Duration{7350 * time.Millisecond, 7350 * time.Millisecond},
		},
		{
			name: "non-retryable error is returned at once",
			errs: []error{errDenied}, wantCalls: 1, wantErr: errDenied,
		},
		{
			name: "retryable then non-retryable",
			errs: []error{errLag, errDenied}, wantCalls: 2, wantErr: errDenied,
			wantWaits: []time.Duration{500 * time.Millisecond},
		},
		{
			name: "deadline stops retrying before a wait would pass it",
			errs: []error{errLag, errLag, errLag, errLag, errLag, errLag}, deadline: 3 * time.Second,
			wantCalls: 3, wantErr: errLag, wantRetry: true,
			// 0.5 + 1 = 1.5s elapsed; the next wait of 2s would end at 3.5s > 3s.
			wantWaits: []time.Duration{500 * time.Millisecond, time.Second},
		},
		{
			name: "Retry-After longer than the deadline fails without sleeping",
			errs: []error{errThrottle}, deadline: 5 * time.Second,
			wantCalls: 1, wantErr: errThrottle, wantRetry: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			var events []RetryEvent
			r := Retrier{
				Initial: time.Second, Max: 8 * time.Second, Deadline: tt.deadline,
				Classify: testClassify,
				Now:      clk.now, Sleep: clk.sleep, Jitter: func() float64 { return tt.jitter },
				OnRetry: func(e RetryEvent) { events = append(events, e) },
			}
			calls := 0
			err := r.Do(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if diff := cmp.Diff(tt.wantWaits, clk.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if len(events) != len(clk.waits) {
				t.Errorf("OnRetry called %d times for %d waits", len(events), len(clk.waits))
			}
			for i, e := range events {
				if e.Attempt != i+1 || e.Wait != clk.waits[i] || e.Err == nil {
					t.Errorf("event %d = %+v", i, e)
				}
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var re *RetryError
			if got := errors.As(err, &re); got != tt.wantRetry {
				t.Fatalf("err is *RetryError = %v, want %v (%v)", got, tt.wantRetry, err)
			}
			if re != nil && re.Attempts != tt.wantCalls {
				t.Errorf("RetryError.Attempts = %d, want %d", re.Attempts, tt.wantCalls)
			}
		})
	}
}

func TestRetrierContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	r := Retrier{Classify: testClassify, Initial: time.Hour, Deadline: 3 * time.Hour}
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	start := time.Now()
	err := r.Do(ctx, func(context.Context) error { calls++; return errLag })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errLag) {
		t.Fatalf("err = %v, want context.Canceled joined with the last error", err)
	}
	if calls != 1 {
		t.Errorf("calls = %d, want 1", calls)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("cancellation did not interrupt the backoff sleep")
	}
}

func TestRetrierZeroValueDoesNotRetry(t *testing.T) {
	calls := 0
	err := Retrier{}.Do(context.Background(), func(context.Context) error { calls++; return errLag })
	if !errors.Is(err, errLag) || calls != 1 {
		t.Fatalf("err = %v calls = %d", err, calls)
	}
}

func TestRetryErrorMessage(t *testing.T) {
	e := &RetryError{Attempts: 4, Elapsed: 90 * time.Second, Err: errLag}
	if got, want := e.Error(), "still failing after 4 attempts over 1m30s: PrincipalNotFound"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
