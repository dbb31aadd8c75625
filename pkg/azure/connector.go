package azure

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/go-hclog"
)

// Options configures a Connector. The zero value means: public cloud, default
// credential chain for every tenant, no logging, azcore's retry defaults.
type Options struct {
	// Env is the cloud; the zero value means PublicCloud().
	Env Environment
	// Credentials is the parsed --credentials file, or nil.
	Credentials *CredentialsFile
	// LookupEnv reads environment variables (nil: os.LookupEnv); tests inject it.
	LookupEnv func(string) (string, bool)
	// Logger receives one debug line per HTTP call (nil: none).
	Logger hclog.Logger
	// Retry tunes the pipelines' retries. Zero fields keep azcore's defaults
	// (exponential from 0.8 s, its status codes) except MaxRetries
	// (DefaultMaxRetries) and MaxRetryDelay (DefaultMaxRetryDelay); the
	// package doc's Retries section says how Graph and ARM calls use them. A
	// ShouldRetry set here replaces galshare's rules.
	Retry policy.RetryOptions
	// RequestTimeout bounds one HTTP request, connect to last byte
	// (0: DefaultRequestTimeout, 20 s). A request that gets no answer in
	// time is not retried: it fails as KindNetwork naming the endpoint, and
	// calls to that endpoint fail without a request for a minute
	// (network.go).
	RequestTimeout time.Duration
	// RetryBudget bounds the time one Graph or ARM call spends retrying: no
	// retry starts past it (0: DefaultRetryBudget, negative: no bound beyond
	// MaxRetries).
	RetryBudget time.Duration
	// UserAgent is added to every request's telemetry (default "galshare").
	UserAgent string
	// Redactor, when set, is shared with the caller (the CLI redacts its
	// stderr with it): the connector adds every credential value it reads
	// or receives. nil: the connector makes its own.
	Redactor *Redactor
	// MaxInFlight bounds the HTTP requests this connector (and the
	// connectors AppClients derives from it) has on the wire at once, token
	// requests included: --parallelism (0: unbounded). See limit.go.
	MaxInFlight int
}

// Connector hands out per-tenant Directory and Resources clients, building one
// credential, one Graph client and one ARM client set per tenant on first use and
// reusing them (and their tokens and connections) afterwards. It is safe for
// concurrent use.
type Connector struct {
	env        Environment
	opts       Options
	httpClient *http.Client
	// apiTransport guards the Graph and ARM pipelines (configured endpoints
	// only); credTransport guards token pipelines, which may also reach the
	// platform's managed-identity endpoints. Both wrap httpClient (guard.go).
	apiTransport  *guardTransport
	credTransport *guardTransport
	log           hclog.Logger
	calls         atomic.Int64
	// redact knows every credential value this connector (and those
	// AppClients derives) has read or received (redact.go).
	redact *Redactor
	// down remembers the endpoints calls gave up on as unreachable, for
	// this connector and those AppClients derives (network.go).
	down *unreachableOrigins

	// appID/appSecret make this a connector that signs in as the shared app
	// itself in every tenant (see AppClients).
	appID     string
	appSecret Secret

	// Built once per connector and shared by every tenant (see initShared):
	// the token pipelines' options, the Graph and ARM pipelines' options,
	// the ARM clients' options and the shared Graph and raw ARM pipelines
	// (shared.go). Per tenant only credentials, bearer policies and the
	// SDK clients actually used remain.
	credOpts azcore.ClientOptions
	apiOpts  azcore.ClientOptions
	armOpts  *arm.ClientOptions
	shared   *sharedPipelines

	mu    sync.Mutex
	creds map[string]azcore.TokenCredential
	dirs  map[string]*graphDirectory
	res   map[string]*armResources
}

// NewConnector validates the environment and returns a Connector. No network
// call is made until a client is used.
func NewConnector(opts Options) (*Connector, error) {
	if opts.Env.AuthorityHost == "" {
		opts.Env = PublicCloud()
	}
	if err := opts.Env.Validate(); err != nil {
		return nil, fmt.Errorf("cloud %s: %w", opts.Env.Name, err)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "galshare"
	}
	opts.Retry = retryDefaults(opts.Retry)
	hc, err := opts.Env.HTTPClient()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	hc.Timeout = opts.RequestTimeout
	hc = limitClient(hc, opts.MaxInFlight, log)
	red := opts.Redactor
	if red == nil {
		red = NewRedactor()
	}
	for _, cfg := range opts.Env.Credentials {
		red.AddSecret(cfg.ClientSecret)
	}
	down := newUnreachableOrigins()
	c := &Connector{
		env: opts.Env, opts: opts, httpClient: hc, log: log, redact: red, down: down,
		apiTransport:  newGuardTransport(hc, opts.Env.endpointURLs()...),
		credTransport: newGuardTransport(hc, append(opts.Env.endpointURLs(), managedIdentityOrigins(opts.LookupEnv)...)...),
	}
	c.apiTransport.down, c.credTransport.down = down, down
	if err := c.initShared(); err != nil {
		return nil, err
	}
	return c, nil
}

