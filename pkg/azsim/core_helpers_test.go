package azsim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Tenants of the core test world.
const (
	coreT1 = "11111111-1111-1111-1111-111111111111" // publisher: operator with Application.ReadWrite.All
	coreT2 = "22222222-2222-2222-2222-222222222222" // consumer: operator with Application.ReadWrite.All, admins
	coreT3 = "33333333-3333-3333-3333-333333333333" // operator with Application.ReadWrite.OwnedBy only
	coreT4 = "44444444-4444-4444-4444-444444444444" // operator with no Graph permission

	coreOp1 = "a1111111-0000-0000-0000-000000000001"
	coreOp2 = "a2222222-0000-0000-0000-000000000002"
	coreOp3 = "a3333333-0000-0000-0000-000000000003"
	coreOp4 = "a4444444-0000-0000-0000-000000000004"
)

const coreSeedYAML = `
settings:
  replicationTime: 1s
tenants:
  - id: 11111111-1111-1111-1111-111111111111
    domain: contoso.onmicrosoft.com
    displayName: Contoso
    operators:
      - {name: publisher, clientId: a1111111-0000-0000-0000-000000000001, clientSecret: op1-secret-value, graphPermissions: [Application.ReadWrite.All]}
  - id: 22222222-2222-2222-2222-222222222222
    domain: fabrikam.onmicrosoft.com
    displayName: Fabrikam
    users:
      - {upn: admin@fabrikam.onmicrosoft.com, password: Adm1n-pass, directoryRoles: [Global Administrator]}
      - {upn: dev@fabrikam.onmicrosoft.com, password: Dev-pass, directoryRoles: [User]}
    operators:
      - {name: consumer, clientId: a2222222-0000-0000-0000-000000000002, clientSecret: op2-secret-value, graphPermissions: [Application.ReadWrite.All]}
  - id: 33333333-3333-3333-3333-333333333333
    operators:
      - {name: owned, clientId: a3333333-0000-0000-0000-000000000003, clientSecret: op3-secret-value, graphPermissions: [Application.ReadWrite.OwnedBy]}
  - id: 44444444-4444-4444-4444-444444444444
    operators:
      - {name: nothing, clientId: a4444444-0000-0000-0000-000000000004, clientSecret: op4-secret-value}
`

var coreSecrets = map[string]string{coreOp1: "op1-secret-value", coreOp2: "op2-secret-value",
	coreOp3: "op3-secret-value", coreOp4: "op4-secret-value"}

func coreSeed(t testing.TB) *Seed {
	t.Helper()
	seed, err := ParseSeed([]byte(coreSeedYAML))
	if err != nil {
		t.Fatalf("parse core seed: %v", err)
	}
	return seed
}

// coreStart starts a simulator with the core seed (unless opts has one) and closes it when the test ends.
func coreStart(t testing.TB, opts Options) *Sim {
	t.Helper()
	if opts.Seed == nil && opts.SeedFile == "" {
		opts.Seed = coreSeed(t)
	}
	sim, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sim.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sim
}

func coreCred(t testing.TB, sim *Sim, tenant, clientID, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:              sim.ClientOptions(),
		DisableInstanceDiscovery:   true,
		AdditionallyAllowedTenants: []string{"*"},
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

// graphClient is the kind of small Graph client galshare writes: an azcore pipeline with a bearer token policy.
type graphClient struct {
	pl   runtime.Pipeline
	base string
}

func newGraphClient(sim *Sim, cred azcore.TokenCredential, retry *policy.RetryOptions) *graphClient {
	opts := sim.ClientOptions()
	opts.Retry = policy.RetryOptions{MaxRetries: -1}
	if retry != nil {
		opts.Retry = *retry
	}
	bt := runtime.NewBearerTokenPolicy(cred, []string{"https://graph.microsoft.com/.default"}, nil)
	return &graphClient{
		pl:   runtime.NewPipeline("azsimtest", "v0.0.1", runtime.PipelineOptions{PerRetry: []policy.Policy{bt}}, &opts),
		base: sim.URL() + "/v1.0",
	}
}

func coreGraphFor(t testing.TB, sim *Sim, tenant, clientID string) *graphClient {
	return newGraphClient(sim, coreCred(t, sim, tenant, clientID, coreSecrets[clientID]), nil)
}

// gresp is a Graph response: status, decoded JSON body and the azcore error when the status was not wanted.
type gresp struct {
	status int
	header http.Header
	body   map[string]any
	err    error
}

func (r gresp) code() string {
	var re *azcore.ResponseError
	if errors.As(r.err, &re) {
		return re.ErrorCode
	}
	return ""
}

func (r gresp) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

// do sends a request; path is relative to /v1.0 or absolute. want lists the success statuses.
func (c *graphClient) do(t testing.TB, method, path string, body any, hdr map[string]string, want ...int) gresp {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = c.base + path
	}
	req, err := runtime.NewRequest(context.Background(), method, u)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	}
	for k, v := range hdr {
		req.Raw().Header.Set(k, v)
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		return gresp{err: err}
	}
	out := gresp{status: resp.StatusCode, header: resp.Header}
	if !runtime.HasStatusCode(resp, want...) {
		out.err = runtime.NewResponseError(resp)
		return out
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.body); err != nil {
			t.Fatalf("decode %s %s: %v: %s", method, path, err, b)
		}
	}
	return out
}

// must fails the test unless the response succeeded.
func (r gresp) must(t testing.TB) gresp {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r
}

// jwtBody decodes a token's claims without verification (tests only).
func jwtBody(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode JWT: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode JWT: %v", err)
	}
	return m
}

// fakeClock is a settable clock for lag and expiry tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// aadCode extracts the AADSTS code from an azidentity error ("" when none).
func aadCode(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	i := strings.Index(msg, "AADSTS")
	if i < 0 {
		return ""
	}
	j := i + 6
	for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
		j++
	}
	return msg[i:j]
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}
