package azure_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/galshare/galshare/pkg/azure"
)

// Issue 7: oversized or malicious server responses (huge bodies, endless paging, redirects to other hosts,
// non-JSON) are bounded and reported, never followed blindly; credentials are only sent over TLS to the configured
// endpoints. These tests point pkg/azure at a hostile HTTPS "Azure" (httptest TLS) that serves a real token
// endpoint and then misbehaves on Graph and ARM, and at a second "elsewhere" server that records whatever reaches it.
// The guards under test live in guard.go (transport) and graph.go/arm.go (page caps); guard_test.go unit-tests them.

const (
	hostileTenant = "11111111-1111-1111-1111-111111111111"
	hostileClient = "c1c1c1c1-0000-4000-8000-000000000001"
	hostileSecret = "hostile-test-operator-secret-value"
	hostileToken  = "hostile-test-access-token-value"
	hostileSub    = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
)

// elsewhere records every request that reaches a host galshare was never configured for.
type elsewhere struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string // method path auth-header-present body-has-secret
}

func newElsewhere(t *testing.T, tls bool) *elsewhere {
	e := &elsewhere{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.hits = append(e.hits, fmt.Sprintf("%s %s auth=%v secret=%v token=%v", r.Method, r.URL.Path,
			r.Header.Get("Authorization") != "", strings.Contains(string(b), hostileSecret),
			strings.Contains(r.Header.Get("Authorization"), hostileToken)))
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"value":[]}`)
	})
	if tls {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// leaked reports requests that carried a credential (secret in the body, or any Authorization header).
func (e *elsewhere) leaked() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, h := range e.hits {
		if strings.Contains(h, "auth=true") || strings.Contains(h, "secret=true") || strings.Contains(h, "token=true") {
			out = append(out, h)
		}
	}
	return out
}

// hostile is the misbehaving Azure. behave answers Graph and ARM requests; identity is served normally unless
// tokenRedirect (the token endpoint answers 307 there) or tokenEndpoint (the discovery document names it as the
// token endpoint) is set.
type hostile struct {
	srv           *httptest.Server
	requests      atomic.Int64
	tokenRequests atomic.Int64
	tokenRedirect string
	tokenEndpoint string
	behave        func(w http.ResponseWriter, r *http.Request, n int64)
}

func newHostile(t *testing.T) *hostile {
	h := &hostile{}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hostile) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/.well-known/openid-configuration"):
		tenant := strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
		base := h.srv.URL + "/" + tenant
		token := base + "/oauth2/v2.0/token"
		if h.tokenEndpoint != "" {
			token = h.tokenEndpoint
		}
		writeJSON(w, http.StatusOK, map[string]any{"issuer": base + "/v2.0", "token_endpoint": token,
			"authorization_endpoint": base + "/oauth2/v2.0/authorize"})
	case strings.HasSuffix(p, "/oauth2/v2.0/token"):
		h.tokenRequests.Add(1)
		if h.tokenRedirect != "" {
			w.Header().Set("Location", h.tokenRedirect)
			w.WriteHeader(http.StatusTemporaryRedirect) // 307: a client that follows re-POSTs the form, secret included
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": hostileToken, "expires_in": 3600, "token_type": "Bearer"})
	default:
		n := h.requests.Add(1)
		h.behave(w, r, n)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// connector builds a pkg/azure connector from a cloud file naming the hostile server, as `--cloud` would.
func (h *hostile) connector(t *testing.T) *azure.Connector {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})
	cf, _ := json.Marshal(map[string]any{
		"version": 1, "name": "hostile",
		"authorityHost":   h.srv.URL + "/",
		"resourceManager": map[string]any{"endpoint": h.srv.URL, "audience": "https://management.core.windows.net/"},
		"graph":           map[string]any{"endpoint": h.srv.URL, "audience": "https://graph.microsoft.com"},
		"caCertificate":   string(ca),
		"credentials":     map[string]any{hostileTenant: map[string]any{"clientId": hostileClient, "clientSecret": hostileSecret}},
	})
	env, err := azure.ParseCloudFile(cf)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := azure.NewConnector(azure.Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false },
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}

func hostileCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noSecretIn fails when an error message repeats a credential.
func noSecretIn(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), hostileSecret) || strings.Contains(err.Error(), hostileToken)) {
		t.Errorf("error reveals a credential: %v", err)
	}
}

func TestHostileGraphResponsesAreBounded(t *testing.T) {
	tests := []struct {
		name     string
		behave   func(h *hostile, other *elsewhere) func(w http.ResponseWriter, r *http.Request, n int64)
		wantErr  string
		wantIs   error // non-nil: the guard's sentinel the error must wrap
		maxCalls int64
	}{
		{
			name: "endless paging",
			behave: func(h *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					writeJSON(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": h.srv.URL + "/v1.0/applications?page=" + strconv.FormatInt(n, 10)})
				}
			},
			wantErr: "more than 50 pages", wantIs: azure.ErrTooManyPages, maxCalls: 60,
		},
		{
			name: "nextLink to another host",
			behave: func(_ *hostile, other *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					writeJSON(w, 200, map[string]any{"value": []any{}, "@odata.nextLink": other.srv.URL + "/v1.0/applications?steal=1"})
				}
			},
			wantErr: "another host", wantIs: azure.ErrForeignHost, maxCalls: 2,
		},
		{
			name: "huge body",
			behave: func(_ *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, `{"value":[{"displayName":"`)
					chunk := strings.Repeat("A", 1<<20)
					for i := 0; i < 64; i++ { // 64 MiB, far above any real page
						if _, err := io.WriteString(w, chunk); err != nil {
							return
						}
					}
					_, _ = io.WriteString(w, `"}]}`)
				}
			},
			wantErr: "larger than", wantIs: azure.ErrResponseTooLarge, maxCalls: 1,
		},
		{
			name: "not JSON",
			behave: func(_ *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					w.Header().Set("Content-Type", "text/html")
					_, _ = io.WriteString(w, "<html><body>Sign in to continue</body></html>")
				}
			},
			wantErr: "decoding", maxCalls: 2,
		},
		{
			name: "redirect to another host",
			behave: func(_ *hostile, other *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					http.Redirect(w, r, other.srv.URL+"/v1.0/applications", http.StatusFound)
				}
			},
			wantErr: "does not follow redirects", wantIs: azure.ErrRedirect, maxCalls: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t)
			other := newElsewhere(t, true)
			h.behave = tc.behave(h, other)
			d, err := h.connector(t).Directory(hostileCtx(t), hostileTenant)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			apps, err := d.ListApplicationsByTag(hostileCtx(t), "galshare:x")
			noSecretIn(t, err)
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want one wrapping %v", err, tc.wantIs)
			}
			if err == nil && len(apps) != 0 {
				t.Errorf("hostile response produced %d applications", len(apps))
			}
			if got := h.requests.Load(); got > tc.maxCalls {
				t.Errorf("%d Graph requests, want at most %d", got, tc.maxCalls)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s: not bounded", d)
			}
			if l := other.leaked(); len(l) > 0 {
				t.Errorf("credentials reached another host: %v", l)
			}
			t.Logf("result: %v (Graph requests %d, elsewhere %d)", err, h.requests.Load(), len(other.hits))
		})
	}
}

