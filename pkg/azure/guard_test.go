package azure

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

func TestOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://management.azure.com", "https://management.azure.com:443"},
		{"https://Management.Azure.COM:443/subscriptions?x=1", "https://management.azure.com:443"},
		{"HTTPS://graph.microsoft.com/v1.0", "https://graph.microsoft.com:443"},
		{"https://127.0.0.1:8443/", "https://127.0.0.1:8443"},
		{"http://graph.microsoft.com", "http://graph.microsoft.com:80"},
		{"https://[::1]:9/", "https://[::1]:9"},
	}
	for _, tc := range tests {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := origin(u); got != tc.want {
			t.Errorf("origin(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// guardServer serves /size/N (N bytes, with or without Content-Length),
// /redirect/CODE and /status/CODE, and counts requests.
func guardServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		n, _ := strconv.Atoi(parts[len(parts)-1])
		switch parts[0] {
		case "size", "chunked":
			if parts[0] == "size" {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, strings.Repeat("x", n))
		case "redirect":
			w.Header().Set("Location", "https://elsewhere.example/steal?sig=abc")
			w.WriteHeader(n)
		case "status":
			w.WriteHeader(n)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestGuardTransport(t *testing.T) {
	srv, hits := guardServer(t)
	const limit = 1000
	tests := []struct {
		name     string
		url      string // relative to srv.URL unless absolute
		wantIs   error
		wantBody int // body bytes read on success
		wantHits int64
	}{
		{name: "small body", url: "/size/10", wantBody: 10, wantHits: 1},
		{name: "body at the limit", url: "/chunked/1000", wantBody: limit, wantHits: 1},
		{name: "body past the limit", url: "/chunked/1001", wantIs: ErrResponseTooLarge, wantHits: 1},
		{name: "content-length past the limit", url: "/size/5000", wantIs: ErrResponseTooLarge, wantHits: 1},
		{name: "302", url: "/redirect/302", wantIs: ErrRedirect, wantHits: 1},
		{name: "307", url: "/redirect/307", wantIs: ErrRedirect, wantHits: 1},
		{name: "308", url: "/redirect/308", wantIs: ErrRedirect, wantHits: 1},
		{name: "304 is an answer", url: "/status/304", wantHits: 1},
		{name: "404 is an answer", url: "/status/404", wantHits: 1},
		{name: "another host", url: "https://elsewhere.example/x", wantIs: ErrForeignHost},
		{name: "same host over http", url: "http://" + strings.TrimPrefix(srv.URL, "https://") + "/size/1", wantIs: ErrForeignHost},
		{name: "same host, other port", url: "https://127.0.0.1:1/size/1", wantIs: ErrForeignHost},
	}
	hc := srv.Client() // trusts the test server
	hc.CheckRedirect = refuseRedirect
	g := newGuardTransport(hc, srv.URL+"/", "https://login.example/")
	g.maxBody = limit
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			u := tc.url
			if strings.HasPrefix(u, "/") {
				u = srv.URL + u
			}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := g.Do(req)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if tc.wantIs != nil {
				var ae *Error
				if !errors.Is(err, tc.wantIs) || !errors.As(err, &ae) || ae.Kind != KindInvalid {
					t.Errorf("err = %v, want an *Error of KindInvalid wrapping %v", err, tc.wantIs)
				}
				var nre interface{ NonRetriable() }
				if !errors.As(err, &nre) {
					t.Errorf("err = %v is retriable", err)
				}
				if err != nil && strings.Contains(err.Error(), "sig=abc") {
					t.Errorf("error repeats a URL's query: %v", err)
				}
			} else if err != nil || len(body) != tc.wantBody {
				t.Errorf("err = %v, body %d bytes; want nil, %d bytes", err, len(body), tc.wantBody)
			}
			if got := hits.Load() - before; got != tc.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tc.wantHits)
			}
		})
	}
}

