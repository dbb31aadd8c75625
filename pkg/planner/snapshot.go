package planner

import (
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
)

// ReadStatus is the outcome of reading one object during refresh.
type ReadStatus int

// Read outcomes. The zero value means "not read", so a missing map entry and
// a skipped read look the same to Build.
const (
	// NotRead: refresh did not (or could not) read the object; Note says why
	// (manual consumer, no credentials, the app does not exist yet…).
	NotRead ReadStatus = iota
	// Found: the object exists and its value is recorded.
	Found
	// Missing: the object does not exist (a 404 or an empty lookup).
	Missing
	// Denied: the read returned 403; Err is the classified error and Build
	// turns the object into a blocked action naming the missing right.
	Denied
)

// Obs is the common part of every observation.
type Obs struct {
	Status ReadStatus
	// Note says why an object was not read.
	Note string
	// Err is the classified error of a Denied read.
	Err *azure.Error
}

// AppObs is what refresh found for the app registration.
type AppObs struct {
	Obs
	App *azure.Application
	// FoundBy says how: "uniqueName", "appId" (from state), "tag" (galshare's
	// marker) or FoundByAdopt (the appId publisher.app.adopt names).
	FoundBy string
	// SameName lists the apps that share the manifest's displayName, read
	// only when nothing above found the app (and the manifest neither sets
	// uniqueName nor adopt). They are never adopted: Build reports a
	// hand-made one as a conflict and creates its own app next to apps of
	// other galshare manifests.
	SameName []azure.Application
}

// FoundByAdopt is AppObs.FoundBy for an app found by the appId
// publisher.app.adopt names.
const FoundByAdopt = "adopt"

// DeliveredKey identifies the password whose value sits at the manifest's
// delivery target (read from the delivered document by the command; the
// planner never sees the value). With the keyIds state records, it is the
// set of passwords galshare holds the value of.
type DeliveredKey struct {
	// AppID is the client id the delivered document is for.
	AppID string
	// KeyID is the delivered password's keyId.
	KeyID string
}

// SPObs is the app's service principal in one tenant.
type SPObs struct {
	Obs
	SP *azure.ServicePrincipal
}

// AssignmentsObs is the list of role assignments of one principal at
// exactly one scope.
type AssignmentsObs struct {
	Obs
	Assignments []azure.RoleAssignment
}

// AssignmentObs is one role assignment read by id (an assignment known only
// from state, e.g. of a removed consumer).
type AssignmentObs struct {
	Obs
	Assignment *azure.RoleAssignment
}

// GalleryObs is one gallery.
type GalleryObs struct {
	Obs
	Gallery *azure.Gallery
}

// VersionObs is one image version with its replication status.
type VersionObs struct {
	Obs
	Version *azure.ImageVersion
}

// ScopeObs says whether a grant scope exists (read when no assignment list
// was made at it).
type ScopeObs struct {
	Obs
}

// TenantObs says whether refresh could work in a tenant at all.
type TenantObs struct {
	// Readable is false for manual consumers without credentials and tenants
	// whose sign-in failed in a way a human must fix.
	Readable bool
	Note     string
}

// Snapshot is everything refresh read, as a plain value: Build makes no call
// and is table-tested with hand-written snapshots. Maps are keyed by the
// functions below (lower-cased ids) so lookups are case-insensitive the way
// Azure is.
type Snapshot struct {
	// ReadAt is when refresh ran; Build uses its own clock (Options.Now).
	ReadAt time.Time
	App    AppObs
	// SPs by TenantKey.
	SPs map[string]SPObs
	// Assignments by AssignmentsKey(scope, principalID).
	Assignments map[string]AssignmentsObs
	// AssignmentsByID by IDKey(id).
	AssignmentsByID map[string]AssignmentObs
	// Galleries by IDKey(gallery id).
	Galleries map[string]GalleryObs
	// Versions by VersionKey(gallery id, image, version).
	Versions map[string]VersionObs
	// Scopes by IDKey(scope).
	Scopes map[string]ScopeObs
	// Tenants by TenantKey.
	Tenants map[string]TenantObs
	// GraphRights by TenantKey: the operator's Microsoft Graph application
	// permissions, read by the write preflight for tenants with planned
	// Graph writes.
	GraphRights map[string]GraphRightsObs
	// ARMRights by RightsKey(tenant, scope): the operator's effective ARM
	// permissions, read by the write preflight at each scope with a planned
	// role-assignment write.
	ARMRights map[string]ARMRightsObs
	// Delivered is the password at the delivery target (nil: none, or the
	// target cannot be read back), from RefreshOptions.Delivered.
	Delivered *DeliveredKey
	// DeliveryProblem, when the preflight found it, says why a new secret
	// could not be delivered to deliverTo now; Build blocks creating or
	// rotating the secret with it.
	DeliveryProblem string
	// Calls counts the API calls refresh made, for tests and the report.
	Calls int
}

// GraphRightsObs is what the write preflight learnt of the operator's
// Graph application permissions in one tenant. Found with Known false means
// the token lists no app roles because it is a user's (delegated) token:
// Build then checks nothing.
type GraphRightsObs struct {
	Obs
	Known bool
	Roles []string
}

// ARMRightsObs is the operator's effective permissions at one scope
// (GET {scope}/providers/Microsoft.Authorization/permissions).
type ARMRightsObs struct {
	Obs
	Permissions []azure.Permission
}

// RightsKey keys the operator's effective permissions at one scope of a
// tenant.
func RightsKey(tenant, scope string) string { return TenantKey(tenant) + "|" + IDKey(scope) }

// NewSnapshot returns an empty snapshot with its maps allocated.
func NewSnapshot() *Snapshot {
	return &Snapshot{
		SPs:             map[string]SPObs{},
		Assignments:     map[string]AssignmentsObs{},
		AssignmentsByID: map[string]AssignmentObs{},
		Galleries:       map[string]GalleryObs{},
		Versions:        map[string]VersionObs{},
		Scopes:          map[string]ScopeObs{},
		Tenants:         map[string]TenantObs{},
		GraphRights:     map[string]GraphRightsObs{},
		ARMRights:       map[string]ARMRightsObs{},
	}
}

// TenantKey normalises a tenant id for map keys.
func TenantKey(tenant string) string { return strings.ToLower(tenant) }

// IDKey normalises an ARM id or scope for map keys (ARM ids are
// case-insensitive; a trailing slash is dropped).
func IDKey(id string) string { return strings.TrimSuffix(strings.ToLower(id), "/") }

// AssignmentsKey keys the assignments of one principal at one scope.
func AssignmentsKey(scope, principalID string) string {
	return IDKey(scope) + "|" + strings.ToLower(principalID)
}

// VersionKey keys one image version.
func VersionKey(galleryID, image, version string) string {
	return IDKey(galleryID) + "|" + strings.ToLower(image) + "|" + version
}

// tenant returns the observation for a tenant; an unknown tenant is
// readable (tests leave the map empty).
func (s *Snapshot) tenant(t string) TenantObs {
	if o, ok := s.Tenants[TenantKey(t)]; ok {
		return o
	}
	return TenantObs{Readable: true}
}
