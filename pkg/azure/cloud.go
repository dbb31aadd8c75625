package azure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// CloudEnvVar names the environment variable that selects a cloud file when
// --cloud is not given.
const CloudEnvVar = "GALSHARE_CLOUD"

// Environment is where galshare talks to: authority, ARM and Graph endpoints and
// audiences, and optionally a CA to trust and per-tenant credentials (the
// simulator's cloud file carries both; sovereign-cloud files carry neither).
type Environment struct {
	// Name is informational ("AzurePublic", "galshare-simulator", …).
	Name string
	// AuthorityHost is the Entra ID authority with a trailing slash, e.g.
	// "https://login.microsoftonline.com/". Consent URLs are built from it.
	AuthorityHost string
	ARMEndpoint   string
	ARMAudience   string
	GraphEndpoint string
	GraphAudience string
	// KeyVaultDNSSuffix is the suffix of vault hosts (vault.azure.net on the
	// public cloud) and KeyVaultAudience the resource their tokens are for.
	// Empty: Key Vault delivery is not available in this cloud.
	KeyVaultDNSSuffix string
	KeyVaultAudience  string
	// KeyVaultAddress, set only by the simulator's cloud file, is the
	// host:port every vault host is dialled to: its vault names exist in no
	// DNS. Real clouds leave it empty and vault hosts resolve as usual.
	KeyVaultAddress string
	// CACertPEM, when set, is trusted (in addition to the system roots) by every
	// pipeline: ARM, Graph and azidentity/MSAL.
	CACertPEM []byte
	// Credentials are per-tenant credentials shipped with the cloud file.
	Credentials map[string]CredentialConfig
}

// PublicCloud is Azure's public cloud, the default.
func PublicCloud() Environment {
	return Environment{
		Name:          "AzurePublic",
		AuthorityHost: "https://login.microsoftonline.com/",
		ARMEndpoint:   "https://management.azure.com",
		ARMAudience:   "https://management.core.windows.net/",
		GraphEndpoint: "https://graph.microsoft.com",
		GraphAudience: "https://graph.microsoft.com",

		KeyVaultDNSSuffix: "vault.azure.net",
		KeyVaultAudience:  "https://vault.azure.net",
	}
}

// sovereignKeyVault is the vault suffix of a national cloud's authority
// host, used when a cloud file with that authority names no keyVault
// section ("" for other hosts).
func sovereignKeyVault(authorityHost string) string {
	switch strings.ToLower(authorityHost) {
	case "login.microsoftonline.com":
		return "vault.azure.net"
	case "login.microsoftonline.us":
		return "vault.usgovcloudapi.net"
	case "login.chinacloudapi.cn":
		return "vault.azure.cn"
	}
	return ""
}

// cloudFile is the JSON `galshare sim serve` writes (version 1).
type cloudFile struct {
	Version         int    `json:"version"`
	Name            string `json:"name"`
	AuthorityHost   string `json:"authorityHost"`
	ResourceManager struct {
		Endpoint string `json:"endpoint"`
		Audience string `json:"audience"`
	} `json:"resourceManager"`
	Graph struct {
		Endpoint string `json:"endpoint"`
		Audience string `json:"audience"`
	} `json:"graph"`
	KeyVault *struct {
		DNSSuffix string `json:"dnsSuffix"`
		Audience  string `json:"audience"`
		Address   string `json:"address"`
	} `json:"keyVault"`
	CACertificate string `json:"caCertificate"`
	Credentials   map[string]struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	} `json:"credentials"`
}

// LoadCloudFile reads a cloud file (see docs in the package README section of
// cloud.go's callers): version 1 JSON with authorityHost, resourceManager and graph
// endpoints/audiences, an optional PEM caCertificate and optional credentials.
func LoadCloudFile(path string) (Environment, error) {
	if err := checkRegularFile("cloud file", path); err != nil {
		return Environment{}, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Environment{}, fmt.Errorf("reading cloud file: %w", err)
	}
	env, err := ParseCloudFile(raw)
	if err != nil {
		return Environment{}, fmt.Errorf("cloud file %s: %w", path, err)
	}
	return env, nil
}

