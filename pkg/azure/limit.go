package azure

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Calls in flight. --parallelism promises that galshare never has more than
// that many requests open against Azure — the figure Azure's throttling (per
// principal and tenant) cares about. Bounding it where requests go on the
// wire, instead of bounding the units of work that make them, means work
// waiting on something else (a state write, a backoff, a replication poll)
// never idles a slot, and every kind of request counts: Graph, ARM and the
// token and discovery requests of azidentity/MSAL alike.
//
// The bound adapts to throttling like TCP's congestion window: a 429 halves
// the requests allowed in flight (down to 1), and every limit successful
// answers raise it by one — one per round of answers — up to --parallelism. Only a 429 to a request sent after the last cut cuts again:
// the requests already in flight when Azure started refusing answer 429 as
// one event, not many. The per-call retries (Retry-After honoured, see
// retry.go) come on top: they decide when to repeat a refused call, the
// limit decides how hard galshare presses meanwhile.

// limitTransport is an http.RoundTripper that lets at most limit requests be
// on the wire at once. A request takes a slot before it is sent and frees it
// when the response headers arrived (or the attempt failed): the body that
// follows is already on its way and the server has done its work. A request
// waiting for a slot gives up when its context ends.
type limitTransport struct {
	next http.RoundTripper
	max  int
	log  hclog.Logger
	now  func() time.Time

	mu       sync.Mutex
	inflight int
	limit    int           // in [1, max]
	ok       int           // successes since the limit last changed
	cutAt    time.Time     // when the limit was last cut
	changed  chan struct{} // closed (and replaced) whenever a slot frees or the limit changes
}

func newLimitTransport(next http.RoundTripper, n int, log hclog.Logger) *limitTransport {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &limitTransport{next: next, max: n, log: log, now: time.Now, limit: n, changed: make(chan struct{})}
}

// RoundTrip implements http.RoundTripper.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sent, err := t.acquire(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	t.release(sent, req.URL.Host, resp)
	return resp, err
}

// acquire waits for a slot and returns when the request may go.
func (t *limitTransport) acquire(ctx context.Context) (time.Time, error) {
	for {
		t.mu.Lock()
		if t.inflight < t.limit {
			t.inflight++
			sent := t.now()
			t.mu.Unlock()
			return sent, nil
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// release frees the slot of a request to host sent at sent and adapts the
// limit to its answer.
func (t *limitTransport) release(sent time.Time, host string, resp *http.Response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inflight--
	switch {
	case resp == nil:
	case resp.StatusCode == http.StatusTooManyRequests:
		if sent.After(t.cutAt) && t.limit > 1 {
			t.limit, t.ok = max(1, t.limit/2), 0
			t.cutAt = t.now()
			t.log.Debug("throttled: lowering requests in flight", "limit", t.limit, "max", t.max, "host", host)
		}
	case resp.StatusCode < http.StatusInternalServerError && t.limit < t.max:
		if t.ok++; t.ok >= t.limit {
			t.limit, t.ok = t.limit+1, 0
		}
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

// Limit is the requests currently allowed in flight (for tests).
func (t *limitTransport) Limit() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// CloseIdleConnections passes on to the wrapped transport, so
// Connector.Close still releases connections.
func (t *limitTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// limitClient returns hc with its transport bounded to n requests in flight,
// adapting to throttling (n <= 0: hc unchanged). The client is copied, never
// modified.
func limitClient(hc *http.Client, n int, log hclog.Logger) *http.Client {
	if n <= 0 {
		return hc
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp := *hc
	cp.Transport = newLimitTransport(next, n, log)
	return &cp
}
