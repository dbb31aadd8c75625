package azsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestParseFaults(t *testing.T) {
	cases := []struct {
		spec    string
		want    FaultProfile
		wantErr string
	}{
		{spec: "", want: FaultProfile{}},
		{spec: "latency=20ms,429=0.05,5xx=0.05,reset=0.01,lag=2s", want: FaultProfile{Latency: 20 * time.Millisecond,
			Rate429: 0.05, Rate5xx: 0.05, RateReset: 0.01, Lag: 2 * time.Second}},
		{spec: "seed=7, jitter=5ms ,retry-after=1s", want: FaultProfile{Seed: 7, Jitter: 5 * time.Millisecond, RetryAfter: time.Second}},
		{spec: "route=PUT roleAssignments:429=0.2,route=PUT roleAssignments:latency=1s,route=token:5xx=1",
			want: FaultProfile{Routes: []RouteFaults{{Route: "PUT roleAssignments", Rate429: 0.2, Latency: time.Second},
				{Route: "token", Rate5xx: 1}}}},
		{spec: "429=2", wantErr: "probability"},
		{spec: "latency=fast", wantErr: "not a duration"},
		{spec: "boom=1", wantErr: "unknown key"},
		{spec: "429", wantErr: "key=value"},
		{spec: "route=GET x:seed=1", wantErr: "not allowed in a route rule"},
		{spec: "route=nolabel", wantErr: "route=LABEL:key=value"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseFaults(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want.String() {
				t.Errorf("got %q, want %q", got.String(), tc.want.String())
			}
			// String round-trips through ParseFaults.
			again, err := ParseFaults(got.String())
			if err != nil || again.String() != got.String() {
				t.Errorf("round trip: %q, %v", again.String(), err)
			}
		})
	}
}

func TestFaultsDeterministic(t *testing.T) {
	seq := func(seed int64) string {
		f := newFaultInjector(FaultProfile{Seed: seed, Rate429: 0.3, Rate5xx: 0.3, RateReset: 0.1})
		var b strings.Builder
		for range 200 {
			_, k, _ := f.decide("GET application")
			b.WriteByte(byte('0' + k))
		}
		return b.String()
	}
	a, b, c := seq(1), seq(1), seq(2)
	if a != b {
		t.Error("same seed gave different fault sequences")
	}
	if a == c {
		t.Error("different seeds gave the same fault sequence")
	}
	for _, kinds := range []string{"0", "1", "23", "4"} { // none, 429, 500 or 503, reset all occur
		if !strings.ContainsAny(a, kinds) {
			t.Errorf("fault kind %s never drawn in %s", kinds, a)
		}
	}
	// Route rules only apply to matching labels.
	f := newFaultInjector(FaultProfile{Routes: []RouteFaults{{Route: "PUT roleAssignments", Rate429: 1}}})
	if _, k, _ := f.decide("GET roleAssignments"); k != faultNone {
		t.Error("route rule applied to another method")
	}
	if _, k, _ := f.decide("PUT roleAssignments"); k != fault429 {
		t.Error("route rule not applied")
	}
}