// ParseCloudFile parses the content of a cloud file; see LoadCloudFile.
func ParseCloudFile(raw []byte) (Environment, error) {
	var f cloudFile
	// Unknown fields are ignored so newer simulators stay readable.
	if err := json.Unmarshal(raw, &f); err != nil {
		return Environment{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if f.Version != 1 {
		return Environment{}, fmt.Errorf("unsupported version %d (want 1)", f.Version)
	}
	env := Environment{
		Name:          f.Name,
		AuthorityHost: f.AuthorityHost,
		ARMEndpoint:   strings.TrimRight(f.ResourceManager.Endpoint, "/"),
		ARMAudience:   f.ResourceManager.Audience,
		GraphEndpoint: strings.TrimRight(f.Graph.Endpoint, "/"),
		GraphAudience: f.Graph.Audience,
	}
	if env.AuthorityHost != "" && !strings.HasSuffix(env.AuthorityHost, "/") {
		env.AuthorityHost += "/"
	}
	if kv := f.KeyVault; kv != nil {
		env.KeyVaultDNSSuffix = strings.ToLower(strings.Trim(kv.DNSSuffix, "."))
		env.KeyVaultAudience, env.KeyVaultAddress = kv.Audience, kv.Address
		if env.KeyVaultAudience == "" && env.KeyVaultDNSSuffix != "" {
			env.KeyVaultAudience = "https://" + env.KeyVaultDNSSuffix
		}
	} else if u, err := url.Parse(env.AuthorityHost); err == nil {
		if sfx := sovereignKeyVault(u.Hostname()); sfx != "" {
			env.KeyVaultDNSSuffix, env.KeyVaultAudience = sfx, "https://"+sfx
		}
	}
	if f.CACertificate != "" {
		env.CACertPEM = []byte(f.CACertificate)
	}
	if len(f.Credentials) > 0 {
		env.Credentials = make(map[string]CredentialConfig, len(f.Credentials))
		for tenant, c := range f.Credentials {
			env.Credentials[strings.ToLower(tenant)] = CredentialConfig{
				Method:       MethodClientSecret,
				ClientID:     c.ClientID,
				ClientSecret: NewSecret(c.ClientSecret),
				source:       "cloud file",
			}
		}
	}
	if err := env.Validate(); err != nil {
		return Environment{}, err
	}
	return env, nil
}

// Validate checks that every endpoint is an absolute https URL (the authority
// must be https: azidentity and MSAL refuse anything else) and that the CA parses.
func (e Environment) Validate() error {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"authorityHost", e.AuthorityHost}, {"resourceManager.endpoint", e.ARMEndpoint},
		{"resourceManager.audience", e.ARMAudience}, {"graph.endpoint", e.GraphEndpoint},
		{"graph.audience", e.GraphAudience},
	} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%s is missing", f.name))
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !strings.HasSuffix(f.name, "audience")) {
			errs = append(errs, fmt.Errorf("%s %q must be an absolute https URL", f.name, f.v))
		}
	}
	if len(e.CACertPEM) > 0 {
		if _, err := e.certPool(); err != nil {
			errs = append(errs, err)
		}
	}
	if e.KeyVaultAddress != "" {
		if _, _, err := net.SplitHostPort(e.KeyVaultAddress); err != nil || e.KeyVaultDNSSuffix == "" {
			errs = append(errs, fmt.Errorf("keyVault.address %q must be host:port, with keyVault.dnsSuffix set", e.KeyVaultAddress))
		}
	}
	return errors.Join(errs...)
}

// IsPublicAuthority reports whether the authority is one Microsoft's instance
// discovery knows; for any other host DisableInstanceDiscovery must be set or
// MSAL calls the real login.microsoftonline.com first.
func (e Environment) IsPublicAuthority() bool {
	u, err := url.Parse(e.AuthorityHost)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Hostname()) {
	case "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.microsoftonline.de":
		return true
	}
	return false
}

