package azsim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// directory is the Entra ID side of the world: tenants with their users and service principals, and the application
// objects (which live in their home tenant). Maps are keyed by lower-case IDs.
type directory struct {
	Tenants map[string]*tenant      `json:"tenants"`
	Apps    map[string]*application `json:"applications"` // by object id
	// Deleted holds soft-deleted applications (Graph keeps them 30 days in /directory/deletedItems).
	Deleted map[string]*application `json:"deletedApplications,omitempty"`

	appIdx *appIndex // derived from Apps, not persisted; see apps()
}

// tenant is one Entra tenant.
type tenant struct {
	ID          string                       `json:"id"`
	Domain      string                       `json:"domain"`
	DisplayName string                       `json:"displayName"`
	Users       []*user                      `json:"users"`
	SPs         map[string]*servicePrincipal `json:"servicePrincipals"` // by object id
	Operators   []*operator                  `json:"operators"`
}

// user is a seeded person who can sign in to the consent page.
type user struct {
	ID             string   `json:"id"`
	UPN            string   `json:"userPrincipalName"`
	DisplayName    string   `json:"displayName"`
	Password       string   `json:"password"` // simulator-only test password, needed to check the consent form
	DirectoryRoles []string `json:"directoryRoles"`
}

// operator is a seeded identity galshare signs in as: an application homed in the tenant, its service principal and
// the secret. The secret is kept in clear only here (and in cloud.json) because the simulator must hand it to
// galshare; secrets added through Graph are only stored hashed.
type operator struct {
	Name         string `json:"name"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	AppObjectID  string `json:"appObjectId"`
	SPObjectID   string `json:"spObjectId"`
}

// application is an app registration. VisibleAt models Entra replication: before it, the object is invisible to
// reads, dependent writes, other tenants and token issuance.
type application struct {
	ID                          string            `json:"id"`
	AppID                       string            `json:"appId"`
	TenantID                    string            `json:"tenantId"`
	DisplayName                 string            `json:"displayName"`
	UniqueName                  string            `json:"uniqueName,omitempty"`
	SignInAudience              string            `json:"signInAudience"`
	Tags                        []string          `json:"tags"`
	Notes                       string            `json:"notes,omitempty"`
	Description                 string            `json:"description,omitempty"`
	RedirectURIs                []string          `json:"redirectUris"`
	RequestedAccessTokenVersion *int              `json:"requestedAccessTokenVersion,omitempty"`
	Passwords                   []*password       `json:"passwordCredentials"`
	FICs                        []*federatedCred  `json:"federatedIdentityCredentials"`
	Owners                      []string          `json:"owners"` // SP object ids (home tenant) that own the app
	CreatedAt                   time.Time         `json:"createdDateTime"`
	DeletedAt                   *time.Time        `json:"deletedDateTime,omitempty"`
	VisibleAt                   time.Time         `json:"visibleAt"`
	Extra                       map[string]string `json:"extra,omitempty"`
}

// password is a client secret. Only a SHA-256 of the secret text is stored.
type password struct {
	KeyID       string    `json:"keyId"`
	DisplayName string    `json:"displayName"`
	Hint        string    `json:"hint"`
	SecretHash  string    `json:"secretHash"`
	Start       time.Time `json:"startDateTime"`
	End         time.Time `json:"endDateTime"`
	VisibleAt   time.Time `json:"visibleAt"`
}

// federatedCred is a federated identity credential on an application.
type federatedCred struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Issuer      string    `json:"issuer"`
	Subject     string    `json:"subject"`
	Audiences   []string  `json:"audiences"`
	Description string    `json:"description,omitempty"`
	VisibleAt   time.Time `json:"visibleAt"`
}

// servicePrincipal is an app's identity in one tenant. AppRoles are the Graph application permissions granted to it
// (they become the token's roles claim).
type servicePrincipal struct {
	ID                     string    `json:"id"`
	AppID                  string    `json:"appId"`
	TenantID               string    `json:"tenantId"`
	DisplayName            string    `json:"displayName"`
	AppOwnerOrganizationID string    `json:"appOwnerOrganizationId"`
	AppRoles               []string  `json:"appRoles"`
	Tags                   []string  `json:"tags"`
	CreatedAt              time.Time `json:"createdDateTime"`
	VisibleAt              time.Time `json:"visibleAt"`
}

// principalRef names a principal in a seed file: an operator by name or a user by UPN, in a tenant.
type principalRef struct {
	Tenant   string `yaml:"tenant" json:"tenant"`
	Operator string `yaml:"operator,omitempty" json:"operator,omitempty"`
	User     string `yaml:"user,omitempty" json:"user,omitempty"`
}

// multiTenantAudiences are the signInAudience values that let an app have service principals in other tenants.
var multiTenantAudiences = map[string]bool{
	"azureadmultipleorgs":                true,
	"azureadandpersonalmicrosoftaccount": true,
}

func newDirectory() *directory {
	return &directory{Tenants: map[string]*tenant{}, Apps: map[string]*application{}}
}

// seededID derives a stable GUID for a seeded object so a seed always yields the same IDs.
func seededID(parts ...string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("galshare-azsim|"+strings.ToLower(strings.Join(parts, "|")))).String()
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func secretMatches(hash, secret string) bool {
	got := hashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}

// tenant finds a tenant by GUID or domain, case-insensitively.
func (d *directory) tenant(idOrDomain string) *tenant {
	k := strings.ToLower(idOrDomain)
	if t, ok := d.Tenants[k]; ok {
		return t
	}
	for _, t := range d.Tenants {
		if strings.EqualFold(t.Domain, idOrDomain) {
			return t
		}
	}
	return nil
}

// spByAppID finds the service principal of appID in tenant t regardless of visibility.
func (t *tenant) spByAppID(appID string) *servicePrincipal {
	for _, sp := range t.SPs {
		if strings.EqualFold(sp.AppID, appID) {
			return sp
		}
	}
	return nil
}

func (t *tenant) userByUPN(upn string) *user {
	for _, u := range t.Users {
		if strings.EqualFold(u.UPN, upn) {
			return u
		}
	}
	return nil
}

func (t *tenant) userByID(id string) *user {
	for _, u := range t.Users {
		if strings.EqualFold(u.ID, id) {
			return u
		}
	}
	return nil
}

func (t *tenant) operatorByName(name string) *operator {
	for _, o := range t.Operators {
		if strings.EqualFold(o.Name, name) {
			return o
		}
	}
	return nil
}

// visible reports whether an object created with visibleAt is replicated at now.
func visible(visibleAt, now time.Time) bool { return !now.Before(visibleAt) }

// sortByCreation orders directory objects the way Graph lists and the
// inspection views return them here: oldest first, ties broken by id, so
// listings are the same on every run. key gives an object's creation time and
// id.
func sortByCreation[T any](xs []T, key func(T) (time.Time, string)) {
	slices.SortFunc(xs, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return strings.Compare(ia, ib)
	})
}

// principalVisibleToARM reports whether ARM can resolve objectID (a service principal or user) in tenant: it must
// exist there and its replication lag must have passed. Callers hold s.mu.
func (s *Server) principalVisibleToARM(tenantID, objectID string) bool {
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return false
	}
	if sp, ok := t.SPs[strings.ToLower(objectID)]; ok {
		return visible(sp.VisibleAt, s.now())
	}
	return t.userByID(objectID) != nil
}

// principalExists reports whether objectID is a service principal or user of tenant, ignoring replication lag (ARM
// with principalType set skips the lagging directory lookup). Callers hold s.mu.
func (s *Server) principalExists(tenantID, objectID string) bool {
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return false
	}
	if _, ok := t.SPs[strings.ToLower(objectID)]; ok {
		return true
	}
	return t.userByID(objectID) != nil
}

// principalType returns "ServicePrincipal" or "User" for an existing principal, "" otherwise. Callers hold s.mu.
func (s *Server) principalType(tenantID, objectID string) string {
	t := s.w.Directory.tenant(tenantID)
	if t == nil {
		return ""
	}
	if _, ok := t.SPs[strings.ToLower(objectID)]; ok {
		return "ServicePrincipal"
	}
	if t.userByID(objectID) != nil {
		return "User"
	}
	return ""
}

// resolvePrincipalRef turns a seed's principal reference into (tenant id, object id). Callers hold s.mu.
func (s *Server) resolvePrincipalRef(ref principalRef) (tenantID, objectID string, err error) {
	t := s.w.Directory.tenant(ref.Tenant)
	if t == nil {
		return "", "", fmt.Errorf("principal: unknown tenant %q", ref.Tenant)
	}
	switch {
	case ref.Operator != "" && ref.User != "":
		return "", "", fmt.Errorf("principal in tenant %s: give operator or user, not both", t.ID)
	case ref.Operator != "":
		o := t.operatorByName(ref.Operator)
		if o == nil {
			return "", "", fmt.Errorf("principal: tenant %s has no operator %q", t.ID, ref.Operator)
		}
		return t.ID, o.SPObjectID, nil
	case ref.User != "":
		u := t.userByUPN(ref.User)
		if u == nil {
			return "", "", fmt.Errorf("principal: tenant %s has no user %q", t.ID, ref.User)
		}
		return t.ID, u.ID, nil
	}
	return "", "", fmt.Errorf("principal in tenant %s: operator or user is required", t.ID)
}
