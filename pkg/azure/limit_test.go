package azure

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The limited client never has more than n requests on the wire, however
// many goroutines send, and all of them get through.
func TestLimitClientBoundsRequestsInFlight(t *testing.T) {
	for _, n := range []int{1, 3, 10} {
		var cur, peak atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := cur.Add(1)
			for {
				p := peak.Load()
				if c <= p || peak.CompareAndSwap(p, c) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			cur.Add(-1)
		}))
		hc := limitClient(srv.Client(), n, nil)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range 40 {
			wg.Go(func() {
				resp, err := hc.Get(srv.URL)
				if err != nil {
					failed.Add(1)
					return
				}
				resp.Body.Close()
			})
		}
		wg.Wait()
		srv.Close()
		if failed.Load() != 0 {
			t.Errorf("n=%d: %d requests failed", n, failed.Load())
		}
		if p := peak.Load(); p > int64(n) || p < 1 {
			t.Errorf("n=%d: peak %d requests in flight", n, p)
		}
	}
}

// A request waiting for a slot gives up with its context; n <= 0 leaves the
// client as it was.
func TestLimitClientWaitHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	hc := limitClient(srv.Client(), 1, nil)
	go func() {
		if resp, err := hc.Get(srv.URL); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(20 * time.Millisecond) // the first request holds the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := hc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting request: %v, want its context's deadline", err)
	}
	if c := srv.Client(); limitClient(c, 0, nil) != c {
		t.Error("limitClient(c, 0) should return c itself")
	}
}

// The limit halves on a 429 — once for the requests that were already in
// flight together — and climbs back by one per round of successes.
func TestLimitAdaptsToThrottling(t *testing.T) {
	var clock time.Time
	tick := func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	status := http.StatusOK
	lt := newLimitTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Request: r, Body: http.NoBody}, nil
	}), 8, nil)
	lt.now = tick
	req, _ := http.NewRequest(http.MethodGet, "https://management.example/x", nil)
	ctx := context.Background()

	// Three requests in flight together all answer 429: one cut, 8 → 4.
	var sent []time.Time
	for range 3 {
		s, err := lt.acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, s)
	}
	for _, s := range sent {
		lt.release(s, req.URL.Host, &http.Response{StatusCode: http.StatusTooManyRequests})
	}
	if got := lt.Limit(); got != 4 {
		t.Fatalf("after one burst of 429s: limit %d, want 4", got)
	}
	// A 429 to a request sent after the cut cuts again: 4 → 2, then 1, never 0.
	for _, want := range []int{2, 1, 1} {
		if _, err := lt.RoundTrip(req.Clone(ctx)); err != nil {
			t.Fatal(err)
		}
		status = http.StatusTooManyRequests
		if _, err := lt.RoundTrip(req.Clone(ctx)); err != nil {
			t.Fatal(err)
		}
		status = http.StatusOK
		if got := lt.Limit(); got != want {
			t.Fatalf("limit %d, want %d", got, want)
		}
	}
	// Successes raise it by 1/limit each: from 1 back to 8 takes 1+2+…+7 = 28 answers at most.
	n := 0
	for lt.Limit() < 8 && n < 100 {
		if _, err := lt.RoundTrip(req.Clone(ctx)); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if lt.Limit() != 8 || n > 28 {
		t.Errorf("back to %d after %d successes, want 8 within 28", lt.Limit(), n)
	}
	// And never above the maximum.
	for range 20 {
		_, _ = lt.RoundTrip(req.Clone(ctx))
	}
	if lt.Limit() != 8 {
		t.Errorf("limit %d above the maximum 8", lt.Limit())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
