package azure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"gopkg.in/yaml.v3"
)

// CredentialsEnvVar names the environment variable that selects a credentials
// file when --credentials is not given.
const CredentialsEnvVar = "GALSHARE_CREDENTIALS"

// Credential methods. An empty Method is inferred from the fields that are set.
const (
	// MethodDefault is azidentity's DefaultAzureCredential limited to the tenant
	// (environment, workload identity, managed identity, Azure CLI, …).
	MethodDefault = "default"
	// MethodCLI is the Azure CLI (`az login`); it ignores custom clouds.
	MethodCLI = "cli"
	// MethodClientSecret is a client id + secret (from an environment variable).
	MethodClientSecret = "secret"
	// MethodCertificate is a client id + PEM/PKCS#12 certificate file.
	MethodCertificate = "certificate"
	// MethodFederated is a client id + a federated token file (workload identity,
	// GitHub OIDC), exchanged through a client assertion.
	MethodFederated = "federated"
	// MethodNone marks a tenant galshare must not sign in to (plans show blocked actions).
	MethodNone = "none"
)

// CredentialConfig says how galshare signs in to one tenant. It never holds a
// secret read from a manifest: ClientSecret only comes from the simulator's cloud
// file or the environment; files name environment variables instead.
type CredentialConfig struct {
	Method                 string `yaml:"method,omitempty" json:"method,omitempty"`
	ClientID               string `yaml:"clientId,omitempty" json:"clientId,omitempty"`
	ClientSecretEnv        string `yaml:"clientSecretEnv,omitempty" json:"clientSecretEnv,omitempty"`
	CertificateFile        string `yaml:"certificateFile,omitempty" json:"certificateFile,omitempty"`
	CertificatePasswordEnv string `yaml:"certificatePasswordEnv,omitempty" json:"certificatePasswordEnv,omitempty"`
	FederatedTokenFile     string `yaml:"federatedTokenFile,omitempty" json:"federatedTokenFile,omitempty"`
	// ClientSecret is set only by the cloud file and environment variables.
	ClientSecret Secret `yaml:"-" json:"-"`

	// source names where the config came from, for error messages.
	source string
	// allowedTenants lets the shared app's credential get auxiliary tokens in
	// other tenants ("*"); operator credentials stay in their own tenant.
	allowedTenants []string
}

// EffectiveMethod is Method, or the one implied by the fields set.
func (c CredentialConfig) EffectiveMethod() string {
	switch {
	case c.Method != "":
		return strings.ToLower(c.Method)
	case c.FederatedTokenFile != "":
		return MethodFederated
	case c.CertificateFile != "":
		return MethodCertificate
	case c.ClientSecretEnv != "" || !c.ClientSecret.IsZero():
		return MethodClientSecret
	}
	return MethodDefault
}

// Source says where this configuration came from (file, environment, cloud file).
func (c CredentialConfig) Source() string { return c.source }

// CredentialsFile is the --credentials file (YAML or JSON):
//
//	version: 1
//	default: {method: default}          # optional; tenants not listed
//	tenants:
//	  11111111-1111-1111-1111-111111111111:
//	    clientId: 00000000-0000-0000-0000-000000000001
//	    clientSecretEnv: PUBLISHER_SECRET
//	  22222222-2222-2222-2222-222222222222:
//	    clientId: …
//	    certificateFile: certs/fabrikam.pem   # relative to the file
//	    certificatePasswordEnv: FABRIKAM_CERT_PASSWORD
//	  33333333-3333-3333-3333-333333333333: {clientId: …, federatedTokenFile: /var/run/secrets/token}
//	  44444444-4444-4444-4444-444444444444: {method: cli}
type CredentialsFile struct {
	Version int                         `yaml:"version" json:"version"`
	Default *CredentialConfig           `yaml:"default,omitempty" json:"default,omitempty"`
	Tenants map[string]CredentialConfig `yaml:"tenants" json:"tenants"`
}

// LoadCredentialsFile reads and validates a credentials file; relative
// certificate and token paths are resolved against the file's directory.
func LoadCredentialsFile(path string) (*CredentialsFile, error) {
	if err := checkRegularFile("credentials file", path); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading credentials file: %w", err)
	}
	f, err := ParseCredentialsFile(raw, filepath.Dir(path))
	var ke *KeyError
	if errors.As(err, &ke) {
		return nil, fmt.Errorf("credentials file %s:%d:%d: %s", path, ke.Line, ke.Col, ke.Msg)
	}
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return f, nil
}

// ParseCredentialsFile parses credentials-file content (YAML or JSON, which YAML
// accepts); dir resolves relative paths. Unknown keys are errors, and so is a
// literal secret value: the file names environment variables instead.
func ParseCredentialsFile(raw []byte, dir string) (*CredentialsFile, error) {
	if err := checkCredentialKeys(raw); err != nil {
		return nil, err
	}
	var f CredentialsFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if strings.Contains(err.Error(), "clientSecret") && !strings.Contains(err.Error(), "clientSecretEnv") {
			return nil, fmt.Errorf("a literal clientSecret is not accepted; put the secret in an environment variable and name it with clientSecretEnv")
		}
		return nil, fmt.Errorf("invalid credentials file: %w", err)
	}
	if f.Version != 0 && f.Version != 1 {
		return nil, fmt.Errorf("unsupported version %d (want 1)", f.Version)
	}
	norm := make(map[string]CredentialConfig, len(f.Tenants))
	var errs []string
	for tenant, c := range f.Tenants {
		c = c.resolve(dir)
		c.source = "credentials file"
		if err := c.validate(); err != nil {
			errs = append(errs, fmt.Sprintf("tenant %s: %v", tenant, err))
		}
		norm[strings.ToLower(tenant)] = c
	}
	if f.Default != nil {
		d := f.Default.resolve(dir)
		d.source = "credentials file (default)"
		if err := d.validate(); err != nil {
			errs = append(errs, fmt.Sprintf("default: %v", err))
		}
		f.Default = &d
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	f.Tenants = norm
	return &f, nil
}