func TestFaultKinds(t *testing.T) {
	sim := coreStart(t, Options{})
	appPath := "/applications(appId='" + coreOp1 + "')"
	// One token first (faults target the Graph route only, so sign-in is unaffected).
	fast := &policy.RetryOptions{MaxRetries: 3, RetryDelay: 800 * time.Millisecond, MaxRetryDelay: 5 * time.Second}
	g := newGraphClient(sim, coreCred(t, sim, coreT1, coreOp1, coreSecrets[coreOp1]), fast)
	g.do(t, "GET", appPath, nil, nil, 200).must(t)

	t.Run("latency", func(t *testing.T) {
		sim.SetFaults(FaultProfile{Routes: []RouteFaults{{Route: "GET application", Latency: 150 * time.Millisecond}}})
		start := time.Now()
		g.do(t, "GET", appPath, nil, nil, 200).must(t)
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("request took %v, want ≥150ms", d)
		}
	})
	t.Run("429 with Retry-After honoured by azcore", func(t *testing.T) {
		sim.SetFaults(FaultProfile{RetryAfter: 40 * time.Millisecond, Routes: []RouteFaults{{Route: "GET application", Rate429: 1}}})
		sim.ResetStats()
		start := time.Now()
		got := g.do(t, "GET", appPath, nil, nil, 200)
		elapsed := time.Since(start)
		var re *azcore.ResponseError
		if !errors.As(got.err, &re) || re.StatusCode != 429 || re.ErrorCode != "TooManyRequests" {
			t.Fatalf("err = %v", got.err)
		}
		if ra := re.RawResponse.Header.Get("Retry-After"); ra != "1" || re.RawResponse.Header.Get("retry-after-ms") != "40" {
			t.Errorf("Retry-After=%q retry-after-ms=%q", ra, re.RawResponse.Header.Get("retry-after-ms"))
		}
		// 1 try + 3 retries, each waiting the advertised 40ms rather than azcore's 800ms+ backoff.
		if n := sim.Stats().Routes["GET application"]; n != 4 {
			t.Errorf("%d attempts, want 4", n)
		}
		if elapsed < 120*time.Millisecond || elapsed > 2*time.Second {
			t.Errorf("elapsed %v: Retry-After not honoured", elapsed)
		}
		if sim.Stats().Faults["429"] != 4 {
			t.Errorf("fault stats = %v", sim.Stats().Faults)
		}
	})
	t.Run("429 then success", func(t *testing.T) {
		sim.SetFaults(FaultProfile{Seed: 3, RetryAfter: 10 * time.Millisecond, Rate429: 0.3})
		sim.ResetStats()
		for range 5 {
			g.do(t, "GET", appPath, nil, nil, 200).must(t)
		}
		if sim.Stats().Faults["429"] == 0 {
			t.Error("no 429 injected")
		}
	})
	t.Run("5xx", func(t *testing.T) {
		sim.SetFaults(FaultProfile{RetryAfter: 10 * time.Millisecond, Routes: []RouteFaults{{Route: "application", Rate5xx: 1}}})
		got := g.do(t, "GET", appPath, nil, nil, 200)
		var re *azcore.ResponseError
		if !errors.As(got.err, &re) || (re.StatusCode != 500 && re.StatusCode != 503) {
			t.Fatalf("err = %v", got.err)
		}
		if re.ErrorCode != "generalException" && re.ErrorCode != "serviceNotAvailable" {
			t.Errorf("code = %q", re.ErrorCode)
		}
	})
	t.Run("reset", func(t *testing.T) {
		sim.SetFaults(FaultProfile{Routes: []RouteFaults{{Route: "GET application", RateReset: 1}}})
		tok := bearerFor(t, sim, coreT1, coreOp1)
		req, _ := http.NewRequest("GET", sim.URL()+"/v1.0"+appPath, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := sim.HTTPClient().Do(req)
		if err == nil {
			_ = resp.Body.Close()
			t.Fatalf("got %d, want a dropped connection", resp.StatusCode)
		}
	})
	t.Run("admin endpoint", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{"spec": "route=GET application:5xx=1"})
		req, _ := http.NewRequest("PUT", sim.URL()+"/_sim/faults", bytes.NewReader(body))
		resp, err := sim.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, resp); resp.StatusCode != 200 || !contains(b, "route=GET application:5xx=1") {
			t.Fatalf("PUT faults: %d %s", resp.StatusCode, b)
		}
		if sim.Faults().Routes[0].Rate5xx != 1 {
			t.Errorf("profile not applied: %v", sim.Faults())
		}
		req, _ = http.NewRequest("PUT", sim.URL()+"/_sim/faults", strings.NewReader(`{"spec":""}`))
		resp, err = sim.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = readAll(t, resp)
		g.do(t, "GET", appPath, nil, nil, 200).must(t)
	})
}

