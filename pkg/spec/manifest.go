package spec

import "time"

// Manifest is one validated sharing manifest: who publishes which
// galleries, through which multi-tenant app, to which consumer tenants.
// Values are normalised (see the package doc) so callers never re-check them.
type Manifest struct {
	// Version is the manifest format version; only 1 exists.
	Version int
	// Name identifies the manifest; it seeds the app's default uniqueName.
	Name string
	// Publisher is tenant 1: the app registration and the shared galleries.
	Publisher Publisher
	// Consumers are tenants 2…N that get access to the galleries.
	Consumers []Consumer
	// State is where the state is shared by every runner (state.url); the
	// zero value means the local file (--state or galshare.state.json).
	State StateConfig

	// Path is the absolute path the manifest was read from ("" when parsed
	// from memory with a bare name).
	Path string
	// SHA256 is the hex SHA-256 of the raw manifest bytes; plans record it so
	// apply can refuse a plan made from a different manifest.
	SHA256 string
	// Positions maps field paths such as "consumers[0].grants[1].scope" to
	// where they were written, so later stages can point at a manifest line.
	Positions Positions
}

// StateConfig is the manifest's `state:` key. The manifest is in VCS, so
// every runner finds the same state there.
type StateConfig struct {
	// URL is the state blob: https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH.json,
	// or path-style http on loopback for an emulator. Credentials are
	// never here (see README "State").
	URL string
}

// Publisher is the tenant that owns the app registration and the galleries.
type Publisher struct {
	// Tenant is the publisher tenant ID, a lowercase GUID.
	Tenant string
	// App is the multi-tenant app registration consumers sign in as.
	App App
	// Galleries are the Compute Galleries the app gets a role on.
	Galleries []Gallery
}

// App is the multi-tenant app registration of step 1 of the procedure.
type App struct {
	// DisplayName is shown in the portal and in consent prompts.
	DisplayName string
	// UniqueName is the stable Graph key galshare finds and upserts the app
	// by (displayName is not unique). Defaults to DefaultUniqueName(name, displayName).
	UniqueName string
	// UniqueNameSet is true when the manifest sets uniqueName itself: the
	// operator chose the key, so an app that only shares the displayName is
	// not a conflict and galshare creates its own.
	UniqueNameSet bool
	// Adopt names an existing, hand-made app registration galshare takes
	// over (nil: galshare never adopts an app found only by displayName).
	Adopt *Adopt
	// SignInAudience is AzureADMultipleOrgs or AzureADandPersonalMicrosoftAccount:
	// the cross-tenant flow needs a multi-tenant app.
	SignInAudience string
	// RedirectURIs are the app's web redirect URIs; the consent URL uses the first.
	RedirectURIs []string
	// Secret describes the client secret galshare creates and rotates; nil
	// when the manifest has no secret section (e.g. federated credentials only).
	Secret *Secret
}

// Adopt is publisher.app.adopt: the explicit decision to manage an app
// registration someone made by hand. galshare records it as adopted (never
// deleted) and never touches its existing passwords.
type Adopt struct {
	// AppID is the existing app's application (client) id, lowercase.
	AppID string
}

// Secret describes the client secret of step 2. It never holds the value:
// galshare creates the value and writes it only to DeliverTo.
type Secret struct {
	// Description is the secret's displayName in Entra.
	Description string
	// Lifetime is how long a new secret is valid (default 8760h, the portal's 1 year).
	Lifetime time.Duration
	// RenewBefore makes plan rotate the secret when less than this is left
	// (default 720h); always shorter than Lifetime.
	RenewBefore time.Duration
	// DeliverTo is where a newly created secret value is written.
	DeliverTo Delivery
}

// Delivery kinds: a JSON file written with mode 0600, or a Key Vault secret
// (each delivery a new version).
const (
	DeliveryFile     = "file"
	DeliveryKeyVault = "keyvault"
)

// Delivery is where galshare hands a new secret value over.
type Delivery struct {
	// Kind is DeliveryFile or DeliveryKeyVault.
	Kind string
	// Path is absolute; a relative path in the manifest is resolved against
	// the manifest's directory. File delivery only.
	Path string
	// Written is deliverTo as the manifest spells it, for messages.
	Written string
	// VaultURL is the vault's https://NAME.SUFFIX (no path, no trailing
	// slash) and SecretName the secret in it. Key Vault delivery only.
	VaultURL   string
	SecretName string
}

// Gallery is a Compute Gallery in the publisher tenant that the app is
// granted a role on (step 3) and whose image versions gate readiness (step 6).
type Gallery struct {
	// ID is the canonical ARM ID
	// /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{name}.
	ID string
	// SubscriptionID is the lowercase subscription GUID from ID.
	SubscriptionID string
	// ResourceGroup is the resource group name from ID, as written.
	ResourceGroup string
	// Name is the gallery name from ID; unique across the manifest.
	Name string
	// Role is granted to the app on the gallery (default Reader).
	Role Role
	// WaitFor lists image versions that must be built and replicated before
	// consumers are told the share is ready.
	WaitFor []ImageVersionRef
}

// ImageVersionRef names one image version in a gallery.
type ImageVersionRef struct {
	// Image is the image definition name.
	Image string
	// Version is Major.Minor.Patch.
	Version string
}

// Access says whether galshare acts in a consumer tenant itself.
type Access string

const (
	// AccessManaged means galshare has credentials in the tenant and creates
	// the service principal and role assignments there.
	AccessManaged Access = "managed"
	// AccessManual means a human acts in the tenant; plan prints the exact
	// consent URL and role-assignment command and reports "blocked".
	AccessManual Access = "manual"
)

// Consumer is a tenant that uses the galleries (tenant 2 in the procedure).
type Consumer struct {
	// Name is the consumer's short name used in addresses such as sp[NAME];
	// ^[a-z0-9][a-z0-9-]{0,62}$, unique, and never "publisher".
	Name string
	// Tenant is the consumer tenant ID, a lowercase GUID, unique and not the
	// publisher tenant.
	Tenant string
	// Access is AccessManaged (default) or AccessManual.
	Access Access
	// Grants are the role assignments the app's service principal gets in
	// this tenant (step 5: Contributor on the VM resource group).
	Grants []Grant
}

// Grant is one role on one scope in a consumer tenant.
type Grant struct {
	// Scope is a canonical subscription (/subscriptions/{sub}) or resource
	// group (/subscriptions/{sub}/resourceGroups/{rg}) ID.
	Scope string
	// Role is the role granted on Scope.
	Role Role
}

// Role is an Azure RBAC role resolved from a built-in name or a role
// definition GUID.
type Role struct {
	// Name is the canonical built-in role name, or "" for a custom role
	// given by GUID.
	Name string
	// DefinitionGUID is the lowercase role definition GUID.
	DefinitionGUID string
}

// String returns the name when known, else the GUID, for plans and addresses.
func (r Role) String() string {
	if r.Name != "" {
		return r.Name
	}
	return r.DefinitionGUID
}
