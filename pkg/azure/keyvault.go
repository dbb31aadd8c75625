package azure

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// KeyVaultContentType marks a Key Vault secret galshare delivered: the value
// is an app's client secret, its tags say for which app, tenant and keyId.
const KeyVaultContentType = "application/vnd.galshare.client-secret"

// Key Vault tag names of a delivered secret. The value is the secret itself;
// the tags and the exp attribute carry what a file delivery's JSON carries.
const (
	kvTagTenant      = "tenant"
	kvTagAppID       = "appId"
	kvTagKeyID       = "keyId"
	kvTagDescription = "description"
	kvTagManagedBy   = "managedBy"
)

// KeyVaults opens the secret store of a vault. The executor delivers to it
// and verify reads it back; the Connector implements it.
type KeyVaults interface {
	// KeyVault returns the secrets of the vault at vaultURL
	// (https://NAME.SUFFIX), signed in with tenant's credentials. The host
	// must be under the cloud's vault DNS suffix.
	KeyVault(ctx context.Context, tenant, vaultURL string) (SecretVault, error)
}

// SecretVault stores delivered client secrets as Key Vault secrets.
type SecretVault interface {
	// PutClientSecret stores d as a new version of the secret name and
	// returns that version's id. Errors never hold the value.
	PutClientSecret(ctx context.Context, name string, d DeliveredSecret) (version string, err error)
	// GetClientSecret reads the current version of the secret name. A
	// missing secret is an *Error of KindNotFound.
	GetClientSecret(ctx context.Context, name string) (DeliveredSecret, error)
	// DisableClientSecret disables the current version of the secret name
	// when it holds the password keyID (its keyId tag), so nobody reads a
	// removed password; it reports whether it did. Versions are never
	// deleted.
	DisableClientSecret(ctx context.Context, name, keyID string) (bool, error)
}

var _ KeyVaults = (*Connector)(nil)

// KeyVault implements KeyVaults. The client's pipeline only reaches the
// vault's own origin (and the credential the cloud's authority), so a
// challenge or link pointing elsewhere never receives a token.
func (c *Connector) KeyVault(ctx context.Context, tenant, vaultURL string) (SecretVault, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if err := c.env.checkVaultURL(vaultURL); err != nil {
		return nil, &Error{Tenant: tenant, Object: vaultURL, Op: "open vault", Kind: KindInvalid, Message: err.Error(),
			Fix: "deliver to a vault of this cloud (keyvault:https://VAULT." + c.env.KeyVaultDNSSuffix + "/secrets/NAME), or select its cloud file with --cloud"}
	}
	cred, err := c.credential(tenant)
	if err != nil {
		return nil, err
	}
	opts := c.apiOpts
	opts.Transport = newGuardTransport(c.httpClient, vaultURL)
	client, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		return nil, fmt.Errorf("key vault %s: %w", vaultURL, err)
	}
	return &keyVault{client: client, tenant: tenant, url: vaultURL}, nil
}

// checkVaultURL accepts https://NAME.SUFFIX with the cloud's vault suffix,
// no port, path, query or credentials.
func (e Environment) checkVaultURL(vaultURL string) error {
	if e.KeyVaultDNSSuffix == "" {
		return fmt.Errorf("the cloud %s names no Key Vault DNS suffix (keyVault.dnsSuffix in its cloud file)", e.Name)
	}
	u, err := url.Parse(vaultURL)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return fmt.Errorf("%q is not a vault URL (https://VAULT.%s)", vaultURL, e.KeyVaultDNSSuffix)
	}
	name, ok := strings.CutSuffix(strings.ToLower(u.Hostname()), "."+strings.ToLower(e.KeyVaultDNSSuffix))
	if !ok || name == "" || strings.Contains(name, ".") {
		return fmt.Errorf("vault host %s is not under this cloud's Key Vault suffix %s", u.Hostname(), e.KeyVaultDNSSuffix)
	}
	return nil
}

