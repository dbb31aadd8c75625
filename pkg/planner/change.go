package planner

import (
	"time"

	"github.com/galshare/galshare/pkg/spec"
)

// ResourceType is the type of a managed object as recorded in state and the
// JSON plan. The values equal pkg/state's Resource.Type strings.
type ResourceType string

// Resource types.
const (
	TypeApplication      ResourceType = "application"
	TypePassword         ResourceType = "password"
	TypeServicePrincipal ResourceType = "service_principal"
	TypeRoleAssignment   ResourceType = "role_assignment"
	TypeWait             ResourceType = "wait"
)

// Origin values recorded in state for an object after apply. They equal
// pkg/state's Origin strings.
const (
	// OriginCreated: galshare made the object and may delete it.
	OriginCreated = "created"
	// OriginAdopted: the object existed (made by hand); galshare manages it
	// but never deletes it.
	OriginAdopted = "adopted"
)

// KnownAfterApply is the displayed value of an attribute that only apply can
// know (an appId before the app exists, a keyId before addPassword).
const KnownAfterApply = "(known after apply)"

// Change is one node of the plan's graph: what apply does to one object and
// everything a reviewer needs to judge it. The typed payload (exactly one of
// App, Password, ServicePrincipal, RoleAssignment, Wait is set) is what the
// executor acts on; Reason, Before and After are for people and never drive
// apply. No field ever holds a secret value.
type Change struct {
	// Address names the object.
	Address Address `json:"address"`
	// Type is the object's resource type.
	Type ResourceType `json:"type"`
	// Tenant is the Entra tenant the object lives in (and whose credentials
	// apply uses).
	Tenant string `json:"tenant"`
	// Action is what apply does.
	Action Action `json:"action"`
	// Adopt is set when the object exists in Azure but not in state: apply
	// records it (with Origin) instead of creating a duplicate. It combines
	// with NoOp or Update.
	Adopt bool `json:"adopt,omitempty"`
	// Forget is set when apply only removes the object from state and
	// leaves Azure alone: an adopted object no longer in the manifest (galshare
	// never deletes what it did not create), or one already gone. It combines
	// with NoOp.
	Forget bool `json:"forget,omitempty"`
	// PreviousAddress is set when state records this object under another
	// address (the app's display name changed, or a grant's role changed and
	// the old assignment is replaced): apply re-keys or removes that entry.
	PreviousAddress Address `json:"previous_address,omitzero"`
	// Origin is the origin state holds for the object after apply: "created"
	// for objects galshare makes (or whose creation the journal or a galshare
	// marker proves), "adopted" for objects made by hand. Empty for waits and
	// deletes.
	Origin string `json:"origin,omitempty"`
	// Reason explains the action in one short phrase ("missing", "changed
	// outside galshare: redirectUris", "secret expires in 12 days", "no longer
	// in manifest").
	Reason string `json:"reason,omitempty"`
	// Before and After are displayable attributes of the live and desired
	// object (nil when absent). Lists are rendered as JSON arrays; values only
	// apply can know are KnownAfterApply. Never a secret.
	Before map[string]string `json:"before,omitempty"`
	After  map[string]string `json:"after,omitempty"`
	// DependsOn lists the changes that must succeed first. Every entry is
	// the address of another change in the same plan.
	DependsOn []Address `json:"depends_on,omitempty"`
	// Fingerprint is a stable hash of the live object as observed at plan
	// time ("" when the object was absent or not read). Apply re-reads the
	// object and refuses the change when the hash differs. See fingerprint.go.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Blocked says what a human must do; set exactly when Action is Blocked.
	Blocked *BlockedInfo `json:"blocked,omitempty"`

	// Payloads: exactly one is set, matching Type.
	App              *AppPayload              `json:"app,omitempty"`
	Password         *PasswordPayload         `json:"password,omitempty"`
	ServicePrincipal *ServicePrincipalPayload `json:"service_principal,omitempty"`
	RoleAssignment   *RoleAssignmentPayload   `json:"role_assignment,omitempty"`
	Wait             *WaitPayload             `json:"wait,omitempty"`
}

// BlockedInfo is what a human must do before apply can go on, with exact,
// copy-pasteable URLs and commands.
type BlockedInfo struct {
	// Why is the one-line cause ("consumer fabrikam is manual", "no
	// credentials for tenant …", or the classified 403 from refresh).
	Why string `json:"why"`
	// ConsentURL is the documented sign-in URL an admin of the tenant opens
	// to consent (creates the service principal there).
	ConsentURL string `json:"consent_url,omitempty"`
	// AdminConsentURL is the tenant-wide admin-consent URL, an alternative.
	AdminConsentURL string `json:"admin_consent_url,omitempty"`
	// Command is the exact command to run (an az role assignment create line).
	Command string `json:"command,omitempty"`
	// Instructions are further full sentences (e.g. "the appId will be known
	// after apply creates the app").
	Instructions []string `json:"instructions,omitempty"`
}