// initShared builds what every tenant's clients share and empties the
// client caches. The cloud configuration is built once: azcore copies it by
// value into each client, and its services map is then shared, not copied.
func (c *Connector) initShared() error {
	base := azcore.ClientOptions{
		Cloud:            c.env.CloudConfig(),
		Transport:        c.credTransport,
		Retry:            c.opts.Retry,
		Telemetry:        policy.TelemetryOptions{ApplicationID: c.opts.UserAgent},
		PerRetryPolicies: []policy.Policy{&logPolicy{log: c.log, calls: &c.calls, redact: c.redact}},
	}
	down := c.down
	c.credOpts = base
	credRules := credentialRetryRules(base.Retry)
	credRules.down = down
	credRules.installGate(&c.credOpts)
	c.apiOpts = base
	c.apiOpts.Transport = c.apiTransport
	apiRules := newRetryRules(c.apiOpts.Retry, c.opts.RetryBudget)
	apiRules.down = down
	apiRules.apply(&c.apiOpts)
	c.armOpts = &arm.ClientOptions{ClientOptions: c.apiOpts, DisableRPRegistration: true}
	shared, err := newSharedPipelines(c.env, c.apiOpts)
	if err != nil {
		return fmt.Errorf("cloud %s: %w", c.env.Name, err)
	}
	shared.redact = c.redact
	shared.authority, shared.graphOrigin, shared.armOrigin =
		originOf(c.env.AuthorityHost), originOf(c.env.GraphEndpoint), originOf(c.env.ARMEndpoint)
	c.shared = shared
	c.creds = map[string]azcore.TokenCredential{}
	c.dirs = map[string]*graphDirectory{}
	c.res = map[string]*armResources{}
	return nil
}

// Close releases idle connections. Call it when done: an HTTP server shutting
// down (the in-process simulator in tests) otherwise waits up to 5 s for
// connections that were dialled in parallel but never used.
func (c *Connector) Close() {
	if tr, ok := c.httpClient.Transport.(interface{ CloseIdleConnections() }); ok {
		tr.CloseIdleConnections()
	}
}

// Environment returns the cloud this connector talks to (for consent URLs).
func (c *Connector) Environment() Environment { return c.env }

// Calls returns how many HTTP requests (attempts, token requests included) this
// connector has sent; a connector from AppClients counts its own.
func (c *Connector) Calls() int64 { return c.calls.Load() }

// AppClients returns a connector that signs in as the shared app itself (client
// id appID, secret value secret) in every tenant, sharing this connector's cloud,
// transport and logger. `galshare verify` uses it to prove the consumer's path.
func (c *Connector) AppClients(appID string, secret Secret) *Connector {
	a := &Connector{
		env: c.env, opts: c.opts, httpClient: c.httpClient, log: c.log,
		apiTransport: c.apiTransport, credTransport: c.credTransport,
		appID: appID, appSecret: secret, redact: c.redact, down: c.down,
	}
	c.redact.AddSecret(secret)
	if err := a.initShared(); err != nil {
		// Unreachable: the same environment already built c's.
		panic(err)
	}
	return a
}

// CredentialSource names where the credentials galshare signs in to tenant
// with come from (e.g. "environment (GALSHARE_TENANT_1111…_*)", "credentials
// file", "cloud file"), so a refused secret is reported with the place to fix
// it; "" when galshare has none for tenant.
func (c *Connector) CredentialSource(tenant string) string {
	cfg, ok := c.credentialConfig(tenant)
	if !ok {
		return ""
	}
	src := cfg.Source()
	switch {
	case src == "credentials file":
		src += " (entry tenants." + strings.ToLower(tenant) + ")"
	case src == "cloud file":
		src += " (--cloud or " + "GALSHARE_CLOUD" + ")"
	}
	if cfg.ClientSecretEnv != "" {
		src += ", secret from $" + cfg.ClientSecretEnv
	}
	return src
}

