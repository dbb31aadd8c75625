package azure

import (
	"context"
	"time"
)

// Directory is Microsoft Graph in one tenant, reduced to the calls galshare makes.
// Every method returns *Error on failure; Get* methods return an error for which
// IsNotFound is true when the object does not exist.
type Directory interface {
	// Tenant is the tenant every call is made in.
	Tenant() string

	// GetApplicationByUniqueName reads GET /applications(uniqueName='…'): one call,
	// passwords included.
	GetApplicationByUniqueName(ctx context.Context, uniqueName string) (*Application, error)
	// GetApplicationByAppID reads GET /applications(appId='…').
	GetApplicationByAppID(ctx context.Context, appID string) (*Application, error)
	// ListApplicationsByTag lists apps carrying tag (galshare's ownership marker),
	// to re-discover hand-made or state-less apps. Empty when none.
	ListApplicationsByTag(ctx context.Context, tag string) ([]Application, error)
	// ListApplicationsByDisplayName lists apps with that display name (not unique),
	// to offer adoption of an app registered by hand.
	ListApplicationsByDisplayName(ctx context.Context, displayName string) ([]Application, error)
	// UpsertApplication is PATCH /applications(uniqueName='…') with
	// Prefer: create-if-missing; created tells which happened. The returned app is
	// read back after an update (one more GET) so the caller always has ids.
	UpsertApplication(ctx context.Context, spec ApplicationSpec) (app *Application, created bool, err error)
	// UpdateApplication is PATCH /applications/{objectID} with every field of spec
	// except UniqueName (arrays replaced whole).
	UpdateApplication(ctx context.Context, objectID string, spec ApplicationSpec) error
	// DeleteApplication is DELETE /applications/{objectID}; a missing app is not an error.
	DeleteApplication(ctx context.Context, objectID string) error
	// AddPassword is POST /applications/{id}/addPassword with endDateTime always
	// sent. The value is returned once, as a Secret.
	AddPassword(ctx context.Context, appObjectID, displayName string, end time.Time) (*NewPassword, error)
	// RemovePassword is POST /applications/{id}/removePassword; an unknown keyId is not an error.
	RemovePassword(ctx context.Context, appObjectID, keyID string) error

	// GetServicePrincipal reads GET /servicePrincipals(appId='…') in this tenant.
	GetServicePrincipal(ctx context.Context, appID string) (*ServicePrincipal, error)
	// CreateServicePrincipal is POST /servicePrincipals; on 409 (it exists already,
	// e.g. after admin consent) it reads and returns the existing one with adopted=true.
	CreateServicePrincipal(ctx context.Context, appID string, tags []string) (sp *ServicePrincipal, adopted bool, err error)
	// DeleteServicePrincipal is DELETE /servicePrincipals/{objectID}; a missing SP is not an error.
	DeleteServicePrincipal(ctx context.Context, objectID string) error
}

// Resources is Azure Resource Manager in one tenant (the credential's home
// tenant), reduced to the calls galshare makes. Every method returns *Error on
// failure; Get* methods return an error for which IsNotFound is true when absent.
type Resources interface {
	// Tenant is the tenant whose token every call carries.
	Tenant() string

	// ListRoleAssignments lists assignments of principalID that sit exactly at
	// scope (the principalId filter, URL-encoded, post-filtered on scope).
	ListRoleAssignments(ctx context.Context, scope, principalID string) ([]RoleAssignment, error)
	// GetRoleAssignment reads one assignment by its full ARM id.
	GetRoleAssignment(ctx context.Context, id string) (*RoleAssignment, error)
	// CreateRoleAssignment PUTs an assignment named RoleAssignmentName(scope,
	// principal, role) with principalType ServicePrincipal. On 409
	// RoleAssignmentExists it finds the existing assignment and returns it with
	// adopted=true.
	CreateRoleAssignment(ctx context.Context, spec RoleAssignmentSpec) (ra *RoleAssignment, adopted bool, err error)
	// DeleteRoleAssignment deletes by full ARM id; 404 is success.
	DeleteRoleAssignment(ctx context.Context, id string) error

	// GetGallery reads a gallery by ARM id.
	GetGallery(ctx context.Context, galleryID string) (*Gallery, error)
	// GetImageVersion reads one version with $expand=ReplicationStatus (the only
	// read that carries replication status).
	GetImageVersion(ctx context.Context, galleryID, image, version string) (*ImageVersion, error)
	// CheckScope verifies that a subscription or resource-group scope (or any
	// resource id) exists and is readable; a missing one gives KindNotFound.
	CheckScope(ctx context.Context, scope string) error
	// ResolveRoleDefinition turns a role name or GUID into the role definition GUID:
	// built-in names from a constant table without a call, others by listing role
	// definitions at scope with a roleName filter.
	ResolveRoleDefinition(ctx context.Context, scope, nameOrGUID string) (string, error)
}

// Clients gives the per-tenant interfaces. *Connector implements it; planner and
// executor tests use fakes.
type Clients interface {
	// Directory returns the Graph client for tenant (cached per tenant).
	Directory(ctx context.Context, tenant string) (Directory, error)
	// Resources returns the ARM client set for tenant (cached per tenant).
	Resources(ctx context.Context, tenant string) (Resources, error)
}

var _ Clients = (*Connector)(nil)
