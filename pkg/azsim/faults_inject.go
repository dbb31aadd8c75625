package azsim

import (
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// faultKind is what the injector decided for one request.
type faultKind int

const (
	faultNone faultKind = iota
	fault429
	fault500
	fault503
	faultReset
)

var faultNames = map[faultKind]string{fault429: "429", fault500: "500", fault503: "503", faultReset: "reset"}

// faultInjector applies a FaultProfile. Its random generator is private and guarded by mu, so decisions are
// deterministic for a given seed and request order.
type faultInjector struct {
	mu       sync.Mutex
	p        FaultProfile
	rng      *rand.Rand
	injected map[string]int64 // "reset", "429", "500", "503", "latency", "throttled"
	// The Throttle token bucket: tokens left, as of filled.
	tokens float64
	filled time.Time
	now    func() time.Time
}

func newFaultInjector(p FaultProfile) *faultInjector {
	f := &faultInjector{injected: map[string]int64{}, now: time.Now}
	f.set(p)
	return f
}

func (f *faultInjector) set(p FaultProfile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p = p
	f.rng = rand.New(rand.NewPCG(uint64(p.Seed), 0x9e3779b97f4a7c15))
	f.tokens, f.filled = float64(p.burst()), f.now()
}

// burst is the Throttle bucket's size.
func (p FaultProfile) burst() int {
	if p.Burst > 0 {
		return p.Burst
	}
	return max(1, int(p.Throttle))
}

// take takes a token from the Throttle bucket; when it is empty it returns how long until the next token.
func (f *faultInjector) take() (ok bool, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.p.Throttle <= 0 {
		return true, 0
	}
	now := f.now()
	f.tokens = min(float64(f.p.burst()), f.tokens+now.Sub(f.filled).Seconds()*f.p.Throttle)
	f.filled = now
	if f.tokens >= 1 {
		f.tokens--
		return true, 0
	}
	f.injected["429"]++
	f.injected["throttled"]++
	return false, max(time.Millisecond, time.Duration((1-f.tokens)/f.p.Throttle*float64(time.Second)))
}

func (f *faultInjector) profile() FaultProfile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.p
}

func (f *faultInjector) counts() map[string]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int64, len(f.injected))
	for k, v := range f.injected {
		out[k] = v
	}
	return out
}

func (f *faultInjector) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.injected)
}

// routeMatches reports whether a rule's route selects label ("PUT roleAssignments"): either the whole label or, for
// a rule without a method, the name part.
func routeMatches(rule, label string) bool {
	if strings.EqualFold(rule, label) || rule == "*" {
		return true
	}
	if !strings.Contains(rule, " ") {
		if _, name, ok := strings.Cut(label, " "); ok {
			return strings.EqualFold(rule, name)
		}
	}
	return false
}

// decide draws the fault for one request.
func (f *faultInjector) decide(label string) (delay time.Duration, kind faultKind, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.p
	lat, jit, r429, r5xx, rreset := p.Latency, p.Jitter, p.Rate429, p.Rate5xx, p.RateReset
	for _, r := range p.Routes {
		if !routeMatches(r.Route, label) {
			continue
		}
		if r.Latency > 0 {
			lat = r.Latency
		}
		if r.Jitter > 0 {
			jit = r.Jitter
		}
		if r.Rate429 > 0 {
			r429 = r.Rate429
		}
		if r.Rate5xx > 0 {
			r5xx = r.Rate5xx
		}
		if r.RateReset > 0 {
			rreset = r.RateReset
		}
	}
	if lat == 0 && jit == 0 && r429 == 0 && r5xx == 0 && rreset == 0 {
		return 0, faultNone, 0
	}
	delay = lat
	if jit > 0 {
		delay += time.Duration(f.rng.Int64N(int64(jit)))
	}
	if delay > 0 {
		f.injected["latency"]++
	}
	u := f.rng.Float64()
	switch {
	case u < rreset:
		kind = faultReset
	case u < rreset+r5xx:
		kind = fault503
		if f.rng.IntN(2) == 0 {
			kind = fault500
		}
	case u < rreset+r5xx+r429:
		kind = fault429
	}
	if kind != faultNone {
		f.injected[faultNames[kind]]++
	}
	retryAfter = p.RetryAfter
	if retryAfter <= 0 {
		retryAfter = 50 * time.Millisecond
	}
	return delay, kind, retryAfter
}

// inject applies the fault decided for r; it reports true when it answered (or dropped) the request itself.
func (f *faultInjector) inject(w http.ResponseWriter, r *http.Request, kind routeKind, label string) bool {
	// The bucket is charged on arrival; a refusal still comes after the latency, as from a real server.
	admitted, wait := true, time.Duration(0)
	if kind != routeIdentity {
		admitted, wait = f.take()
	}
	delay, fk, retryAfter := f.decide(label)
	if !admitted {
		fk, retryAfter = fault429, wait
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch fk {
	case faultNone:
		return false
	case faultReset:
		dropConnection(w)
		return true
	case fault429:
		setRetryAfter(w, retryAfter)
		writeFaultError(w, r, kind, http.StatusTooManyRequests)
	case fault500:
		writeFaultError(w, r, kind, http.StatusInternalServerError)
	case fault503:
		setRetryAfter(w, retryAfter)
		writeFaultError(w, r, kind, http.StatusServiceUnavailable)
	}
	return true
}

// setRetryAfter sends Retry-After in whole seconds (what Graph and ARM send) plus retry-after-ms with the exact
// delay, which azcore's retry policy prefers, so SDK retries stay fast in tests.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	w.Header().Set("retry-after-ms", strconv.FormatInt(d.Milliseconds(), 10))
}

// dropConnection closes the client connection without a response (with a TCP reset where possible).
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	type netConner interface{ NetConn() net.Conn }
	raw := conn
	if nc, ok := conn.(netConner); ok {
		raw = nc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
		_ = tcp.Close()
		return
	}
	_ = conn.Close()
}

// writeFaultError answers an injected error in the envelope of the service the route belongs to.
func writeFaultError(w http.ResponseWriter, r *http.Request, kind routeKind, status int) {
	switch kind {
	case routeGraph:
		code, msg := "generalException", "An internal server error occurred."
		switch status {
		case http.StatusTooManyRequests:
			code, msg = "TooManyRequests", "Too many requests."
		case http.StatusServiceUnavailable:
			code, msg = "serviceNotAvailable", "The service is temporarily unavailable."
		}
		writeGraphError(w, r, status, code, msg)
	case routeIdentity:
		writeAADError(w, status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
	default:
		code, msg := "InternalServerError", "The server encountered an internal error. Please retry the request."
		switch status {
		case http.StatusTooManyRequests:
			code, msg = "TooManyRequests", "The request is being throttled as the limit has been reached for operation type. Please retry after the time in Retry-After."
		case http.StatusServiceUnavailable:
			code, msg = "ServiceUnavailable", "The service is currently unavailable. Please retry the request."
		}
		w.Header().Set("x-ms-error-code", code)
		writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
	}
}
