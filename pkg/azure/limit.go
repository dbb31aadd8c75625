package azure

import (
	"net/http"
)

// Calls in flight. --parallelism promises that galshare never has more than
// that many requests open against Azure — the figure Azure's throttling (per
// principal and tenant) cares about. Bounding it where requests go on the
// wire, instead of bounding the units of work that make them, means work
// waiting on something else (a state write, a backoff, a replication poll)
// never idles a slot, and every kind of request counts: Graph, ARM and the
// token and discovery requests of azidentity/MSAL alike.

// limitTransport is an http.RoundTripper that lets at most cap(slots)
// requests be on the wire at once. A request takes a slot before it is sent
// and frees it when the response headers arrived (or the attempt failed):
// the body that follows is already on its way and the server has done its
// work. A request waiting for a slot gives up when its context ends.
type limitTransport struct {
	next  http.RoundTripper
	slots chan struct{}
}

// RoundTrip implements http.RoundTripper.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case t.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-t.slots }()
	return t.next.RoundTrip(req)
}

// CloseIdleConnections passes on to the wrapped transport, so
// Connector.Close still releases connections.
func (t *limitTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// limitClient returns hc with its transport bounded to n requests in flight
// (n <= 0: hc unchanged). The client is copied, never modified.
func limitClient(hc *http.Client, n int) *http.Client {
	if n <= 0 {
		return hc
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp := *hc
	cp.Transport = &limitTransport{next: next, slots: make(chan struct{}, n)}
	return &cp
}