// AppPayload is the desired app registration. ObjectID and AppID are set when
// the app exists (update, delete, no-op, adopt).
type AppPayload struct {
	UniqueName     string   `json:"unique_name"`
	DisplayName    string   `json:"display_name"`
	SignInAudience string   `json:"sign_in_audience,omitempty"`
	RedirectURIs   []string `json:"redirect_uris,omitempty"`
	// RequestedAccessTokenVersion is 2 when the audience includes personal
	// Microsoft accounts (Graph refuses the app otherwise), 0 to leave unset.
	RequestedAccessTokenVersion int `json:"requested_access_token_version,omitempty"`
	// Tags carry the galshare marker (MarkerTag) so a lost state can be
	// rebuilt from Azure.
	Tags     []string `json:"tags,omitempty"`
	ObjectID string   `json:"object_id,omitempty"`
	AppID    string   `json:"app_id,omitempty"`
	// Changed lists the drifted fields an Update must write.
	Changed []string `json:"changed,omitempty"`
}

// PasswordPayload is the desired client secret. The app's object id and
// appId come from AppObjectID/AppID when known at plan time, otherwise from
// the outputs of the change at AppAddress.
type PasswordPayload struct {
	AppAddress  Address `json:"app_address"`
	AppObjectID string  `json:"app_object_id,omitempty"`
	AppID       string  `json:"app_id,omitempty"`
	// DisplayName is the password's description in Graph.
	DisplayName string `json:"display_name"`
	// Lifetime sets endDateTime = now + Lifetime at addPassword.
	Lifetime time.Duration `json:"lifetime"`
	// RenewBefore is the rotation window, kept for display and state.
	RenewBefore time.Duration `json:"renew_before,omitempty"`
	// DeliverTo is where apply writes the new secret value (never state).
	DeliverTo Delivery `json:"deliver_to"`
	// KeyID is the existing password's keyId (no-op, adopt, delete).
	KeyID string `json:"key_id,omitempty"`
	// ReplacesKeyID is the keyId a rotation (Replace) removes after the new
	// password is delivered.
	ReplacesKeyID string `json:"replaces_key_id,omitempty"`
}

// Delivery is where a secret value goes; it mirrors spec.Delivery so that a
// plan file stands alone. Kind "file" has Path; kind "keyvault" has the
// vault's URL and the secret's name (every delivery adds a version).
type Delivery struct {
	Kind       string `json:"kind"`
	Path       string `json:"path,omitempty"`
	VaultURL   string `json:"vault_url,omitempty"`
	SecretName string `json:"secret_name,omitempty"`
}

// String is the deliverTo form shown in plans, state and progress lines:
// file:PATH or keyvault:https://VAULT/secrets/NAME (never a value).
func (d Delivery) String() string {
	if d.VaultURL != "" {
		return d.Kind + ":" + d.VaultURL + "/secrets/" + d.SecretName
	}
	if d.Path == "" {
		return d.Kind
	}
	return d.Kind + ":" + d.Path
}

// ServicePrincipalPayload is the app's service principal in one tenant.
type ServicePrincipalPayload struct {
	// Consumer is the consumer name, or PublisherKey.
	Consumer   string  `json:"consumer"`
	AppAddress Address `json:"app_address"`
	// AppID is the app's client id when known at plan time; otherwise apply
	// takes it from the outputs of AppAddress.
	AppID string `json:"app_id,omitempty"`
	// ObjectID is the existing SP's object id in this tenant.
	ObjectID string   `json:"object_id,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

// RoleAssignmentPayload is one role assignment. The principal is the service
// principal at PrincipalFrom, in the tenant that owns Scope; its object id is
// PrincipalID when known at plan time, otherwise the output of PrincipalFrom.
type RoleAssignmentPayload struct {
	Scope         string  `json:"scope"`
	RoleGUID      string  `json:"role_guid"`
	RoleName      string  `json:"role_name,omitempty"`
	PrincipalFrom Address `json:"principal_from"`
	PrincipalID   string  `json:"principal_id,omitempty"`
	// Description is the galshare marker written on assignments it creates.
	Description string `json:"description,omitempty"`
	// ExistingID is the ARM id of the live assignment (no-op, adopt, delete,
	// and the one a Replace removes after creating the new one).
	ExistingID string `json:"existing_id,omitempty"`
}

// WaitPayload names the image version apply waits for: provisioning
// Succeeded and every target region replicated.
type WaitPayload struct {
	GalleryID string `json:"gallery_id"`
	Image     string `json:"image"`
	Version   string `json:"version"`
}

// deliveryOf is the plan's form of the manifest's deliverTo.
func deliveryOf(sec *spec.Secret) Delivery {
	return Delivery{Kind: sec.DeliverTo.Kind, Path: sec.DeliverTo.Path,
		VaultURL: sec.DeliverTo.VaultURL, SecretName: sec.DeliverTo.SecretName}
}
