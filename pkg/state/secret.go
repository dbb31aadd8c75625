package state

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrSecretAttribute is returned when an attribute or intent key looks like
// it holds a secret value. The state file must never hold one; this check is
// a last line of defence behind the executor's own care.
var ErrSecretAttribute = errors.New("refusing to store a secret-looking attribute in state")

// secretKeys are the normalised (lower-case, without '_', '-', '.', ' ')
// keys that are refused outright.
var secretKeys = []string{
	"secret", "secrets", "secrettext", "secretvalue", "clientsecret",
	"password", "passwd", "pwd",
	"token", "accesstoken", "refreshtoken", "idtoken", "bearertoken",
	"clientassertion", "assertion", "privatekey", "credential", "credentials",
	"connectionstring", "apikey",
}

// secretSuffixes refuse compound keys such as "newClientSecret" or
// "graphAccessToken" while allowing "secretHint", "tokenEndpoint" or
// "passwordKeyId", which name facts about a secret rather than the secret.
var secretSuffixes = []string{"secret", "secrettext", "secretvalue", "password", "token", "privatekey", "assertion"}

// secretLookingKey reports whether key names a secret value.
func secretLookingKey(key string) bool {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(key))
	for _, k := range secretKeys {
		if n == k {
			return true
		}
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// checkAttributes refuses secret-looking keys; where names the map in the
// error. The value is never included in the error.
func checkAttributes(where string, m map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if secretLookingKey(k) {
			return fmt.Errorf("%s: key %q: %w", where, k, ErrSecretAttribute)
		}
	}
	return nil
}
