package azure

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Issue 14.4: a dead endpoint (the simulator stopped mid-run) was retried
// for minutes and blamed on the credentials. Connection refused, DNS and TLS
// failures are KindNetwork: retried a few times within seconds, never
// reported as an authentication failure, and the message names the
// endpoint and says it is the network.

// deadSim starts the simulator, builds a connector on it with galshare's
// default retry counts (only the delays shortened) and stops the simulator.
// It returns the connector and the endpoint's origin.
func deadSim(t *testing.T) (*Connector, string) {
	t.Helper()
	sim, c := startSim(t, Options{Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}})
	u, err := url.Parse(c.Environment().AuthorityHost)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, u.Scheme + "://" + u.Host
}

func TestDeadEndpointIsNetworkNotCredentials(t *testing.T) {
	calls := []struct {
		name string
		call func(ctx context.Context, c *Connector) error
	}{
		{"sign in", func(ctx context.Context, c *Connector) error { return c.SignIn(ctx, simPub) }},
		{"graph read", func(ctx context.Context, c *Connector) error {
			d, err := c.Directory(ctx, simPub)
			if err != nil {
				return err
			}
			_, err = d.GetApplicationByUniqueName(ctx, "galshare-contoso")
			return err
		}},
		{"arm read", func(ctx context.Context, c *Connector) error {
			r, err := c.Resources(ctx, simCon)
			if err != nil {
				return err
			}
			return r.CheckScope(ctx, simVMRG)
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			c, endpoint := deadSim(t)
			err := tc.call(t.Context(), c)
			if KindOf(err) != KindNetwork {
				t.Fatalf("kind %v, want %v: %v", KindOf(err), KindNetwork, err)
			}
			msg := err.Error()
			for _, want := range []string{"cannot reach " + endpoint, "connection refused", "the network, not the credentials"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q: %s", want, msg)
				}
			}
			if strings.Contains(msg, "authentication failed") || strings.Contains(msg, "check the credentials") {
				t.Errorf("a dead endpoint is blamed on the credentials: %s", msg)
			}
			if IsRetryable(err) {
				t.Errorf("a dead endpoint is retryable by the executor (minutes of retries): %s", msg)
			}
			// A short, bounded retry: at most 1+unreachableRetries attempts of
			// the one request that failed (the token request's discovery).
			n := c.Calls()
			if n > 1+unreachableRetries {
				t.Errorf("%d attempts against a dead endpoint, want at most %d", n, 1+unreachableRetries)
			}
			// The next call to the endpoint just given up on tries once, and
			// is not retried: reads queued behind a dead authority fail fast.
			if err := tc.call(t.Context(), c); KindOf(err) != KindNetwork {
				t.Fatalf("second call: %v", err)
			}
			if again := c.Calls() - n; again != 1 {
				t.Errorf("second call made %d attempts, want 1", again)
			}
		})
	}
}

// TestNetworkErrorsClassified: the transport failures that say "the
// endpoint cannot be reached", as Go and MSAL report them.
func TestNetworkErrorsClassified(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "https://127.0.0.1:4443/x?api-version=1",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}
	dns := &url.Error{Op: "Get", URL: "https://login.example.invalid/t/v2.0/.well-known/openid-configuration",
		Err: &net.DNSError{Err: "no such host", Name: "login.example.invalid", IsNotFound: true}}
	msal := errors.New(`ClientSecretCredential: unable to resolve an endpoint: server response error:
 Get "https://127.0.0.1:4443/t/v2.0/.well-known/openid-configuration": dial tcp 127.0.0.1:4443: connect: connection refused`)
	tests := []struct {
		name      string
		err       error
		endpoint  string
		cause     string
		retryable bool
	}{
		{"refused", refused, "https://127.0.0.1:4443", "connection refused", false},
		{"dns", dns, "https://login.example.invalid", "no such host", false},
		{"msal text", msal, "https://127.0.0.1:4443", "connection refused", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Classify(simPub, "", "sign in", tt.err)
			if e.Kind != KindNetwork || IsRetryable(e) != tt.retryable {
				t.Fatalf("kind %v retryable %v: %v", e.Kind, IsRetryable(e), e)
			}
			for _, want := range []string{"cannot reach " + tt.endpoint, tt.cause, "not the credentials"} {
				if !strings.Contains(e.Error(), want) {
					t.Errorf("%q lacks %q", e.Error(), want)
				}
			}
		})
	}
}

// Issue 12.8: a hung endpoint (accepts, never answers) cost 120 s per
// request. Each request has Options.RequestTimeout; a timed-out request is
// retried at most timeoutRetries times (none) and the error names the
// endpoint.
func TestHungEndpointTimesOut(t *testing.T) {
	release := make(chan struct{})
	// The handler answers nothing until the test ends, even once the client
	// has given up (an answer then could race a retry's request).
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	env := Environment{Name: "hung", CACertPEM: ca, AuthorityHost: srv.URL + "/", ARMEndpoint: srv.URL, ARMAudience: "https://management.core.windows.net/",
		GraphEndpoint: srv.URL, GraphAudience: "https://graph.microsoft.com",
		Credentials: map[string]CredentialConfig{simPub: {Method: MethodClientSecret, ClientID: "c0000000-0000-0000-0000-000000000001",
			ClientSecret: NewSecret("hung-test-secret-value"), source: "test"}}}
	c, err := NewConnector(Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false },
		RequestTimeout: 50 * time.Millisecond,

		Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	err = c.SignIn(t.Context(), simPub)
	if KindOf(err) != KindNetwork {
		t.Fatalf("kind %v, want network: %v", KindOf(err), err)
	}
	for _, want := range []string{"cannot reach " + srv.URL + " (no answer within 50ms)", "not the credentials"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err.Error(), want)
		}
	}
	if n := c.Calls(); n > 1+timeoutRetries {
		t.Errorf("%d attempts against a hung endpoint, want at most %d", n, 1+timeoutRetries)
	}
	// Another call to the endpoint just given up on fails at once, without
	// a request (each would cost a whole request timeout).
	before := hits.Load()
	if err := c.SignIn(t.Context(), simPub); KindOf(err) != KindNetwork || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("second call: %v", err)
	}
	if after := hits.Load(); after != before {
		t.Errorf("second call sent %d requests to the hung endpoint, want none", after-before)
	}
}

// TestUnusableDiscoveryIsNotCredentials: an authority that answers its
// discovery request with nothing usable (an empty 200, as a broken proxy or
// a server that gave up on a timed-out request sends) is the endpoint's
// fault, not the credentials'.
func TestUnusableDiscoveryIsNotCredentials(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	env := Environment{Name: "empty", CACertPEM: ca, AuthorityHost: srv.URL + "/", ARMEndpoint: srv.URL,
		ARMAudience: "https://management.core.windows.net/", GraphEndpoint: srv.URL, GraphAudience: "https://graph.microsoft.com",
		Credentials: map[string]CredentialConfig{simPub: {Method: MethodClientSecret, ClientID: "c0000000-0000-0000-0000-000000000001",
			ClientSecret: NewSecret("empty-test-secret-value"), source: "test"}}}
	c, err := NewConnector(Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	err = c.SignIn(t.Context(), simPub)
	if KindOf(err) != KindInvalid || strings.Contains(err.Error(), "check the credentials") ||
		!strings.Contains(err.Error(), "discovery document is unusable") {
		t.Fatalf("kind %v: %v", KindOf(err), err)
	}
}
