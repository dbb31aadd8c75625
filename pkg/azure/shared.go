package azure

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armpolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/policy"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/hashicorp/go-hclog"
)

// Shared pipelines. An azcore pipeline costs about 2 KB (its sanitizer's
// allow-lists, retry, logging and telemetry policies) and is normally bound to
// one credential through its bearer-token policy, so one Graph client and one
// raw ARM client per tenant cost 40 MB at 10,000 tenants. The Graph client
// and the raw ARM requests (existence checks, effective permissions) instead
// go through one pipeline per Connector whose authorisation step is
// tenantAuth: it hands each request to the bearer-token policy its context
// carries (withAuth), which is the official azcore one (Graph) or arm one
// (ARM: auxiliary tenants, ARM's challenge handling) of the tenant that made
// the request. Per tenant only that policy remains (its token cache, a few
// hundred bytes). The SDK clients of armauthorization and armcompute keep
// their own per-tenant pipelines: their constructors take a credential, not a
// pipeline; arm.go builds them lazily.

// authKey is the context key of the per-request bearer policy.
type authKey struct{}

// withAuth returns ctx carrying auth, the bearer-token policy that authorises
// requests sent with ctx on a shared pipeline.
func withAuth(ctx context.Context, auth policy.Policy) context.Context {
	return context.WithValue(ctx, authKey{}, auth)
}

// errNoAuth: a request reached a shared pipeline without withAuth (a bug).
var errNoAuth = errors.New("request on a shared pipeline carries no tenant credential")

// tenantAuth is the per-retry policy of the shared pipelines, where the bearer
// policy would be in a per-tenant one. The policy it calls continues the
// pipeline after tenantAuth (request.Next), exactly as it would in its own.
type tenantAuth struct{}

// Do implements policy.Policy.
func (tenantAuth) Do(req *policy.Request) (*http.Response, error) {
	auth, ok := req.Raw().Context().Value(authKey{}).(policy.Policy)
	if !ok || auth == nil {
		return nil, nonRetriable{&Error{Kind: KindInvalid, Op: req.Raw().Method, Message: errNoAuth.Error(), Err: errNoAuth}}
	}
	return auth.Do(req)
}

// sharedPipelines are a Connector's Graph and raw ARM pipelines.
type sharedPipelines struct {
	graph     runtime.Pipeline
	graphBase *url.URL // e.g. https://graph.microsoft.com/v1.0
	arm       runtime.Pipeline
	armEP     string
	// redact is the connector's redactor (redact.go).
	redact *Redactor
	// authority, graphOrigin and armOrigin name what a call timed out
	// waiting for (waitedFor).
	authority, graphOrigin, armOrigin string
}

// newSharedPipelines builds the shared pipelines on copts (the API options:
// guarded transport, retry rules, logging).
func newSharedPipelines(env Environment, copts azcore.ClientOptions) (*sharedPipelines, error) {
	base, err := url.Parse(strings.TrimRight(env.GraphEndpoint, "/") + "/" + graphAPIVersion)
	if err != nil {
		return nil, err
	}
	plOpts := runtime.PipelineOptions{PerRetry: []policy.Policy{tenantAuth{}}}
	return &sharedPipelines{
		graph:     runtime.NewPipeline("galshare", "v0.1.0", plOpts, &copts),
		graphBase: base,
		arm:       runtime.NewPipeline("galshare", "v0.1.0", plOpts, &copts),
		armEP:     armEndpoint(copts.Cloud),
	}, nil
}

// armEndpoint is the resource manager endpoint of a cloud configuration, as
// arm.NewClient reads it.
func armEndpoint(c cloud.Configuration) string {
	if s, ok := c.Services[cloud.ResourceManager]; ok && s.Endpoint != "" {
		return s.Endpoint
	}
	return cloud.AzurePublic.Services[cloud.ResourceManager].Endpoint
}

// directory is tenant's Graph client on the shared pipeline, authorised by
// cred's Graph bearer policy.
func (s *sharedPipelines) directory(tenant string, env Environment, cred azcore.TokenCredential, log hclog.Logger) *graphDirectory {
	return &graphDirectory{tenant: tenant, g: &graphClient{pl: s.graph, base: s.graphBase, auth: newGraphAuth(env, cred), log: log},
		redact: s.redact, authority: s.authority, graphOrigin: s.graphOrigin}
}

// newGraphAuth is the Graph bearer-token policy of one tenant's credential.
func newGraphAuth(env Environment, cred azcore.TokenCredential) policy.Policy {
	return runtime.NewBearerTokenPolicy(cred, []string{env.GraphScope()}, nil)
}

// newARMAuth is the ARM bearer-token policy of one tenant's credential, as
// arm.NewClient builds it for opts (scope from the cloud's ARM audience,
// auxiliary tenants).
func newARMAuth(cred azcore.TokenCredential, opts *arm.ClientOptions) policy.Policy {
	aud := ""
	if s, ok := opts.Cloud.Services[cloud.ResourceManager]; ok {
		aud = s.Audience
	}
	if aud == "" {
		aud = cloud.AzurePublic.Services[cloud.ResourceManager].Audience
	}
	return armruntime.NewBearerTokenPolicy(cred, &armpolicy.BearerTokenOptions{
		Scopes:                          []string{aud + "/.default"},
		AuxiliaryTenants:                opts.AuxiliaryTenants,
		InsecureAllowCredentialWithHTTP: opts.InsecureAllowCredentialWithHTTP,
	})
}

// rawARM sends hand-built ARM requests (existence checks, effective
// permissions) for one tenant on the Connector's shared raw ARM pipeline.
// Build requests with its NewRequest, which authorises them as the tenant.
type rawARM struct {
	endpoint string
	pl       runtime.Pipeline
	auth     policy.Policy
}

// Endpoint is the ARM endpoint, without a trailing slash as the cloud
// configuration gives it.
func (c *rawARM) Endpoint() string { return c.endpoint }

// NewRequest is runtime.NewRequest for this tenant: requests built with it
// carry the tenant's bearer policy for the shared pipeline.
func (c *rawARM) NewRequest(ctx context.Context, method, u string) (*policy.Request, error) {
	return runtime.NewRequest(withAuth(ctx, c.auth), method, u)
}

// Pipeline is the shared pipeline; it only sends requests from NewRequest.
func (c *rawARM) Pipeline() runtime.Pipeline { return c.pl }