func (c CredentialConfig) resolve(dir string) CredentialConfig {
	if c.CertificateFile != "" && !filepath.IsAbs(c.CertificateFile) && dir != "" {
		c.CertificateFile = filepath.Join(dir, c.CertificateFile)
	}
	if c.FederatedTokenFile != "" && !filepath.IsAbs(c.FederatedTokenFile) && dir != "" {
		c.FederatedTokenFile = filepath.Join(dir, c.FederatedTokenFile)
	}
	return c
}

func (c CredentialConfig) validate() error {
	m := c.EffectiveMethod()
	switch m {
	case MethodDefault, MethodCLI, MethodNone:
		return nil
	case MethodClientSecret:
		if c.ClientSecretEnv == "" && c.ClientSecret.IsZero() {
			return fmt.Errorf("method secret needs clientSecretEnv")
		}
	case MethodCertificate:
		if c.CertificateFile == "" {
			return fmt.Errorf("method certificate needs certificateFile")
		}
	case MethodFederated:
		if c.FederatedTokenFile == "" {
			return fmt.Errorf("method federated needs federatedTokenFile")
		}
	default:
		return fmt.Errorf("unknown method %q (want default, cli, secret, certificate, federated or none)", c.Method)
	}
	if c.ClientID == "" {
		return fmt.Errorf("method %s needs clientId", m)
	}
	return nil
}

// envPrefix is GALSHARE_TENANT_<tenant upper-case without dashes>_.
func envPrefix(tenant string) string {
	return "GALSHARE_TENANT_" + strings.ToUpper(strings.ReplaceAll(tenant, "-", "")) + "_"
}

// credentialFromEnv reads GALSHARE_TENANT_<T>_CLIENT_ID plus one of
// _CLIENT_SECRET, _CERTIFICATE_FILE (password, if any, in _CERTIFICATE_PASSWORD)
// or _FEDERATED_TOKEN_FILE, where <T> is the tenant id in upper case without dashes.
func credentialFromEnv(tenant string, lookup func(string) (string, bool)) (CredentialConfig, bool) {
	p := envPrefix(tenant)
	id, ok := lookup(p + "CLIENT_ID")
	if !ok || id == "" {
		return CredentialConfig{}, false
	}
	c := CredentialConfig{ClientID: id, source: "environment (" + p + "*)"}
	if s, ok := lookup(p + "CLIENT_SECRET"); ok && s != "" {
		c.Method, c.ClientSecret = MethodClientSecret, NewSecret(s)
	} else if f, ok := lookup(p + "CERTIFICATE_FILE"); ok && f != "" {
		c.Method, c.CertificateFile = MethodCertificate, f
		c.CertificatePasswordEnv = p + "CERTIFICATE_PASSWORD"
	} else if f, ok := lookup(p + "FEDERATED_TOKEN_FILE"); ok && f != "" {
		c.Method, c.FederatedTokenFile = MethodFederated, f
	} else {
		return CredentialConfig{}, false
	}
	return c, true
}

// buildCredential makes the azidentity credential for tenant from c.
func (c *Connector) buildCredential(tenant string, cfg CredentialConfig) (azcore.TokenCredential, error) {
	copts := c.clientOptions()
	disable := !c.env.IsPublicAuthority()
	switch cfg.EffectiveMethod() {
	case MethodNone:
		return nil, fmt.Errorf("tenant %s is configured with method none", tenant)
	case MethodClientSecret:
		secret := cfg.ClientSecret
		if cfg.ClientSecretEnv != "" {
			v, ok := c.lookupEnv(cfg.ClientSecretEnv)
			if !ok || v == "" {
				return nil, fmt.Errorf("environment variable %s (client secret for tenant %s) is not set", cfg.ClientSecretEnv, tenant)
			}
			secret = NewSecret(v)
		}
		c.redact.AddSecret(secret)
		return azidentity.NewClientSecretCredential(tenant, cfg.ClientID, secret.Reveal(), &azidentity.ClientSecretCredentialOptions{
			ClientOptions: copts, DisableInstanceDiscovery: disable, AdditionallyAllowedTenants: cfg.allowedTenants,
		})
	case MethodCertificate:
		data, err := os.ReadFile(cfg.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("reading certificate for tenant %s: %w", tenant, err)
		}
		var pw []byte
		if cfg.CertificatePasswordEnv != "" {
			if v, ok := c.lookupEnv(cfg.CertificatePasswordEnv); ok {
				pw = []byte(v)
				c.redact.Add(v)
			}
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate %s for tenant %s: %w", cfg.CertificateFile, tenant, err)
		}
		return azidentity.NewClientCertificateCredential(tenant, cfg.ClientID, certs, key, &azidentity.ClientCertificateCredentialOptions{
			ClientOptions: copts, DisableInstanceDiscovery: disable,
		})
	case MethodFederated:
		path := cfg.FederatedTokenFile
		get := func(context.Context) (string, error) {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("reading federated token file: %w", err)
			}
			return strings.TrimSpace(string(b)), nil
		}
		return azidentity.NewClientAssertionCredential(tenant, cfg.ClientID, get, &azidentity.ClientAssertionCredentialOptions{
			ClientOptions: copts, DisableInstanceDiscovery: disable,
		})
	case MethodCLI:
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: tenant})
	default:
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: copts, TenantID: tenant, AdditionallyAllowedTenants: []string{tenant},
			DisableInstanceDiscovery: disable,
		})
	}
}
