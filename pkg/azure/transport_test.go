package azure

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
)

// recorded is one request a fakeTransport saw.
type recorded struct {
	Method, URL, Path, RawQuery string
	Header                      http.Header
	Body                        []byte
}

// fakeTransport answers requests with a handler and records them: the unit-test
// stand-in for Azure (the simulator covers the real protocol end to end).
type fakeTransport struct {
	t       *testing.T
	mu      sync.Mutex
	reqs    []recorded
	handler func(r recorded) *http.Response
}

func (f *fakeTransport) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	r := recorded{Method: req.Method, URL: req.URL.String(), Path: req.URL.Path, RawQuery: req.URL.RawQuery, Header: req.Header.Clone(), Body: body}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	resp := f.handler(r)
	resp.Request = req
	return resp, nil
}

func (f *fakeTransport) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func jsonResp(status int, v any, headers ...string) *http.Response {
	var body string
	switch b := v.(type) {
	case string:
		body = b
	case nil:
	default:
		raw, _ := json.Marshal(v)
		body = string(raw)
	}
	return httpResp(status, body, headers...)
}

func testClientOptions(tr *fakeTransport, log hclog.Logger) azcore.ClientOptions {
	env := PublicCloud()
	return azcore.ClientOptions{
		Cloud:            env.CloudConfig(),
		Transport:        tr,
		Retry:            policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond},
		PerRetryPolicies: []policy.Policy{&logPolicy{log: log, calls: new(atomic.Int64)}},
	}
}

func newTestDirectory(t *testing.T, handler func(r recorded) *http.Response) (*graphDirectory, *fakeTransport) {
	tr := &fakeTransport{t: t, handler: handler}
	d, err := newGraphDirectory("11111111-1111-1111-1111-111111111111", PublicCloud(), &fake.TokenCredential{}, testClientOptions(tr, hclog.NewNullLogger()), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	return d, tr
}

func newTestResources(t *testing.T, handler func(r recorded) *http.Response) (*armResources, *fakeTransport) {
	tr := &fakeTransport{t: t, handler: handler}
	return newARMResources("22222222-2222-2222-2222-222222222222", &fake.TokenCredential{}, testClientOptions(tr, hclog.NewNullLogger()), nil), tr
}

func decodeBody(t *testing.T, r recorded) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(bytes.NewReader(r.Body)).Decode(&m); err != nil {
		t.Fatalf("request body of %s %s: %v", r.Method, r.Path, err)
	}
	return m
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s = %q, missing %q", what, s, sub)
		}
	}
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

func asError(err error, target **Error) bool { return errors.As(err, target) }