type keyVault struct {
	client *azsecrets.Client
	tenant string
	url    string
}

func (v *keyVault) object(name string) string { return v.url + "/secrets/" + name }

func (v *keyVault) PutClientSecret(ctx context.Context, name string, d DeliveredSecret) (string, error) {
	tags := map[string]*string{
		kvTagTenant: to.Ptr(d.Tenant), kvTagAppID: to.Ptr(d.ClientID), kvTagKeyID: to.Ptr(d.KeyID),
		kvTagManagedBy: to.Ptr(firstNonEmptyString(d.ManagedBy, "galshare")),
	}
	if d.Description != "" && len(d.Description) <= 256 {
		tags[kvTagDescription] = to.Ptr(d.Description)
	}
	params := azsecrets.SetSecretParameters{
		Value: to.Ptr(d.Secret.Reveal()), ContentType: to.Ptr(KeyVaultContentType), Tags: tags,
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(true)},
	}
	if !d.EndDateTime.IsZero() {
		params.SecretAttributes.Expires = to.Ptr(d.EndDateTime.UTC())
	}
	resp, err := v.client.SetSecret(ctx, name, params, nil)
	if err != nil {
		return "", Classify(v.tenant, v.object(name), "set secret", err)
	}
	if resp.ID == nil {
		return "", nil
	}
	return resp.ID.Version(), nil
}

func (v *keyVault) GetClientSecret(ctx context.Context, name string) (DeliveredSecret, error) {
	resp, err := v.client.GetSecret(ctx, name, "", nil)
	if err != nil {
		return DeliveredSecret{}, Classify(v.tenant, v.object(name), "get secret", err)
	}
	tag := func(k string) string {
		if p := resp.Tags[k]; p != nil {
			return *p
		}
		return ""
	}
	var missing []string
	if tag(kvTagAppID) == "" {
		missing = append(missing, "the "+kvTagAppID+" tag")
	}
	if resp.Value == nil || *resp.Value == "" {
		missing = append(missing, "a value")
	}
	if len(missing) > 0 {
		return DeliveredSecret{}, &Error{Tenant: v.tenant, Object: v.object(name), Op: "get secret", Kind: KindInvalid,
			Message: "the secret is not one galshare delivered: it lacks " + strings.Join(missing, " and "),
			Fix:     "point deliverTo at the secret galshare writes, or run galshare apply to deliver a new version"}
	}
	d := DeliveredSecret{
		Tenant: tag(kvTagTenant), ClientID: tag(kvTagAppID), Secret: NewSecret(*resp.Value), KeyID: tag(kvTagKeyID),
		Description: tag(kvTagDescription), ManagedBy: tag(kvTagManagedBy),
	}
	if a := resp.Attributes; a != nil {
		if a.Expires != nil {
			d.EndDateTime = a.Expires.UTC()
		}
		if a.Created != nil {
			d.DeliveredAt = a.Created.UTC()
		}
	}
	return d, nil
}

func (v *keyVault) DisableClientSecret(ctx context.Context, name, keyID string) (bool, error) {
	resp, err := v.client.GetSecret(ctx, name, "", nil)
	if err != nil {
		if e := Classify(v.tenant, v.object(name), "get secret", err); e.Kind != KindNotFound {
			return false, e
		}
		return false, nil
	}
	if t := resp.Tags[kvTagKeyID]; t == nil || !strings.EqualFold(*t, keyID) || resp.ID == nil {
		return false, nil
	}
	_, err = v.client.UpdateSecretProperties(ctx, name, resp.ID.Version(), azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)}}, nil)
	if err != nil {
		return false, Classify(v.tenant, v.object(name), "disable secret version", err)
	}
	return true, nil
}

func firstNonEmptyString(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// vaultDialTimeout bounds connecting to a vault host the cloud file routes
// to a fixed address.
const vaultDialTimeout = 10 * time.Second