// credentialConfig finds how to sign in to tenant: app identity, credentials
// file entry, environment, cloud file, credentials-file default, and finally the
// default chain (public clouds only).
func (c *Connector) credentialConfig(tenant string) (CredentialConfig, bool) {
	key := strings.ToLower(tenant)
	if c.appID != "" {
		return CredentialConfig{Method: MethodClientSecret, ClientID: c.appID, ClientSecret: c.appSecret,
			source: "shared app", allowedTenants: []string{"*"}}, true
	}
	if f := c.opts.Credentials; f != nil {
		if cfg, ok := f.Tenants[key]; ok {
			return cfg, cfg.EffectiveMethod() != MethodNone
		}
	}
	if cfg, ok := credentialFromEnv(tenant, c.lookupEnv); ok {
		return cfg, true
	}
	if cfg, ok := c.env.Credentials[key]; ok {
		return cfg, true
	}
	if f := c.opts.Credentials; f != nil && f.Default != nil {
		return *f.Default, f.Default.EffectiveMethod() != MethodNone
	}
	if c.env.IsPublicAuthority() {
		return CredentialConfig{Method: MethodDefault, source: "default credential chain"}, true
	}
	return CredentialConfig{}, false
}

// MissingCredentials explains why galshare cannot sign in to tenant, or
// returns nil when it can, or when the credentials file says method: none
// for it on purpose (plans then show blocked actions there). The *Error
// (KindAuthFailed) names the environment variables and the credentials-file
// entry to set: a managed consumer without credentials is a configuration
// error, not a consent for a human to give.
func (c *Connector) MissingCredentials(tenant string) error {
	if cfg, ok := c.credentialConfig(tenant); ok || cfg.EffectiveMethod() == MethodNone {
		return nil
	}
	return c.noCredentials(tenant)
}

// noCredentials is the error for a tenant galshare has no credentials for.
func (c *Connector) noCredentials(tenant string) *Error {
	p := envPrefix(tenant)
	msg := "no credentials configured for this tenant"
	if id, ok := c.lookupEnv(p + "CLIENT_ID"); ok && id != "" {
		msg = p + "CLIENT_ID is set but none of " + p + "CLIENT_SECRET, " + p + "CERTIFICATE_FILE or " + p + "FEDERATED_TOKEN_FILE"
	}
	file := "the credentials file (--credentials or " + CredentialsEnvVar + ")"
	if c.opts.Credentials != nil {
		file = "the credentials file given"
	}
	return &Error{Tenant: tenant, Op: "sign in", Kind: KindAuthFailed, Message: msg, redactor: c.redact,
		Fix: fmt.Sprintf("set %sCLIENT_ID and %sCLIENT_SECRET (or _CERTIFICATE_FILE or _FEDERATED_TOKEN_FILE), "+
			"or add the entry tenants: {%s: {clientId: …, clientSecretEnv: …}} to %s; "+
			"check the tenant id if it is mistyped; or mark the consumer access: manual", p, p, strings.ToLower(tenant), file)}
}

// HasCredentials reports whether galshare is configured to sign in to tenant,
// without any network call. The planner shows blocked actions for tenants
// without credentials instead of reading them.
func (c *Connector) HasCredentials(tenant string) bool {
	_, ok := c.credentialConfig(tenant)
	return ok
}

// credential returns the cached credential for tenant, building it once.
func (c *Connector) credential(tenant string) (azcore.TokenCredential, error) {
	key := strings.ToLower(tenant)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cred, ok := c.creds[key]; ok {
		return cred, nil
	}
	cfg, ok := c.credentialConfig(tenant)
	if !ok {
		return nil, c.noCredentials(tenant)
	}
	cred, err := c.buildCredential(tenant, cfg)
	if err != nil {
		return nil, &Error{Tenant: tenant, Op: "sign in", Kind: KindAuthFailed, Message: shorten(err.Error()),
			Fix: "fix the credentials from " + cfg.source, Err: err, redactor: c.redact}
	}
	c.creds[key] = cred
	return cred, nil
}

// SignIn gets an ARM token for tenant, proving the credentials work there
// (verify uses it with AppClients), and leaves it in the credential's cache,
// so the ARM clients' first calls need no token request of their own (refresh
// signs in once per tenant before queueing its reads). Failures are
// classified *Error values.
func (c *Connector) SignIn(ctx context.Context, tenant string) error {
	return c.signIn(ctx, tenant, c.env.ARMScope(), "sign in")
}

// SignInGraph is SignIn for Microsoft Graph: it fills the cache the tenant's
// Graph client reads its token from.
func (c *Connector) SignInGraph(ctx context.Context, tenant string) error {
	return c.signIn(ctx, tenant, c.env.GraphScope(), "sign in to Graph")
}

