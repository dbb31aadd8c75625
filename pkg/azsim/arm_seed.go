package azsim

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ARMSeed is the ARM part of a seed file — subscriptions (with resource groups, galleries, images and versions) and
// role assignments. Seed embeds it inline so these keys sit at the top level of the YAML next to tenants.
type ARMSeed struct {
	Subscriptions   []SubscriptionSeed   `yaml:"subscriptions,omitempty" json:"subscriptions,omitempty"`
	RoleAssignments []RoleAssignmentSeed `yaml:"roleAssignments,omitempty" json:"roleAssignments,omitempty"`
}

// armSeed is the contract's internal name for ARMSeed.
type armSeed = ARMSeed

// SubscriptionSeed declares a subscription; Tenant is the owning tenant's id or domain.
type SubscriptionSeed struct {
	ID             string              `yaml:"id" json:"id"`
	Tenant         string              `yaml:"tenant" json:"tenant"`
	DisplayName    string              `yaml:"displayName,omitempty" json:"displayName,omitempty"`
	ResourceGroups []ResourceGroupSeed `yaml:"resourceGroups,omitempty" json:"resourceGroups,omitempty"`
}

// ResourceGroupSeed declares a resource group and its galleries.
type ResourceGroupSeed struct {
	Name      string            `yaml:"name" json:"name"`
	Location  string            `yaml:"location" json:"location"`
	Tags      map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	Galleries []GallerySeed     `yaml:"galleries,omitempty" json:"galleries,omitempty"`
	// Vaults are Key Vaults (RBAC mode) whose secrets data plane the simulator serves.
	Vaults []VaultSeed `yaml:"vaults,omitempty" json:"vaults,omitempty"`
}

// GallerySeed declares a Compute gallery. Sharing is sharingProfile.permissions (Private — the default — Groups or
// Community); SharedWith pre-populates sharingProfile.groups for a Groups gallery.
type GallerySeed struct {
	Name        string             `yaml:"name" json:"name"`
	Location    string             `yaml:"location,omitempty" json:"location,omitempty"`
	Description string             `yaml:"description,omitempty" json:"description,omitempty"`
	Sharing     string             `yaml:"sharing,omitempty" json:"sharing,omitempty"`
	SharedWith  []SharingGroupSeed `yaml:"sharedWith,omitempty" json:"sharedWith,omitempty"`
	Images      []ImageSeed        `yaml:"images,omitempty" json:"images,omitempty"`
}

// SharingGroupSeed is one sharingProfile group: type Subscriptions or AADTenants.
type SharingGroupSeed struct {
	Type string   `yaml:"type" json:"type"`
	IDs  []string `yaml:"ids" json:"ids"`
}

// ImageSeed declares an image definition (defaults: Linux, Generalized, V2).
type ImageSeed struct {
	Name             string              `yaml:"name" json:"name"`
	OSType           string              `yaml:"osType,omitempty" json:"osType,omitempty"`
	OSState          string              `yaml:"osState,omitempty" json:"osState,omitempty"`
	HyperVGeneration string              `yaml:"hyperVGeneration,omitempty" json:"hyperVGeneration,omitempty"`
	Architecture     string              `yaml:"architecture,omitempty" json:"architecture,omitempty"`
	Identifier       ImageIdentifierSeed `yaml:"identifier,omitempty" json:"identifier,omitempty"`
	Versions         []VersionSeed       `yaml:"versions,omitempty" json:"versions,omitempty"`
}

// ImageIdentifierSeed is an image definition's publisher/offer/sku.
type ImageIdentifierSeed struct {
	Publisher string `yaml:"publisher,omitempty" json:"publisher,omitempty"`
	Offer     string `yaml:"offer,omitempty" json:"offer,omitempty"`
	SKU       string `yaml:"sku,omitempty" json:"sku,omitempty"`
}

