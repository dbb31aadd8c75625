package azsim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxSeedSize bounds a seed file; worlds are small and a bigger file is a mistake.
const maxSeedSize = 4 << 20

// Seed declares the initial world of a fresh simulator: tenants (users, operators) and, through the inline armSeed,
// subscriptions, resource groups, galleries and role assignments. It only initialises an empty persistence
// directory; an existing world.json wins.
type Seed struct {
	Settings SeedSettings `yaml:"settings"`
	Tenants  []TenantSeed `yaml:"tenants"`
	ARMSeed  `yaml:",inline"`
}

// SeedSettings are world-wide defaults.
type SeedSettings struct {
	// Lag is the Entra replication lag, used when Options.Lag is zero.
	Lag time.Duration `yaml:"lag"`
	// ReplicationTime is the default time an image version takes to replicate (read by the ARM half).
	ReplicationTime time.Duration `yaml:"replicationTime"`
}

// TenantSeed declares one Entra tenant.
type TenantSeed struct {
	ID          string         `yaml:"id"`
	Domain      string         `yaml:"domain"`
	DisplayName string         `yaml:"displayName"`
	Users       []UserSeed     `yaml:"users"`
	Operators   []OperatorSeed `yaml:"operators"`
}

// UserSeed declares a person, e.g. the Global Administrator who accepts consent in a manual consumer tenant.
type UserSeed struct {
	UPN            string   `yaml:"upn"`
	DisplayName    string   `yaml:"displayName"`
	Password       string   `yaml:"password"`
	DirectoryRoles []string `yaml:"directoryRoles"`
}

// OperatorSeed declares an identity galshare signs in as: a single-tenant app homed in the tenant with a service
// principal, a client secret and Graph application permissions.
type OperatorSeed struct {
	Name             string   `yaml:"name"`
	ClientID         string   `yaml:"clientId"`
	ClientSecret     string   `yaml:"clientSecret"`
	GraphPermissions []string `yaml:"graphPermissions"`
}

// LoadSeedFile reads and strictly decodes a YAML seed file (unknown keys are errors).
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	seed, err := ParseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", path, err)
	}
	return seed, nil
}