func (c *Connector) signIn(ctx context.Context, tenant, scope, op string) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	cred, err := c.credential(tenant)
	if err != nil {
		return err
	}
	if _, err := cred.GetToken(ctx, cacheableToken(scope)); err != nil {
		return waitedFor(c.redact.classify(tenant, "", op, err), c.shared.authority, "")
	}
	return nil
}

// cacheableToken is the token request azcore's bearer-token policy makes
// (EnableCAE: true). azidentity keeps CAE and non-CAE tokens in separate
// caches, so a request without it would fetch a second token the SDK
// clients never reuse.
func cacheableToken(scope string) policy.TokenRequestOptions {
	return policy.TokenRequestOptions{Scopes: []string{scope}, EnableCAE: true}
}

// clientOptions are the azcore options shared by every pipeline: cloud, the
// guarded transport trusting the cloud's CA, retries and the per-call log
// policy. As they are, they serve the credentials (token pipelines), whose
// transport also allows the managed-identity endpoints.
func (c *Connector) clientOptions() azcore.ClientOptions { return c.credOpts }

// apiClientOptions are clientOptions plus galshare's retry rules (retry.go),
// for the Graph and ARM pipelines, whose transport allows only the configured
// endpoints: a nextLink or polling URL to any other host is refused before
// the bearer token leaves the process. Credentials keep plain clientOptions:
// the rules' per-call bookkeeping must not reach a token request made inside
// an API call, and managed identity brings its own retry list.
func (c *Connector) apiClientOptions() azcore.ClientOptions { return c.apiOpts }

func (c *Connector) lookupEnv(k string) (string, bool) { return c.opts.LookupEnv(k) }

// Directory returns the Graph client for tenant.
func (c *Connector) Directory(ctx context.Context, tenant string) (Directory, error) {
	d, err := cachedClient(c, c.dirs, tenant, strings.ToLower(tenant), func(cred azcore.TokenCredential) (*graphDirectory, error) {
		return c.shared.directory(tenant, c.env, cred, c.log), nil
	})
	if err != nil {
		return nil, err // not d: a nil *graphDirectory is a non-nil Directory
	}
	return d, nil
}

// Resources returns the ARM client set for tenant.
func (c *Connector) Resources(ctx context.Context, tenant string) (Resources, error) {
	return c.resources(tenant, nil)
}

// ResourcesWithAuxiliary returns an ARM client set for tenant whose requests
// also carry x-ms-authorization-auxiliary tokens for auxiliaryTenants (at most
// three), all issued to the same identity: how a consumer tenant reads or uses
// an image in the publisher's gallery. It only makes sense on a connector from
// AppClients, whose multi-tenant app can get tokens in every tenant.
func (c *Connector) ResourcesWithAuxiliary(ctx context.Context, tenant string, auxiliaryTenants ...string) (Resources, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if len(auxiliaryTenants) > 3 {
		return nil, &Error{Tenant: tenant, Op: "connect", Kind: KindInvalid, Message: "ARM accepts at most three auxiliary tenants"}
	}
	return c.resources(tenant, auxiliaryTenants)
}

// resources returns the ARM client set for tenant with auxiliaryTenants,
// cached per tenant and auxiliary list.
func (c *Connector) resources(tenant string, auxiliaryTenants []string) (Resources, error) {
	key := strings.ToLower(tenant)
	if len(auxiliaryTenants) > 0 {
		key += "|" + strings.ToLower(strings.Join(auxiliaryTenants, ","))
	}
	r, err := cachedClient(c, c.res, tenant, key, func(cred azcore.TokenCredential) (*armResources, error) {
		opts := c.armOpts
		if len(auxiliaryTenants) > 0 {
			o := *opts
			o.AuxiliaryTenants = auxiliaryTenants
			opts = &o
		}
		return newARMResourcesShared(tenant, cred, opts, c.shared), nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// cachedClient returns the client cached under key in m, or builds it (once,
// under the connector's lock) with tenant's credential.
func cachedClient[T any](c *Connector, m map[string]T, tenant, key string, build func(azcore.TokenCredential) (T, error)) (T, error) {
	var zero T
	if err := checkTenant(tenant); err != nil {
		return zero, err
	}
	cred, err := c.credential(tenant)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := m[key]; ok {
		return v, nil
	}
	v, err := build(cred)
	if err != nil {
		return zero, err
	}
	m[key] = v
	return v, nil
}

func checkTenant(tenant string) error {
	if strings.TrimSpace(tenant) == "" {
		return &Error{Op: "connect", Kind: KindInvalid, Message: "empty tenant id", Fix: "set the tenant in the manifest"}
	}
	return nil
}