// VersionSeed declares an image version. Replication is completed (default), progressing (reaches Completed
// ReplicationTime after the world is seeded, region by region) or failed (FailedRegions fail, by default the last
// region). Regions default to the gallery's location.
type VersionSeed struct {
	Name              string        `yaml:"name" json:"name"`
	Regions           []string      `yaml:"regions,omitempty" json:"regions,omitempty"`
	Replication       string        `yaml:"replication,omitempty" json:"replication,omitempty"`
	ReplicationTime   time.Duration `yaml:"replicationTime,omitempty" json:"replicationTime,omitempty"`
	FailedRegions     []string      `yaml:"failedRegions,omitempty" json:"failedRegions,omitempty"`
	ExcludeFromLatest bool          `yaml:"excludeFromLatest,omitempty" json:"excludeFromLatest,omitempty"`
}

// RoleAssignmentSeed declares a role assignment present when the world starts. Role is a built-in role name or
// GUID; Name is optional (a deterministic GUID is derived from scope, principal and role).
type RoleAssignmentSeed struct {
	Name      string        `yaml:"name,omitempty" json:"name,omitempty"`
	Scope     string        `yaml:"scope" json:"scope"`
	Role      string        `yaml:"role" json:"role"`
	Principal PrincipalSeed `yaml:"principal" json:"principal"`
}

// PrincipalSeed names a principal: an operator (by name) or a user (by UPN) of a tenant. Tenant defaults to the
// tenant owning the assignment's scope.
type PrincipalSeed struct {
	Tenant   string `yaml:"tenant,omitempty" json:"tenant,omitempty"`
	Operator string `yaml:"operator,omitempty" json:"operator,omitempty"`
	User     string `yaml:"user,omitempty" json:"user,omitempty"`
}

// applyARMSeed loads the ARM part of a seed into the world, after the directory is seeded (principals must resolve).
// It upserts, so applying the same seed twice is harmless; existing versions keep their replication clock.
// Callers hold s.mu.
func (s *Server) applyARMSeed(seed armSeed) error {
	a := s.arm()
	now := s.now()
	for _, ss := range seed.Subscriptions {
		if _, err := uuid.Parse(ss.ID); err != nil {
			return fmt.Errorf("seed subscription %q: id must be a GUID", ss.ID)
		}
		t := s.w.Directory.tenant(ss.Tenant)
		if t == nil {
			return fmt.Errorf("seed subscription %s: unknown tenant %q", ss.ID, ss.Tenant)
		}
		sub := a.subscription(ss.ID)
		if sub == nil {
			sub = &armSubscription{ID: strings.ToLower(ss.ID), ResourceGroups: map[string]*resourceGroup{}}
			a.Subscriptions[sub.ID] = sub
		}
		sub.Tenant, sub.DisplayName = t.ID, ss.DisplayName
		if sub.DisplayName == "" {
			sub.DisplayName = "Subscription " + sub.ID[:8]
		}
		for _, rs := range ss.ResourceGroups {
			if err := seedResourceGroup(sub, rs, now); err != nil {
				return fmt.Errorf("seed subscription %s: %w", ss.ID, err)
			}
			for _, vs := range rs.Vaults {
				if err := s.seedVault(sub, rs.Name, rs.Location, vs); err != nil {
					return fmt.Errorf("seed subscription %s: resource group %s: %w", ss.ID, rs.Name, err)
				}
			}
		}
	}
	s.fillReplicationTimes()
	for i, rs := range seed.RoleAssignments {
		if err := s.seedRoleAssignment(rs, now); err != nil {
			return fmt.Errorf("seed roleAssignments[%d]: %w", i, err)
		}
	}
	return nil
}