func TestHostileARMResponsesAreBounded(t *testing.T) {
	scope := "/subscriptions/" + hostileSub + "/resourceGroups/rg"
	tests := []struct {
		name     string
		behave   func(h *hostile, other *elsewhere) func(w http.ResponseWriter, r *http.Request, n int64)
		call     func(ctx context.Context, r azure.Resources) error
		wantErr  string
		wantIs   error // non-nil: the guard's sentinel the error must wrap
		maxCalls int64
	}{
		{
			name: "endless role-assignment paging",
			behave: func(h *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					next := h.srv.URL + scope + "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&page=" + strconv.FormatInt(n, 10)
					writeJSON(w, 200, map[string]any{"value": []any{}, "nextLink": next})
				}
			},
			call: func(ctx context.Context, r azure.Resources) error {
				_, err := r.ListRoleAssignments(ctx, scope, "p")
				return err
			},
			wantErr: "more than 50 pages", wantIs: azure.ErrTooManyPages, maxCalls: 50,
		},
		{
			name: "endless role-definition paging",
			behave: func(h *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					next := h.srv.URL + scope + "/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&page=" + strconv.FormatInt(n, 10)
					writeJSON(w, 200, map[string]any{"value": []any{}, "nextLink": next})
				}
			},
			call: func(ctx context.Context, r azure.Resources) error {
				_, err := r.ResolveRoleDefinition(ctx, scope, "My Custom Role")
				return err
			},
			wantErr: "more than 50 pages", wantIs: azure.ErrTooManyPages, maxCalls: 50,
		},
		{
			name: "role-assignment nextLink to another host",
			behave: func(_ *hostile, other *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					writeJSON(w, 200, map[string]any{"value": []any{}, "nextLink": other.srv.URL + "/steal?api-version=2022-04-01"})
				}
			},
			call: func(ctx context.Context, r azure.Resources) error {
				_, err := r.ListRoleAssignments(ctx, scope, "p")
				return err
			},
			wantErr: "another host", wantIs: azure.ErrForeignHost, maxCalls: 1,
		},
		{
			name: "gallery GET not JSON",
			behave: func(_ *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					w.Header().Set("Content-Type", "text/html")
					_, _ = io.WriteString(w, "<html>proxy login</html>")
				}
			},
			call: func(ctx context.Context, r azure.Resources) error {
				_, err := r.GetGallery(ctx, scope+"/providers/Microsoft.Compute/galleries/g")
				return err
			},
			wantErr: "", maxCalls: 2,
		},
		{
			name: "gallery GET huge body",
			behave: func(_ *hostile, _ *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, `{"name":"`)
					chunk := strings.Repeat("A", 1<<20)
					for i := 0; i < 256; i++ { // 256 MiB
						if _, err := io.WriteString(w, chunk); err != nil {
							return
						}
					}
					_, _ = io.WriteString(w, `"}`)
				}
			},
			call: func(ctx context.Context, r azure.Resources) error {
				_, err := r.GetGallery(ctx, scope+"/providers/Microsoft.Compute/galleries/g")
				return err
			},
			wantErr: "larger than", wantIs: azure.ErrResponseTooLarge, maxCalls: 1,
		},
		{
			name: "redirect to another host",
			behave: func(_ *hostile, other *elsewhere) func(http.ResponseWriter, *http.Request, int64) {
				return func(w http.ResponseWriter, r *http.Request, n int64) {
					http.Redirect(w, r, other.srv.URL+r.URL.Path, http.StatusTemporaryRedirect)
				}
			},
			call: func(ctx context.Context, r azure.Resources) error {
				_, err := r.GetGallery(ctx, scope+"/providers/Microsoft.Compute/galleries/g")
				return err
			},
			wantErr: "does not follow redirects", wantIs: azure.ErrRedirect, maxCalls: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t)
			other := newElsewhere(t, true)
			h.behave = tc.behave(h, other)
			res, err := h.connector(t).Resources(hostileCtx(t), hostileTenant)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = tc.call(ctx, res)
			noSecretIn(t, err)
			if err == nil {
				t.Errorf("a hostile response was accepted without an error")
			} else if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want one wrapping %v", err, tc.wantIs)
			}
			if ctx.Err() != nil {
				t.Errorf("not bounded: still running after 20 s (%d requests)", h.requests.Load())
			}
			if got := h.requests.Load(); got > tc.maxCalls {
				t.Errorf("%d ARM requests, want at most %d", got, tc.maxCalls)
			}
			if l := other.leaked(); len(l) > 0 {
				t.Errorf("credentials reached another host: %v", l)
			}
			t.Logf("result: %v (ARM requests %d, elsewhere %v)", err, h.requests.Load(), other.hits)
		})
	}
}

