package azsim

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The simulator's Key Vault DNS suffix and token audience. Vault hostnames are NAME.vault.azsim.localhost: a name
// no public DNS answers, so a client reaches the simulator only when its cloud file says to dial that suffix to the
// simulator's address (see CloudFile.KeyVault). Key Vault's challenge names the audience, and azsecrets checks that
// the vault host ends with the audience's host.
const (
	KeyVaultDNSSuffix = "vault.azsim.localhost"
	audKeyVault       = "https://vault.azsim.localhost"
)

// vaultNamePattern is Azure's rule for vault names: 3-24 characters, letters, digits and dashes, starting with a
// letter, not ending with a dash, no "--".
var vaultNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)

// secretNamePattern is Key Vault's rule for secret names.
var secretNamePattern = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// kvWorld holds the seeded vaults, keyed by lower-case vault name (vault names are globally unique).
type kvWorld struct {
	Vaults map[string]*keyVault `json:"vaults"`
}

// keyVault is one RBAC-mode vault: its ARM id (the RBAC scope), owning tenant and secrets by lower-case name.
type keyVault struct {
	Name       string               `json:"name"`
	ResourceID string               `json:"resourceId"`
	Tenant     string               `json:"tenant"`
	Location   string               `json:"location"`
	Secrets    map[string]*kvSecret `json:"secrets"`
}

// kvSecret is a secret and its versions, oldest first; the last one is the current version.
type kvSecret struct {
	Name     string             `json:"name"`
	Versions []*kvSecretVersion `json:"versions"`
	// Deleted is when the secret was (soft-)deleted; the name stays taken until purged.
	Deleted *int64 `json:"deleted,omitempty"`
}

// kvSecretVersion is one immutable value with its (updatable) attributes. Times are Unix seconds, as on the wire.
type kvSecretVersion struct {
	Version     string            `json:"version"`
	Value       string            `json:"value"`
	ContentType string            `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   *int64            `json:"nbf,omitempty"`
	Expires     *int64            `json:"exp,omitempty"`
	Created     int64             `json:"created"`
	Updated     int64             `json:"updated"`
}

// VaultSeed declares a Key Vault (RBAC authorization, soft delete on) in a resource group. Data-plane access is
// granted with role assignments at the vault's id, e.g. Key Vault Secrets Officer for the operator that delivers.
type VaultSeed struct {
	Name     string `yaml:"name" json:"name"`
	Location string `yaml:"location,omitempty" json:"location,omitempty"`
}

// keyVaults returns the vault world, creating it for worlds persisted before vaults existed. Callers hold s.mu.
func (s *Server) keyVaults() *kvWorld {
	if s.w.KeyVault == nil {
		s.w.KeyVault = &kvWorld{}
	}
	if s.w.KeyVault.Vaults == nil {
		s.w.KeyVault.Vaults = map[string]*keyVault{}
	}
	return s.w.KeyVault
}

// vault finds a vault by name; nil when none. Callers hold s.mu.
func (s *Server) vault(name string) *keyVault {
	if s.w.KeyVault == nil {
		return nil
	}
	return s.w.KeyVault.Vaults[strings.ToLower(name)]
}

// seedVault adds (or keeps) a vault in sub/rg. Callers hold s.mu.
func (s *Server) seedVault(sub *armSubscription, rgName, rgLocation string, vs VaultSeed) error {
	if !vaultNamePattern.MatchString(vs.Name) || strings.Contains(vs.Name, "--") {
		return fmt.Errorf("vault %q: a vault name is 3-24 letters, digits and dashes, starting with a letter", vs.Name)
	}
	kv := s.keyVaults()
	id := "/subscriptions/" + sub.ID + "/resourceGroups/" + rgName + "/providers/Microsoft.KeyVault/vaults/" + vs.Name
	if v := kv.Vaults[strings.ToLower(vs.Name)]; v != nil {
		if !strings.EqualFold(v.ResourceID, id) {
			return fmt.Errorf("vault %q: the name is already taken by %s (vault names are global)", vs.Name, v.ResourceID)
		}
		return nil
	}
	kv.Vaults[strings.ToLower(vs.Name)] = &keyVault{
		Name: vs.Name, ResourceID: id, Tenant: sub.Tenant, Location: normRegion(orDefault(vs.Location, rgLocation)),
		Secrets: map[string]*kvSecret{},
	}
	return nil
}

// vaultByScope finds the vault whose id is scope (case-insensitive); nil when none. Callers hold s.mu.
func (s *Server) vaultByScope(scope string) *keyVault {
	if s.w.KeyVault == nil {
		return nil
	}
	for _, v := range s.w.KeyVault.Vaults {
		if normScope(v.ResourceID) == normScope(scope) {
			return v
		}
	}
	return nil
}

// current is the secret's newest version.
func (sec *kvSecret) current() *kvSecretVersion {
	if len(sec.Versions) == 0 {
		return nil
	}
	return sec.Versions[len(sec.Versions)-1]
}

// version finds a version by id (case-insensitive); "" is the current one.
func (sec *kvSecret) version(v string) *kvSecretVersion {
	if v == "" {
		return sec.current()
	}
	for _, sv := range sec.Versions {
		if strings.EqualFold(sv.Version, v) {
			return sv
		}
	}
	return nil
}

// unixPtr is t as a Unix-seconds pointer.
func unixPtr(t time.Time) *int64 {
	u := t.Unix()
	return &u
}

// VaultSecretVersion is one version of a vault secret as tests see it (Sim.VaultSecretVersions).
type VaultSecretVersion struct {
	Version     string
	Value       string
	ContentType string
	Tags        map[string]string
	Enabled     bool
	Expires     time.Time // zero when unset
	Created     time.Time
}

// VaultSecretVersions lists the versions of a vault's secret, oldest first (nil when the vault or secret does not
// exist). It is the Azure-side truth for tests, and holds secret values: never log it.
func (sim *Sim) VaultSecretVersions(vault, secret string) []VaultSecretVersion {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.vault(vault)
	if v == nil {
		return nil
	}
	sec := v.Secrets[strings.ToLower(secret)]
	if sec == nil {
		return nil
	}
	out := make([]VaultSecretVersion, 0, len(sec.Versions))
	for _, sv := range sec.Versions {
		vv := VaultSecretVersion{Version: sv.Version, Value: sv.Value, ContentType: sv.ContentType, Enabled: sv.Enabled,
			Created: time.Unix(sv.Created, 0).UTC(), Tags: map[string]string{}}
		for k, t := range sv.Tags {
			vv.Tags[k] = t
		}
		if sv.Expires != nil {
			vv.Expires = time.Unix(*sv.Expires, 0).UTC()
		}
		out = append(out, vv)
	}
	return out
}

// VaultSecretValues returns every secret value stored in any vault, in no particular order: the leak scanner's
// list of vault-delivered secrets (ScanForSecrets). Unlike Graph passwords, which the simulator keeps only as
// hashes, a vault keeps its values, as Key Vault does.
func (sim *Sim) VaultSecretValues() []string {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if s.w.KeyVault == nil {
		return nil
	}
	for _, v := range s.w.KeyVault.Vaults {
		for _, sec := range v.Secrets {
			for _, sv := range sec.Versions {
				out = append(out, sv.Value)
			}
		}
	}
	return out
}

// VaultURLs lists the URL of every vault in the world, sorted (what `galshare sim serve` prints).
func (sim *Sim) VaultURLs() []string {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if s.w.KeyVault != nil {
		for _, v := range s.w.KeyVault.Vaults {
			out = append(out, v.baseURL())
		}
	}
	sort.Strings(out)
	return out
}