// TestGuardErrorsAreNotRetried: under azcore's retry policy (set to retry
// everything), a guard refusal is returned after one attempt.
func TestGuardErrorsAreNotRetried(t *testing.T) {
	srv, hits := guardServer(t)
	hc := srv.Client()
	hc.CheckRedirect = refuseRedirect
	g := newGuardTransport(hc, srv.URL)
	g.maxBody = 100
	var attempts atomic.Int64
	count := policyFunc(func(req *policy.Request) (*http.Response, error) {
		attempts.Add(1)
		return req.Next()
	})
	pl := runtime.NewPipeline("galshare", "v0.1.0", runtime.PipelineOptions{}, &policy.ClientOptions{
		Transport:        g,
		PerRetryPolicies: []policy.Policy{count},
		Retry: policy.RetryOptions{MaxRetries: 5, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond,
			ShouldRetry: func(*http.Response, error) bool { return true }},
	})
	for _, tc := range []struct {
		path   string
		wantIs error
	}{
		{"/redirect/307", ErrRedirect},
		{"/chunked/500", ErrResponseTooLarge},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			attempts.Store(0)
			before := hits.Load()
			req, err := runtime.NewRequest(context.Background(), method, srv.URL+tc.path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pl.Do(req)
			if !errors.Is(err, tc.wantIs) {
				t.Errorf("%s %s: err = %v, want %v", method, tc.path, err, tc.wantIs)
			}
			if a, h := attempts.Load(), hits.Load()-before; a != 1 || h != 1 {
				t.Errorf("%s %s: %d attempts, %d requests; want 1, 1", method, tc.path, a, h)
			}
		}
	}
}

type policyFunc func(*policy.Request) (*http.Response, error)

func (f policyFunc) Do(req *policy.Request) (*http.Response, error) { return f(req) }

// TestConnectorGuards: Graph and ARM pipelines allow only the configured
// endpoints; token pipelines also allow the managed-identity endpoints
// (fixed ones and those the platform's variables name); a client from
// AppClients keeps the same guards.
func TestConnectorGuards(t *testing.T) {
	env := PublicCloud()
	lookup := func(k string) (string, bool) {
		if k == "IDENTITY_ENDPOINT" {
			return "http://localhost:42356/msi/token", true
		}
		return "", false
	}
	conn, err := NewConnector(Options{Env: env, LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	app := conn.AppClients("app", NewSecret("s"))
	tests := []struct {
		url       string
		api, cred bool
	}{
		{"https://login.microsoftonline.com/t/oauth2/v2.0/token", true, true},
		{"https://management.azure.com/subscriptions/s", true, true},
		{"https://graph.microsoft.com/v1.0/applications", true, true},
		{"http://graph.microsoft.com/v1.0/applications", false, false},
		{"https://graph.microsoft.com.evil.example/v1.0", false, false},
		{"http://169.254.169.254/metadata/identity/oauth2/token", false, true},
		{"http://127.0.0.1:40342/metadata/identity/oauth2/token", false, true},
		{"http://localhost:42356/msi/token", false, true},
		{"http://localhost:42357/msi/token", false, false},
	}
	for _, tc := range tests {
		u, _ := url.Parse(tc.url)
		o := origin(u)
		if got := conn.apiTransport.allowed[o]; got != tc.api {
			t.Errorf("API pipelines allow %s: %v, want %v", tc.url, got, tc.api)
		}
		if got := conn.credTransport.allowed[o]; got != tc.cred {
			t.Errorf("token pipelines allow %s: %v, want %v", tc.url, got, tc.cred)
		}
		if app.apiTransport.allowed[o] != tc.api || app.credTransport.allowed[o] != tc.cred {
			t.Errorf("AppClients guards differ for %s", tc.url)
		}
	}
	if conn.apiClientOptions().Transport != conn.apiTransport || conn.clientOptions().Transport != conn.credTransport {
		t.Error("pipelines are not built on the guarded transports")
	}
	hc, err := env.HTTPClient()
	if err != nil || hc.CheckRedirect == nil || hc.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Errorf("Environment.HTTPClient follows redirects (err %v)", err)
	}
}
