package azsim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultProfile says which faults to inject into requests (admin endpoints excluded). Rates are probabilities in
// [0,1] drawn from a generator seeded with Seed, so a run with the same seed and request order sees the same faults.
// A Route rule overrides the global values it sets for requests whose route label matches.
type FaultProfile struct {
	Seed       int64         // seed of the fault generator
	Latency    time.Duration // added to every request
	Jitter     time.Duration // random extra latency in [0, Jitter)
	Rate429    float64       // probability of 429 Too Many Requests
	Rate5xx    float64       // probability of 500 or 503
	RateReset  float64       // probability of dropping the connection without a response
	RetryAfter time.Duration // delay advertised on 429/503; 0 means 50ms (Retry-After is rounded up to whole seconds)
	Lag        time.Duration // when > 0, sets the Entra replication lag for objects created from now on
	Routes     []RouteFaults // per-route overrides
}

// RouteFaults overrides fault settings for one route label such as "PUT roleAssignments" (method + name) or
// "roleAssignments" (any method). Zero fields inherit the global value.
type RouteFaults struct {
	Route     string
	Latency   time.Duration
	Jitter    time.Duration
	Rate429   float64
	Rate5xx   float64
	RateReset float64
}

// ParseFaults parses the command-line syntax, a comma-separated list of key=value:
//
//	latency=20ms,jitter=10ms,429=0.05,5xx=0.05,reset=0.01,lag=2s,seed=7,retry-after=1s
//	route=PUT roleAssignments:429=0.2      (a route rule; repeat for more keys or routes)
//
// An empty string is the empty profile.
func ParseFaults(spec string) (FaultProfile, error) {
	var p FaultProfile
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return p, nil
	}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return FaultProfile{}, fmt.Errorf("faults: %q is not key=value", item)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if k == "route" {
			i := strings.LastIndex(v, ":")
			if i <= 0 {
				return FaultProfile{}, fmt.Errorf("faults: route rule %q must be route=LABEL:key=value", item)
			}
			label := strings.TrimSpace(v[:i])
			rk, rv, ok := strings.Cut(v[i+1:], "=")
			if !ok {
				return FaultProfile{}, fmt.Errorf("faults: route rule %q must be route=LABEL:key=value", item)
			}
			rule := p.route(label)
			if err := setFault(strings.ToLower(strings.TrimSpace(rk)), strings.TrimSpace(rv),
				&rule.Latency, &rule.Jitter, &rule.Rate429, &rule.Rate5xx, &rule.RateReset, nil, nil, nil); err != nil {
				return FaultProfile{}, err
			}
			continue
		}
		if err := setFault(k, v, &p.Latency, &p.Jitter, &p.Rate429, &p.Rate5xx, &p.RateReset, &p.Lag, &p.RetryAfter,
			&p.Seed); err != nil {
			return FaultProfile{}, err
		}
	}
	return p, nil
}

// route returns the rule for label, adding it if missing.
func (p *FaultProfile) route(label string) *RouteFaults {
	for i := range p.Routes {
		if strings.EqualFold(p.Routes[i].Route, label) {
			return &p.Routes[i]
		}
	}
	p.Routes = append(p.Routes, RouteFaults{Route: label})
	return &p.Routes[len(p.Routes)-1]
}

func setFault(k, v string, latency, jitter *time.Duration, r429, r5xx, rreset *float64, lag, retryAfter *time.Duration,
	seed *int64) error {
	dur := func(dst *time.Duration) error {
		if dst == nil {
			return fmt.Errorf("faults: %q is not allowed in a route rule", k)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("faults: %s=%q is not a duration", k, v)
		}
		*dst = d
		return nil
	}
	rate := func(dst *float64) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("faults: %s=%q is not a probability between 0 and 1", k, v)
		}
		*dst = f
		return nil
	}
	switch k {
	case "latency":
		return dur(latency)
	case "jitter":
		return dur(jitter)
	case "429":
		return rate(r429)
	case "5xx":
		return rate(r5xx)
	case "reset":
		return rate(rreset)
	case "lag":
		return dur(lag)
	case "retry-after", "retryafter":
		return dur(retryAfter)
	case "seed":
		if seed == nil {
			return fmt.Errorf("faults: seed is not allowed in a route rule")
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("faults: seed=%q is not an integer", v)
		}
		*seed = n
		return nil
	}
	return fmt.Errorf("faults: unknown key %q (want latency, jitter, 429, 5xx, reset, lag, retry-after, seed, route)", k)
}

// String renders the profile in the ParseFaults syntax.
func (p FaultProfile) String() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+"="+v) }
	if p.Seed != 0 {
		add("seed", strconv.FormatInt(p.Seed, 10))
	}
	if p.Latency > 0 {
		add("latency", p.Latency.String())
	}
	if p.Jitter > 0 {
		add("jitter", p.Jitter.String())
	}
	if p.Rate429 > 0 {
		add("429", strconv.FormatFloat(p.Rate429, 'g', -1, 64))
	}
	if p.Rate5xx > 0 {
		add("5xx", strconv.FormatFloat(p.Rate5xx, 'g', -1, 64))
	}
	if p.RateReset > 0 {
		add("reset", strconv.FormatFloat(p.RateReset, 'g', -1, 64))
	}
	if p.Lag > 0 {
		add("lag", p.Lag.String())
	}
	if p.RetryAfter > 0 {
		add("retry-after", p.RetryAfter.String())
	}
	for _, r := range p.Routes {
		pre := "route=" + r.Route + ":"
		if r.Latency > 0 {
			parts = append(parts, pre+"latency="+r.Latency.String())
		}
		if r.Jitter > 0 {
			parts = append(parts, pre+"jitter="+r.Jitter.String())
		}
		if r.Rate429 > 0 {
			parts = append(parts, pre+"429="+strconv.FormatFloat(r.Rate429, 'g', -1, 64))
		}
		if r.Rate5xx > 0 {
			parts = append(parts, pre+"5xx="+strconv.FormatFloat(r.Rate5xx, 'g', -1, 64))
		}
		if r.RateReset > 0 {
			parts = append(parts, pre+"reset="+strconv.FormatFloat(r.RateReset, 'g', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// MarshalJSON renders the profile for the admin endpoint as {"spec": "...", ...fields}; durations are strings.
func (p FaultProfile) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"spec": p.String(), "seed": p.Seed, "latency": p.Latency.String(), "jitter": p.Jitter.String(),
		"429": p.Rate429, "5xx": p.Rate5xx, "reset": p.RateReset, "lag": p.Lag.String(),
		"retryAfter": p.RetryAfter.String(), "routes": len(p.Routes),
	})
}

// UnmarshalJSON accepts {"spec":"latency=20ms,429=0.1"}: the admin endpoint takes the command-line syntax.
func (p *FaultProfile) UnmarshalJSON(b []byte) error {
	var in struct {
		Spec *string `json:"spec"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	if in.Spec == nil {
		return fmt.Errorf(`faults: body must be {"spec":"latency=…,429=…"}`)
	}
	np, err := ParseFaults(*in.Spec)
	if err != nil {
		return err
	}
	*p = np
	return nil
}

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
	injected map[string]int64 // "reset", "429", "500", "503", "latency"
}

func newFaultInjector(p FaultProfile) *faultInjector {
	f := &faultInjector{injected: map[string]int64{}}
	f.set(p)
	return f
}

func (f *faultInjector) set(p FaultProfile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.p = p
	f.rng = rand.New(rand.NewPCG(uint64(p.Seed), 0x9e3779b97f4a7c15))
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
	delay, fk, retryAfter := f.decide(label)
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