func seedResourceGroup(sub *armSubscription, rs ResourceGroupSeed, now time.Time) error {
	if rs.Name == "" || rs.Location == "" {
		return fmt.Errorf("resource group %q: name and location are required", rs.Name)
	}
	rg := sub.group(rs.Name)
	if rg == nil {
		rg = &resourceGroup{Name: rs.Name, Galleries: map[string]*gallery{}}
		sub.ResourceGroups[strings.ToLower(rs.Name)] = rg
	}
	rg.Location, rg.Tags = normRegion(rs.Location), rs.Tags
	for _, gs := range rs.Galleries {
		if err := seedGallery(sub, rg, gs, now); err != nil {
			return fmt.Errorf("resource group %s: %w", rs.Name, err)
		}
	}
	return nil
}

func seedGallery(sub *armSubscription, rg *resourceGroup, gs GallerySeed, now time.Time) error {
	perm := "Private"
	if gs.Sharing != "" {
		perm = canonicalPermission(gs.Sharing)
		if perm == "" {
			return fmt.Errorf("gallery %s: sharing must be Private, Groups or Community, not %q", gs.Name, gs.Sharing)
		}
	}
	g := rg.gallery(gs.Name)
	if g == nil {
		g = &gallery{Name: gs.Name, UniqueName: galleryUniqueName(sub.ID, gs.Name), Images: map[string]*galleryImage{}, CreatedAt: now}
		rg.Galleries[strings.ToLower(gs.Name)] = g
	}
	g.Location, g.Description, g.Permissions = normRegion(gs.Location), gs.Description, perm
	if g.Location == "" {
		g.Location = rg.Location
	}
	g.Groups = nil
	if len(gs.SharedWith) > 0 {
		if perm != "Groups" {
			return fmt.Errorf("gallery %s: sharedWith needs sharing: Groups", gs.Name)
		}
		u := sharingUpdate{OperationType: "Add"}
		for _, sg := range gs.SharedWith {
			u.Groups = append(u.Groups, sharingGroup(sg))
		}
		if e := validateSharingUpdate(g, &u); e != nil {
			return fmt.Errorf("gallery %s: sharedWith: %s", gs.Name, e.Message)
		}
		g.Groups = applySharing(nil, u)
	}
	for _, is := range gs.Images {
		if err := seedImage(g, is, now); err != nil {
			return fmt.Errorf("gallery %s: %w", gs.Name, err)
		}
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func seedImage(g *gallery, is ImageSeed, now time.Time) error {
	if is.Name == "" {
		return fmt.Errorf("an image needs a name")
	}
	im := g.image(is.Name)
	if im == nil {
		im = &galleryImage{Name: is.Name, Versions: map[string]*imageVersion{}}
		g.Images[strings.ToLower(is.Name)] = im
	}
	im.Location = g.Location
	im.OSType, im.OSState = orDefault(is.OSType, "Linux"), orDefault(is.OSState, "Generalized")
	im.HyperVGeneration, im.Architecture = orDefault(is.HyperVGeneration, "V2"), orDefault(is.Architecture, "x64")
	im.Publisher = orDefault(is.Identifier.Publisher, "galshare")
	im.Offer = orDefault(is.Identifier.Offer, is.Name)
	im.SKU = orDefault(is.Identifier.SKU, "default")
	for _, vs := range is.Versions {
		if err := seedVersion(g, im, vs, now); err != nil {
			return fmt.Errorf("image %s: %w", is.Name, err)
		}
	}
	return nil
}

func seedVersion(g *gallery, im *galleryImage, vs VersionSeed, now time.Time) error {
	if vs.Name == "" {
		return fmt.Errorf("a version needs a name")
	}
	repl := strings.ToLower(orDefault(vs.Replication, replicationCompleted))
	switch repl {
	case replicationCompleted, replicationProgressing, replicationFailed:
	default:
		return fmt.Errorf("version %s: replication must be completed, progressing or failed, not %q", vs.Name, vs.Replication)
	}
	regions := []string{}
	for _, r := range vs.Regions {
		regions = append(regions, normRegion(r))
	}
	if len(regions) == 0 {
		regions = []string{g.Location}
	}
	failed := []string{}
	for _, r := range vs.FailedRegions {
		failed = append(failed, normRegion(r))
	}
	v := im.version(vs.Name)
	if v == nil {
		v = &imageVersion{Name: vs.Name, StartedAt: now, PublishedDate: now}
		im.Versions[strings.ToLower(vs.Name)] = v
	}
	v.Location, v.Regions, v.ReplicaCount = g.Location, regions, 1
	v.Replication, v.ReplicationTime, v.FailedRegions = repl, vs.ReplicationTime, failed
	v.ExcludeLatest = vs.ExcludeFromLatest
	return nil
}

// seedRoleAssignment adds one seeded assignment, skipping it when the same principal+role+scope already exists.
func (s *Server) seedRoleAssignment(rs RoleAssignmentSeed, now time.Time) error {
	a := s.arm()
	role, ok := resolveRole(rs.Role)
	if !ok {
		return fmt.Errorf("unknown built-in role %q", rs.Role)
	}
	subID := scopeSubscription(rs.Scope)
	sub := a.subscription(subID)
	if sub == nil {
		return fmt.Errorf("scope %s: unknown subscription %q", rs.Scope, subID)
	}
	inner := parseARMPath(rs.Scope)
	if inner.RG != "" && sub.group(inner.RG) == nil {
		return fmt.Errorf("scope %s: unknown resource group %q", rs.Scope, inner.RG)
	}
	if inner.Gallery != "" && sub.group(inner.RG).gallery(inner.Gallery) == nil {
		return fmt.Errorf("scope %s: unknown gallery %q", rs.Scope, inner.Gallery)
	}
	if vid, ok := vaultScopeID(rs.Scope); ok && s.vaultByScope(vid) == nil {
		return fmt.Errorf("scope %s: unknown vault (declare it under the resource group's vaults)", rs.Scope)
	}
	ref := principalRef{Tenant: orDefault(rs.Principal.Tenant, sub.Tenant), Operator: rs.Principal.Operator, User: rs.Principal.User}
	tenantID, oid, err := s.resolvePrincipalRef(ref)
	if err != nil {
		return err
	}
	if !strings.EqualFold(tenantID, sub.Tenant) {
		return fmt.Errorf("scope %s belongs to tenant %s, but the principal is in tenant %s", rs.Scope, sub.Tenant, tenantID)
	}
	scope := "/" + strings.Trim(rs.Scope, "/")
	for _, ra := range a.assignmentsAt(scope) {
		if strings.EqualFold(ra.PrincipalID, oid) && ra.RoleDefinitionGUID == role.ID {
			return nil
		}
	}
	name := strings.ToLower(rs.Name)
	if name == "" {
		name = seededID("roleAssignment", normScope(scope), oid, role.ID)
	} else if _, err := uuid.Parse(name); err != nil {
		return fmt.Errorf("name %q is not a GUID", rs.Name)
	}
	a.putAssignment(name, &roleAssignment{
		Name: name, Scope: scope, RoleDefinitionGUID: role.ID, PrincipalID: strings.ToLower(oid),
		PrincipalType: s.principalType(tenantID, oid), Tenant: sub.Tenant, CreatedOn: now, UpdatedOn: now,
	})
	return nil
}

// defaultVersionReplicationTime is the seed's settings.replicationTime, or defaultReplicationTime.
func (s *Server) defaultVersionReplicationTime() time.Duration {
	if s.replicationTime > 0 {
		return s.replicationTime
	}
	return defaultReplicationTime
}

// fillReplicationTimes gives versions seeded without a replicationTime the world default. Callers hold s.mu.
func (s *Server) fillReplicationTimes() {
	def := s.defaultVersionReplicationTime()
	for _, sub := range s.arm().Subscriptions {
		for _, rg := range sub.ResourceGroups {
			for _, g := range rg.Galleries {
				for _, im := range g.Images {
					for _, v := range im.Versions {
						if v.ReplicationTime <= 0 {
							v.ReplicationTime = def
						}
					}
				}
			}
		}
	}
}