// TestHostileTokenRedirectKeepsSecret: a token endpoint that answers 307 to another host, or an authority whose
// discovery document names a token endpoint on another host, must not make galshare send its client secret there
// (over TLS or, worse, plain HTTP). The sign-in fails with an error saying why; Graph is never called.
func TestHostileTokenRedirectKeepsSecret(t *testing.T) {
	for _, mode := range []string{"redirect", "discovery"} {
		for _, tlsOther := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tls=%v", mode, tlsOther), func(t *testing.T) {
				h := newHostile(t)
				other := newElsewhere(t, tlsOther)
				wantErr := "does not follow redirects"
				if mode == "redirect" {
					h.tokenRedirect = other.srv.URL + "/steal/oauth2/v2.0/token"
				} else {
					h.tokenEndpoint = other.srv.URL + "/steal/oauth2/v2.0/token"
					wantErr = "another host"
				}
				h.behave = func(w http.ResponseWriter, r *http.Request, n int64) {
					writeJSON(w, 200, map[string]any{"value": []any{}})
				}
				d, err := h.connector(t).Directory(hostileCtx(t), hostileTenant)
				if err == nil {
					_, err = d.ListApplicationsByTag(hostileCtx(t), "x")
				}
				noSecretIn(t, err)
				if err == nil || !strings.Contains(err.Error(), wantErr) {
					t.Errorf("err = %v, want a sign-in failure mentioning %q", err, wantErr)
				}
				var ae *azure.Error
				if !errors.As(err, &ae) || ae.Kind != azure.KindAuthFailed {
					t.Errorf("err = %#v, want an *azure.Error of KindAuthFailed", err)
				}
				if l := other.leaked(); len(l) > 0 {
					t.Errorf("the client secret was re-sent to a host outside the cloud config: %v", l)
				}
				if n := h.requests.Load(); n != 0 {
					t.Errorf("%d Graph requests without a token", n)
				}
				t.Logf("result: %v (token requests %d, elsewhere %v)", err, h.tokenRequests.Load(), other.hits)
			})
		}
	}
}

