package azsim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
	// Throttle, when > 0, is a token bucket over all Graph and ARM requests (token endpoints excluded) like
	// ARM's per-principal buckets: Throttle requests per second, bursts up to Burst (default: one second's
	// worth); a request finding the bucket empty answers 429 with Retry-After the time until the next token.
	// Unlike 429=p, it refuses only a client that presses too hard, so a client that adapts sees fewer 429s.
	Throttle float64
	Burst    int
	Routes   []RouteFaults // per-route overrides
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
//	throttle=100,burst=20                  (a token bucket: 100 requests/s, bursts of 20)
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
		switch k {
		case "throttle":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return FaultProfile{}, fmt.Errorf("faults: throttle=%q is not a positive number of requests per second", v)
			}
			p.Throttle = f
			continue
		case "burst":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return FaultProfile{}, fmt.Errorf("faults: burst=%q is not a positive integer", v)
			}
			p.Burst = n
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
	return fmt.Errorf("faults: unknown key %q (want latency, jitter, 429, 5xx, reset, lag, retry-after, seed, throttle, burst, route)", k)
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
	if p.Throttle > 0 {
		add("throttle", strconv.FormatFloat(p.Throttle, 'g', -1, 64))
	}
	if p.Burst > 0 {
		add("burst", strconv.Itoa(p.Burst))
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
