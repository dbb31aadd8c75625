package spec

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// keyVaultHint says what a Key Vault delivery target looks like.
const keyVaultHint = "write keyvault:https://VAULT.vault.azure.net/secrets/NAME (no version: every rotation adds one; " +
	"a sovereign cloud's vault suffix comes from its cloud file)"

var (
	// vaultNameRE is Azure's rule for a vault name (3-24 letters, digits and dashes, starting with a letter).
	vaultNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)
	// kvSecretNameRE is Key Vault's rule for a secret name.
	kvSecretNameRE = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)
)

// ParseKeyVaultTarget parses "keyvault:https://VAULT.SUFFIX/secrets/NAME"
// (the deliverTo form, also `galshare verify --secret-from`) into a Key Vault
// Delivery. Whether the host is under the cloud's vault suffix is checked
// where the cloud is known (pkg/azure), not here. Errors say what is wrong
// in a sentence that quotes the input.
func ParseKeyVaultTarget(v string) (Delivery, error) {
	rest, ok := strings.CutPrefix(v, DeliveryKeyVault+":")
	if !ok {
		return Delivery{}, errors.New(quote(v) + " does not start with keyvault:")
	}
	u, err := url.Parse(rest)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Delivery{}, errors.New(quote(v) + " is not an https Key Vault secret URL")
	}
	host := strings.ToLower(u.Hostname())
	name, _, _ := strings.Cut(host, ".")
	if u.Port() != "" || !strings.Contains(host, ".") || !vaultNameRE.MatchString(name) || strings.Contains(name, "--") {
		return Delivery{}, errors.New(quote(v) + " does not name a vault host (VAULT.vault.azure.net, a vault name of " +
			"3-24 letters, digits and dashes, no port)")
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(segs) != 2 || !strings.EqualFold(segs[0], "secrets") || strings.HasSuffix(u.EscapedPath(), "/") {
		return Delivery{}, errors.New(quote(v) + " must name one secret as /secrets/NAME, without a version")
	}
	if !kvSecretNameRE.MatchString(segs[1]) {
		return Delivery{}, errors.New("the secret name " + quote(segs[1]) + " may only hold letters, digits and dashes (1-127)")
	}
	return Delivery{Kind: DeliveryKeyVault, VaultURL: "https://" + host, SecretName: segs[1]}, nil
}

// checkKeyVaultDelivery checks deliverTo v, a keyvault: target.
func (c *checker) checkKeyVaultDelivery(path, v string) (Delivery, bool) {
	d, err := ParseKeyVaultTarget(v)
	if err != nil {
		c.errorf(path, CodeDelivery, keyVaultHint, "deliverTo %s", err.Error())
		return Delivery{}, false
	}
	return d, true
}
