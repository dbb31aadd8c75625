package azsim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Read-only snapshots of the ARM world and a few mutators, for tests and the chaos harness: they let a test check
// Azure-side truth (or arrange it) without going through the API under test.

// RoleAssignmentView is a snapshot of one role assignment.
type RoleAssignmentView struct {
	ID            string // full ARM id
	Name          string // GUID
	Scope         string
	RoleID        string // role definition GUID
	RoleName      string
	PrincipalID   string
	PrincipalType string
	Tenant        string
	CreatedOn     time.Time
}

// RoleAssignments returns every role assignment in the world, ordered by scope then name.
func (sim *Sim) RoleAssignments() []RoleAssignmentView {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.arm()
	out := make([]RoleAssignmentView, 0, len(a.RoleAssignments))
	for _, k := range sortedAssignmentKeys(a) {
		ra := a.RoleAssignments[k]
		v := RoleAssignmentView{
			ID: strings.TrimRight(ra.Scope, "/") + roleAssignmentsPath + ra.Name, Name: ra.Name, Scope: ra.Scope,
			RoleID: ra.RoleDefinitionGUID, PrincipalID: ra.PrincipalID, PrincipalType: ra.PrincipalType,
			Tenant: ra.Tenant, CreatedOn: ra.CreatedOn,
		}
		if r, ok := roleByID(ra.RoleDefinitionGUID); ok {
			v.RoleName = r.Name
		}
		out = append(out, v)
	}
	return out
}

// GrantRole adds a role assignment directly (no RBAC check, no lag), as an administrator outside galshare would.
// role is a built-in role name or GUID; principalID is an object id in the tenant owning scope. It returns the
// assignment name.
func (sim *Sim) GrantRole(scope, role, principalID string) (string, error) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := resolveRole(role)
	if !ok {
		return "", fmt.Errorf("grant role: unknown built-in role %q", role)
	}
	a := s.arm()
	sub := a.subscription(scopeSubscription(scope))
	if sub == nil {
		return "", fmt.Errorf("grant role: scope %s is not in a known subscription", scope)
	}
	name := uuid.NewString()
	now := s.now()
	a.putAssignment(name, &roleAssignment{
		Name: name, Scope: "/" + strings.Trim(scope, "/"), RoleDefinitionGUID: r.ID, PrincipalID: strings.ToLower(principalID),
		PrincipalType: s.principalType(sub.Tenant, principalID), Tenant: sub.Tenant, CreatedOn: now, UpdatedOn: now,
	})
	s.changed()
	return name, nil
}

// SharingGroupView is one sharingProfile group.
type SharingGroupView struct {
	Type string
	IDs  []string
}

// GalleryView is a snapshot of a gallery.
type GalleryView struct {
	ID          string
	Name        string
	Location    string
	UniqueName  string
	Permissions string
	Groups      []SharingGroupView
	Images      []string // image names
	// PendingShares counts share operations still in progress.
	PendingShares int
}

// lookupGallery finds a gallery by ARM id. Callers hold s.mu.
func (s *Server) lookupGallery(id string) (*armSubscription, *resourceGroup, *gallery, *galleryImage, *imageVersion) {
	rt := parseARMPath(id)
	sub := s.arm().subscription(rt.Sub)
	if sub == nil || rt.RG == "" {
		return nil, nil, nil, nil, nil
	}
	rg := sub.group(rt.RG)
	if rg == nil || rt.Gallery == "" {
		return sub, rg, nil, nil, nil
	}
	g := rg.gallery(rt.Gallery)
	if g == nil || rt.Image == "" {
		return sub, rg, g, nil, nil
	}
	im := g.image(rt.Image)
	if im == nil || rt.Version == "" {
		return sub, rg, g, im, nil
	}
	return sub, rg, g, im, im.version(rt.Version)
}

// Gallery returns a snapshot of the gallery with this ARM id.
func (sim *Sim) Gallery(id string) (GalleryView, bool) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, rg, g, _, _ := s.lookupGallery(id)
	if g == nil {
		return GalleryView{}, false
	}
	return s.galleryView(sub, rg, g), true
}