// TestHostileCloudFileRefusesPlainHTTP: credentials only ever go over TLS: a cloud file with an http endpoint is
// refused before any request is made.
func TestHostileCloudFileRefusesPlainHTTP(t *testing.T) {
	other := newElsewhere(t, false)
	for _, field := range []string{"authorityHost", "resourceManager", "graph"} {
		t.Run(field, func(t *testing.T) {
			cf := map[string]any{
				"version": 1, "name": "plain",
				"authorityHost":   "https://login.example/",
				"resourceManager": map[string]any{"endpoint": "https://arm.example", "audience": "https://management.core.windows.net/"},
				"graph":           map[string]any{"endpoint": "https://graph.example", "audience": "https://graph.microsoft.com"},
				"credentials":     map[string]any{hostileTenant: map[string]any{"clientId": hostileClient, "clientSecret": hostileSecret}},
			}
			switch field {
			case "authorityHost":
				cf[field] = other.srv.URL + "/"
			default:
				cf[field] = map[string]any{"endpoint": other.srv.URL, "audience": "https://x"}
			}
			b, _ := json.Marshal(cf)
			_, err := azure.ParseCloudFile(b)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "https") {
				t.Errorf("ParseCloudFile with an http %s: err = %v, want a refusal naming https", field, err)
			}
			noSecretIn(t, err)
			if len(other.hits) != 0 {
				t.Errorf("requests reached the plain-HTTP server: %v", other.hits)
			}
		})
	}
}
