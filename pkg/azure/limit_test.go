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
		hc := limitClient(srv.Client(), n)
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
	hc := limitClient(srv.Client(), 1)
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
	if c := srv.Client(); limitClient(c, 0) != c {
		t.Error("limitClient(c, 0) should return c itself")
	}
}