// CloudConfig is the azcore cloud configuration for this environment.
func (e Environment) CloudConfig() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: e.AuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: e.ARMEndpoint, Audience: e.ARMAudience},
		},
	}
}

// GraphScope is the OAuth scope for Graph tokens ("<audience>/.default").
func (e Environment) GraphScope() string {
	return strings.TrimRight(e.GraphAudience, "/") + "/.default"
}

// ARMScope is the OAuth scope for ARM tokens, as the arm pipeline builds it
// (audience + "/.default", keeping a double slash for the public cloud).
func (e Environment) ARMScope() string { return e.ARMAudience + "/.default" }

// AuthorizeURL is the documented sign-in URL a tenant admin opens to consent to
// the app in their tenant (which creates its service principal there).
func (e Environment) AuthorizeURL(tenant, appID, redirectURI string) string {
	q := url.Values{}
	q.Set("client_id", appID)
	q.Set("response_type", "code")
	if redirectURI != "" {
		q.Set("redirect_uri", redirectURI)
	}
	return e.AuthorityHost + url.PathEscape(tenant) + "/oauth2/authorize?" + orderedQuery(q, "client_id", "response_type", "redirect_uri")
}

// AdminConsentURL is the admin-consent endpoint for the app in tenant.
func (e Environment) AdminConsentURL(tenant, appID, redirectURI string) string {
	q := url.Values{}
	q.Set("client_id", appID)
	if redirectURI != "" {
		q.Set("redirect_uri", redirectURI)
	}
	return e.AuthorityHost + url.PathEscape(tenant) + "/adminconsent?" + orderedQuery(q, "client_id", "redirect_uri")
}

// orderedQuery encodes q in the given key order (url.Values.Encode sorts by key,
// which would move redirect_uri before response_type, unlike the documented URL).
func orderedQuery(q url.Values, keys ...string) string {
	var parts []string
	for _, k := range keys {
		if v, ok := q[k]; ok {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v[0]))
		}
	}
	return strings.Join(parts, "&")
}

func (e Environment) certPool() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(e.CACertPEM) {
		return nil, errors.New("caCertificate holds no valid PEM certificate")
	}
	return pool, nil
}

// HTTPClient returns the client every pipeline uses: system roots plus
// CACertPEM, TLS 1.2+, connection reuse across ARM, Graph and token calls.
// It never follows redirects: following a 307 from a token endpoint re-sends
// the client secret, and a 302 from Graph or ARM the bearer token, to
// whatever host the Location names. The 3xx response is returned as it is;
// the Connector's guard (guard.go) turns it into ErrRedirect.
func (e Environment) HTTPClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	if len(e.CACertPEM) > 0 {
		pool, err := e.certPool()
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if e.KeyVaultAddress != "" {
		tr.DialContext = vaultDialer(e.KeyVaultDNSSuffix, e.KeyVaultAddress, &net.Dialer{Timeout: vaultDialTimeout, KeepAlive: 30 * time.Second})
	}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute, CheckRedirect: refuseRedirect}, nil
}

// vaultDialer connects every host under "."+suffix to addr (the simulator's
// listener; TLS still checks the vault host name) and dials the rest as
// usual. Only a cloud file's keyVault.address turns it on.
func vaultDialer(suffix, addr string, d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	suffix = "." + strings.ToLower(suffix)
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(address); err == nil && strings.HasSuffix(strings.ToLower(host), suffix) {
			return d.DialContext(ctx, network, addr)
		}
		return d.DialContext(ctx, network, address)
	}
}

// refuseRedirect is the http.Client CheckRedirect that stops at the first 3xx.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// endpointURLs are the configured endpoints: the only hosts galshare sends
// requests (and so credentials) to.
func (e Environment) endpointURLs() []string {
	return []string{e.AuthorityHost, e.ARMEndpoint, e.GraphEndpoint}
}
