package azsim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// CloudFile is the JSON document `galshare sim serve` writes to DIR/cloud.json and WriteCloudFile produces: the
// endpoints, the CA to trust and the seeded operator credentials per tenant. pkg/azure reads it to point galshare
// at the simulator. It contains client secrets, so it is written with mode 0600.
type CloudFile struct {
	Version         int                        `json:"version"`
	Name            string                     `json:"name"`
	AuthorityHost   string                     `json:"authorityHost"`
	ResourceManager CloudEndpoint              `json:"resourceManager"`
	Graph           CloudEndpoint              `json:"graph"`
	KeyVault        *CloudKeyVault             `json:"keyVault,omitempty"`
	CACertificate   string                     `json:"caCertificate"`
	Credentials     map[string]CloudCredential `json:"credentials"`
}

// CloudEndpoint is a service endpoint and the token audience for it.
type CloudEndpoint struct {
	Endpoint string `json:"endpoint"`
	Audience string `json:"audience"`
}

// CloudKeyVault describes the Key Vault service of a cloud: vault hosts are NAME.DNSSuffix, tokens are for
// Audience. Address, set only by the simulator, is where every vault host is dialled (no DNS answers for the
// simulator's made-up names); a sovereign cloud's file leaves it out.
type CloudKeyVault struct {
	DNSSuffix string `json:"dnsSuffix"`
	Audience  string `json:"audience"`
	Address   string `json:"address,omitempty"`
}

// CloudCredential is a client id and secret an operator signs in with.
type CloudCredential struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// CloudFile returns the cloud description of this simulator.
func (sim *Sim) CloudFile() CloudFile {
	creds := map[string]CloudCredential{}
	for tid, c := range sim.Credentials() {
		creds[tid] = CloudCredential{ClientID: c.ClientID, ClientSecret: c.ClientSecret}
	}
	return CloudFile{
		Version: 1, Name: "galshare-simulator", AuthorityHost: sim.url + "/",
		ResourceManager: CloudEndpoint{Endpoint: sim.url, Audience: audARM},
		Graph:           CloudEndpoint{Endpoint: sim.url, Audience: audGraph},
		KeyVault:        &CloudKeyVault{DNSSuffix: KeyVaultDNSSuffix, Audience: audKeyVault, Address: strings.TrimPrefix(sim.url, "https://")},
		CACertificate:   string(sim.ca.certPEM),
		Credentials:     creds,
	}
}

// WriteCloudFile writes CloudFile() as JSON to path atomically with mode 0600.
func (sim *Sim) WriteCloudFile(path string) error {
	b, err := json.MarshalIndent(sim.CloudFile(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode cloud file: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o600)
}

// Credential is a seeded operator's sign-in: tenant, client id and secret.
type Credential struct {
	TenantID     string
	Name         string
	ClientID     string
	ClientSecret string
}

// Credentials returns, per tenant id, the first seeded operator of every tenant that has one.
func (sim *Sim) Credentials() map[string]Credential {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Credential{}
	for _, t := range s.w.Directory.Tenants {
		if len(t.Operators) > 0 {
			o := t.Operators[0]
			out[t.ID] = Credential{TenantID: t.ID, Name: o.Name, ClientID: o.ClientID, ClientSecret: o.ClientSecret}
		}
	}
	return out
}

// Operators returns every seeded operator of a tenant, in seed order.
func (sim *Sim) Operators(tenantID string) []Credential {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return nil
	}
	out := make([]Credential, 0, len(t.Operators))
	for _, o := range t.Operators {
		out = append(out, Credential{TenantID: t.ID, Name: o.Name, ClientID: o.ClientID, ClientSecret: o.ClientSecret})
	}
	return out
}

// TenantIDs lists the simulated tenants, sorted.
func (sim *Sim) TenantIDs() []string {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.w.Directory.Tenants))
	for id := range s.w.Directory.Tenants {
		ids = append(ids, strings.ToLower(id))
	}
	sort.Strings(ids)
	return ids
}