// ParseSeed strictly decodes a YAML seed document.
func ParseSeed(data []byte) (*Seed, error) {
	if len(data) > maxSeedSize {
		return nil, fmt.Errorf("seed is larger than %d bytes", maxSeedSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var seed Seed
	if err := dec.Decode(&seed); err != nil {
		return nil, fmt.Errorf("decode seed: %w", err)
	}
	if err := seed.validate(); err != nil {
		return nil, err
	}
	return &seed, nil
}

// knownDirectoryRoles are the directory roles the simulator understands (the consent page checks them).
var knownDirectoryRoles = map[string]bool{
	"global administrator":                    true,
	"application administrator":               true,
	"cloud application administrator":         true,
	"privileged role administrator":           true,
	"user":                                    true,
	"directory readers":                       true,
	"application developer":                   true,
	"user administrator":                      true,
	"privileged authentication administrator": true,
}

// knownGraphPermissions are the Graph application permissions the simulator's authorization understands.
var knownGraphPermissions = map[string]bool{
	"application.read.all":          true,
	"application.readwrite.all":     true,
	"application.readwrite.ownedby": true,
	"directory.read.all":            true,
	"directory.readwrite.all":       true,
}

func (seed *Seed) validate() error {
	var errs []error
	ids := map[string]bool{}
	clients := map[string]bool{}
	for i, t := range seed.Tenants {
		where := fmt.Sprintf("tenants[%d]", i)
		if !isGUID(t.ID) {
			errs = append(errs, fmt.Errorf("%s.id: %q is not a GUID", where, t.ID))
		}
		if ids[strings.ToLower(t.ID)] {
			errs = append(errs, fmt.Errorf("%s.id: duplicate tenant %s", where, t.ID))
		}
		ids[strings.ToLower(t.ID)] = true
		for j, u := range t.Users {
			if !strings.Contains(u.UPN, "@") {
				errs = append(errs, fmt.Errorf("%s.users[%d].upn: %q is not a user principal name", where, j, u.UPN))
			}
			for _, r := range u.DirectoryRoles {
				if !knownDirectoryRoles[strings.ToLower(r)] {
					errs = append(errs, fmt.Errorf("%s.users[%d].directoryRoles: unknown role %q", where, j, r))
				}
			}
		}
		for j, o := range t.Operators {
			if o.Name == "" {
				errs = append(errs, fmt.Errorf("%s.operators[%d].name is required", where, j))
			}
			if !isGUID(o.ClientID) {
				errs = append(errs, fmt.Errorf("%s.operators[%d].clientId: %q is not a GUID", where, j, o.ClientID))
			}
			if clients[strings.ToLower(o.ClientID)] {
				errs = append(errs, fmt.Errorf("%s.operators[%d].clientId: duplicate client id", where, j))
			}
			clients[strings.ToLower(o.ClientID)] = true
			if o.ClientSecret == "" {
				errs = append(errs, fmt.Errorf("%s.operators[%d].clientSecret is required", where, j))
			}
			for _, p := range o.GraphPermissions {
				if !knownGraphPermissions[strings.ToLower(p)] {
					errs = append(errs, fmt.Errorf("%s.operators[%d].graphPermissions: unknown permission %q", where, j, p))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// applySeed initialises an empty world from seed. Callers hold s.mu.
func (s *Server) applySeed(seed *Seed) error {
	d := s.w.Directory
	if seed.Settings.ReplicationTime > 0 {
		s.replicationTime = seed.Settings.ReplicationTime
	}
	for _, ts := range seed.Tenants {
		id := strings.ToLower(ts.ID)
		t := &tenant{ID: id, Domain: ts.Domain, DisplayName: ts.DisplayName, SPs: map[string]*servicePrincipal{}}
		if t.Domain == "" {
			t.Domain = "tenant-" + id[:8] + ".onmicrosoft.com"
		}
		if t.DisplayName == "" {
			t.DisplayName = t.Domain
		}
		for _, us := range ts.Users {
			name := us.DisplayName
			if name == "" {
				name = strings.SplitN(us.UPN, "@", 2)[0]
			}
			t.Users = append(t.Users, &user{
				ID: seededID("user", id, us.UPN), UPN: us.UPN, DisplayName: name, Password: us.Password,
				DirectoryRoles: append([]string(nil), us.DirectoryRoles...),
			})
		}
		d.Tenants[id] = t
		for _, op := range ts.Operators {
			clientID := strings.ToLower(op.ClientID)
			app := &application{
				ID: seededID("app", id, clientID), AppID: clientID, TenantID: id, DisplayName: op.Name,
				SignInAudience: "AzureADMyOrg", Tags: []string{}, RedirectURIs: []string{},
				Passwords: []*password{{
					KeyID: seededID("key", id, clientID), DisplayName: "seeded operator secret",
					Hint: hintOf(op.ClientSecret), SecretHash: hashSecret(op.ClientSecret),
					Start: s.now().Add(-time.Hour), End: s.now().AddDate(10, 0, 0),
				}},
				FICs: []*federatedCred{}, CreatedAt: s.now(),
			}
			d.putApp(app)
			sp := &servicePrincipal{
				ID: seededID("sp", id, clientID), AppID: clientID, TenantID: id, DisplayName: op.Name,
				AppOwnerOrganizationID: id, AppRoles: append([]string(nil), op.GraphPermissions...), Tags: []string{},
				CreatedAt: s.now(),
			}
			t.SPs[sp.ID] = sp
			t.Operators = append(t.Operators, &operator{
				Name: op.Name, ClientID: clientID, ClientSecret: op.ClientSecret, AppObjectID: app.ID, SPObjectID: sp.ID,
			})
		}
	}
	if err := s.applyARMSeed(seed.ARMSeed); err != nil {
		return fmt.Errorf("seed ARM world: %w", err)
	}
	return nil
}

// hintOf is Graph's hint: the first three characters of a secret.
func hintOf(secret string) string {
	if len(secret) < 3 {
		return secret
	}
	return secret[:3]
}

// isGUID reports whether s is a canonical 8-4-4-4-12 GUID.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