// Galleries returns snapshots of every gallery in the world, ordered by id.
func (sim *Sim) Galleries() []GalleryView {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []GalleryView
	for _, sub := range s.arm().Subscriptions {
		for _, rg := range sub.ResourceGroups {
			for _, g := range rg.Galleries {
				out = append(out, s.galleryView(sub, rg, g))
			}
		}
	}
	slices.SortFunc(out, func(a, b GalleryView) int { return strings.Compare(strings.ToLower(a.ID), strings.ToLower(b.ID)) })
	return out
}

// SubscriptionView is a snapshot of a subscription.
type SubscriptionView struct {
	ID, Tenant, DisplayName string
	ResourceGroups          []string
}

// Subscriptions returns every subscription in the world, ordered by id.
func (sim *Sim) Subscriptions() []SubscriptionView {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.arm()
	out := []SubscriptionView{}
	for _, k := range slices.Sorted(maps.Keys(a.Subscriptions)) {
		sub := a.Subscriptions[k]
		v := SubscriptionView{ID: sub.ID, Tenant: sub.Tenant, DisplayName: sub.DisplayName}
		for _, rk := range slices.Sorted(maps.Keys(sub.ResourceGroups)) {
			v.ResourceGroups = append(v.ResourceGroups, sub.ResourceGroups[rk].Name)
		}
		out = append(out, v)
	}
	return out
}

// galleryView snapshots a gallery. Callers hold s.mu.
func (s *Server) galleryView(sub *armSubscription, rg *resourceGroup, g *gallery) GalleryView {
	v := GalleryView{
		ID: galleryID(sub.ID, rg.Name, g.Name), Name: g.Name, Location: g.Location, UniqueName: g.UniqueName,
		Permissions: g.Permissions, Images: slices.Sorted(maps.Keys(g.Images)),
	}
	for _, grp := range g.Groups {
		v.Groups = append(v.Groups, SharingGroupView{Type: grp.Type, IDs: append([]string(nil), grp.IDs...)})
	}
	for _, op := range s.arm().Operations {
		if op.Status == opStatusInProgress && strings.EqualFold(op.Sub, sub.ID) && strings.EqualFold(op.Gallery, g.Name) {
			v.PendingShares++
		}
	}
	return v
}

// RegionReplicationView is one target region's replication state.
type RegionReplicationView struct {
	Region   string // ARM name, e.g. eastus
	State    string // Completed, Replicating, Failed
	Progress int
}

// ImageVersionView is a snapshot of an image version's state at the simulator clock.
type ImageVersionView struct {
	ID                string
	ProvisioningState string
	AggregatedState   string
	Regions           []RegionReplicationView
}

// ImageVersion returns the current state of the image version with this ARM id.
func (sim *Sim) ImageVersion(id string) (ImageVersionView, bool) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, rg, g, im, v := s.lookupGallery(id)
	if v == nil {
		return ImageVersionView{}, false
	}
	st := v.status(s.now())
	out := ImageVersionView{
		ID:                galleryID(sub.ID, rg.Name, g.Name) + "/images/" + im.Name + "/versions/" + v.Name,
		ProvisioningState: st.ProvisioningState, AggregatedState: st.AggregatedState,
	}
	for _, r := range st.Regions {
		out.Regions = append(out.Regions, RegionReplicationView{Region: r.Region, State: r.State, Progress: r.Progress})
	}
	return out, true
}

// SetVersionReplication restarts an image version's replication at the simulator clock: state is "completed",
// "progressing" or "failed", replicationTime (when > 0) replaces the version's duration, and failedRegions (for
// "failed") names the regions that fail (default: the last one).
func (sim *Sim) SetVersionReplication(id, state string, replicationTime time.Duration, failedRegions ...string) error {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, _, _, v := s.lookupGallery(id)
	if v == nil {
		return fmt.Errorf("set version replication: no image version %s", id)
	}
	state = strings.ToLower(state)
	switch state {
	case replicationCompleted, replicationProgressing, replicationFailed:
	default:
		return fmt.Errorf("set version replication: state must be completed, progressing or failed, not %q", state)
	}
	v.Replication, v.StartedAt = state, s.now()
	if replicationTime > 0 {
		v.ReplicationTime = replicationTime
	}
	v.FailedRegions = nil
	for _, r := range failedRegions {
		v.FailedRegions = append(v.FailedRegions, normRegion(r))
	}
	s.changed()
	return nil
}
