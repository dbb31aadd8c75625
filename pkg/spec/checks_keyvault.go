package spec

import (
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

// checkKeyVaultDelivery parses the URL of "keyvault:URL": an https vault URL
// with the path /secrets/NAME. Whether the host is under the cloud's vault
// suffix is checked where the cloud is known (pkg/azure), not here.
func (c *checker) checkKeyVaultDelivery(path, v, rest string) (Delivery, bool) {
	u, err := url.Parse(rest)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		c.errorf(path, CodeDelivery, keyVaultHint, "deliverTo %s is not an https Key Vault secret URL", quote(v))
		return Delivery{}, false
	}
	host := strings.ToLower(u.Hostname())
	name, _, _ := strings.Cut(host, ".")
	if u.Port() != "" || !strings.Contains(host, ".") || !vaultNameRE.MatchString(name) || strings.Contains(name, "--") {
		c.errorf(path, CodeDelivery, keyVaultHint, "deliverTo %s does not name a vault host (VAULT.vault.azure.net, "+
			"a vault name of 3-24 letters, digits and dashes, no port)", quote(v))
		return Delivery{}, false
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(segs) != 2 || !strings.EqualFold(segs[0], "secrets") || strings.HasSuffix(u.EscapedPath(), "/") {
		c.errorf(path, CodeDelivery, keyVaultHint, "deliverTo %s must name one secret as /secrets/NAME, without a version", quote(v))
		return Delivery{}, false
	}
	if !kvSecretNameRE.MatchString(segs[1]) {
		c.errorf(path, CodeDelivery, keyVaultHint, "deliverTo secret name %s may only hold letters, digits and dashes (1-127)", quote(segs[1]))
		return Delivery{}, false
	}
	return Delivery{Kind: DeliveryKeyVault, VaultURL: "https://" + host, SecretName: segs[1]}, true
}
