package executor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Decision is a classifier's verdict on one error: whether the call may be
// repeated, and how long the server asked us to wait first (zero when it did
// not say).
type Decision struct {
	Retry      bool
	RetryAfter time.Duration
}

// Classifier decides whether an error is one Azure heals by itself
// (consistency lag, throttling, transient server failures).
type Classifier func(error) Decision

// RetryEvent describes one retry about to happen; progress views show it so
// a long consistency wait does not look like a hang.
type RetryEvent struct {
	Attempt int           // the attempt that just failed, from 1
	Err     error         // its error
	Wait    time.Duration // how long we wait before the next attempt
}

// Retrier repeats a call while its errors are retryable, with jittered
// exponential backoff, honouring a Retry-After the error carries, until a
// per-call deadline. Its zero value is usable: the defaults below apply and
// nothing is retried unless Classify says so.
type Retrier struct {
	// Initial is the first backoff (default 1s); each retry doubles it up
	// to Max (default 30s).
	Initial, Max time.Duration
	// Deadline bounds the total time spent on one call including waits
	// (default 5m: Entra replication can take minutes).
	Deadline time.Duration
	// Classify decides which errors are retried (nil = none).
	Classify Classifier
	// OnRetry, when set, is called before each wait.
	OnRetry func(RetryEvent)

	// Test hooks: clock, sleep and jitter source (nil = real ones).
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64 // in [0,1)
}

// RetryError is returned when a retryable error persisted past the deadline.
// It unwraps to the last error so callers can still classify it.
type RetryError struct {
	Attempts int
	Elapsed  time.Duration
	Err      error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("still failing after %d attempts over %s: %v", e.Attempts, e.Elapsed.Round(time.Millisecond), e.Err)
}

// Unwrap returns the last error seen.
func (e *RetryError) Unwrap() error { return e.Err }

const (
	defaultInitialBackoff = time.Second
	defaultMaxBackoff     = 30 * time.Second
	defaultRetryDeadline  = 5 * time.Minute
)

// Do calls fn until it succeeds, returns a non-retryable error, the deadline
// would be passed by the next wait, or ctx ends. A non-retryable error is
// returned as is; an exhausted retry as *RetryError; a cancelled context as
// the context's error joined with the last call error.
func (r Retrier) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	deadline := r.Deadline
	if deadline <= 0 {
		deadline = defaultRetryDeadline
	}
	backoff := r.Initial
	if backoff <= 0 {
		backoff = defaultInitialBackoff
	}
	maxBackoff := r.Max
	if maxBackoff <= 0 {
		maxBackoff = defaultMaxBackoff
	}
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return interrupted(ctx.Err(), err)
		}
		var d Decision
		if r.Classify != nil {
			d = r.Classify(err)
		}
		if !d.Retry {
			return err
		}
		wait := r.wait(backoff, d.RetryAfter)
		elapsed := now().Sub(start)
		if elapsed+wait > deadline {
			return &RetryError{Attempts: attempt, Elapsed: elapsed, Err: err}
		}
		if r.OnRetry != nil {
			r.OnRetry(RetryEvent{Attempt: attempt, Err: err, Wait: wait})
		}
		if serr := r.sleep(ctx, wait); serr != nil {
			return interrupted(serr, err)
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// interrupted is the error of a call cut short by its context: err itself
// when it already says so, else the context's error with the last call error
// on the same line (both stay reachable with errors.Is/As).
func interrupted(ctxErr, err error) error {
	if errors.Is(err, ctxErr) {
		return err
	}
	return fmt.Errorf("%w (last error: %w)", ctxErr, err)
}

// wait picks the pause before the next attempt. With a Retry-After it waits
// at least that long, plus up to 10% so parallel callers throttled together do
// not return together; otherwise "equal jitter": between half and all of the
// current backoff.
func (r Retrier) wait(backoff, retryAfter time.Duration) time.Duration {
	j := r.jitter()
	if retryAfter > 0 {
		return retryAfter + time.Duration(j*float64(retryAfter)/10)
	}
	half := backoff / 2
	return half + time.Duration(j*float64(backoff-half))
}

func (r Retrier) jitter() float64 {
	if r.Jitter != nil {
		return r.Jitter()
	}
	return rand.Float64()
}

func (r Retrier) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