// bearerFor gets a Graph token through azidentity.
func bearerFor(t testing.TB, sim *Sim, tenant, client string) string {
	t.Helper()
	tok, err := coreCred(t, sim, tenant, client, coreSecrets[client]).GetToken(t.Context(),
		policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func TestStatsAndAdmin(t *testing.T) {
	sim := coreStart(t, Options{})
	g := coreGraphFor(t, sim, coreT1, coreOp1)
	g.do(t, "GET", "/applications", nil, nil, 200).must(t)
	g.do(t, "POST", "/applications", map[string]any{"displayName": "s"}, nil, 201).must(t)
	st := sim.Stats()
	if st.Routes["GET applications"] != 1 || st.Routes["POST applications"] != 1 || st.Routes["POST token"] < 1 {
		t.Errorf("routes = %v", st.Routes)
	}
	if st.Writes != 1 || st.Total != st.Routes["GET applications"]+st.Routes["POST applications"]+st.Routes["POST token"]+st.Routes["GET openid-configuration"] {
		t.Errorf("total=%d writes=%d routes=%v", st.Total, st.Writes, st.Routes)
	}
	resp, err := sim.HTTPClient().Get(sim.URL() + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	var got Stats
	if err := json.Unmarshal([]byte(readAll(t, resp)), &got); err != nil || got.Total != st.Total {
		t.Errorf("GET /_sim/stats = %+v, %v", got, err)
	}
	req, _ := http.NewRequest("DELETE", sim.URL()+"/_sim/stats", nil)
	if resp, err = sim.HTTPClient().Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE stats: %v", err)
	}
	if sim.Stats().Total != 0 {
		t.Errorf("stats not reset: %+v", sim.Stats())
	}
	resp, err = sim.HTTPClient().Get(sim.URL() + "/_sim/world")
	if err != nil {
		t.Fatal(err)
	}
	world := readAll(t, resp)
	if !contains(world, coreOp1) || contains(world, coreSecrets[coreOp1]) || contains(world, "Adm1n-pass") {
		t.Errorf("world snapshot leaks secrets or lacks data")
	}
}

// TestFaultEnvelopes: injected errors use the envelope of the service the route belongs to.
func TestFaultEnvelopes(t *testing.T) {
	sim := coreStart(t, Options{})
	sim.SetFaults(FaultProfile{Rate5xx: 1, RetryAfter: 10 * time.Millisecond})
	cases := []struct {
		name, method, path, wantBody, wantHeader string
	}{
		{"arm", "GET", "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourcegroups/rg?api-version=2025-04-01", `"code":"`, "x-ms-error-code"},
		{"graph", "GET", "/v1.0/applications", `"innerError"`, "request-id"},
		{"identity", "POST", "/" + coreT1 + "/oauth2/v2.0/token", `"error_codes":[90033]`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, sim.URL()+tc.path, nil)
			resp, err := sim.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != 500 && resp.StatusCode != 503 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !contains(body, tc.wantBody) || (tc.wantHeader != "" && resp.Header.Get(tc.wantHeader) == "") {
				t.Errorf("body %s headers %v", body, resp.Header)
			}
		})
	}
	// Admin endpoints are never faulted.
	resp, err := sim.HTTPClient().Get(sim.URL() + "/_sim/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health under faults: %v", err)
	}
	_ = readAll(t, resp)
}

func TestFaultProfileLag(t *testing.T) {
	p, err := ParseFaults("lag=2s")
	if err != nil {
		t.Fatal(err)
	}
	sim := coreStart(t, Options{Lag: time.Second, Faults: p})
	if sim.Lag() != 2*time.Second {
		t.Errorf("lag = %v, want the fault profile's 2s", sim.Lag())
	}
	sim.SetFaults(FaultProfile{Lag: 3 * time.Second})
	if sim.Lag() != 3*time.Second {
		t.Errorf("lag after SetFaults = %v", sim.Lag())
	}
	sim.SetFaults(FaultProfile{}) // no lag key: the lag stays
	if sim.Lag() != 3*time.Second {
		t.Errorf("lag after an empty profile = %v", sim.Lag())
	}
}

// The throttle bucket admits a burst, then one request per 1/rate, and says how long to wait.
func TestThrottleBucket(t *testing.T) {
	p, err := ParseFaults("throttle=10,burst=3")
	if err != nil || p.Throttle != 10 || p.Burst != 3 || p.String() != "throttle=10,burst=3" {
		t.Fatalf("ParseFaults: %+v, %v (%q)", p, err, p.String())
	}
	f := newFaultInjector(FaultProfile{})
	clock := time.Unix(1000, 0)
	f.now = func() time.Time { return clock }
	f.set(p)
	for i := range 3 {
		if ok, _ := f.take(); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := f.take()
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("4th request at once: ok=%v wait=%s, want refused with 100ms", ok, wait)
	}
	clock = clock.Add(100 * time.Millisecond)
	if ok, _ := f.take(); !ok {
		t.Fatal("a request after 1/rate refused")
	}
	if ok, _ := f.take(); ok {
		t.Fatal("a second request in the same instant admitted")
	}
	if got := f.counts()["throttled"]; got != 2 {
		t.Errorf("throttled count %d, want 2", got)
	}
	for _, bad := range []string{"throttle=0", "throttle=x", "burst=0", "burst=1.5"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) accepted", bad)
		}
	}
}
