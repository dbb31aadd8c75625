package azsim

import (
	"strings"
	"time"
)

// armWorld is the Azure Resource Manager side of the world: subscriptions with their resource groups and Compute
// galleries, role assignments, and the pending long-running operations. Maps are keyed by lower-case names/IDs
// (ARM is case-insensitive) while the objects keep the spelling they were created with. Everything is exported
// for JSON persistence.
type armWorld struct {
	Subscriptions   map[string]*armSubscription `json:"subscriptions"`
	RoleAssignments map[string]*roleAssignment  `json:"roleAssignments"` // by lower-case assignment name (GUID)
	Operations      map[string]*armOperation    `json:"operations"`      // by operation id

	index *assignmentIndex // derived from RoleAssignments, not persisted; see assignments()
}

// armSubscription is one subscription; it belongs to exactly one tenant.
type armSubscription struct {
	ID             string                    `json:"id"` // the subscription GUID
	Tenant         string                    `json:"tenantId"`
	DisplayName    string                    `json:"displayName"`
	ResourceGroups map[string]*resourceGroup `json:"resourceGroups"`
}

// resourceGroup is a resource group and the galleries in it.
type resourceGroup struct {
	Name      string              `json:"name"`
	Location  string              `json:"location"`
	Tags      map[string]string   `json:"tags,omitempty"`
	Galleries map[string]*gallery `json:"galleries"`
}

// gallery is an Azure Compute Gallery.
type gallery struct {
	Name        string `json:"name"`
	Location    string `json:"location"`
	Description string `json:"description,omitempty"`
	UniqueName  string `json:"uniqueName"`
	// Permissions is sharingProfile.permissions: Private, Groups or Community. Sharing to groups needs Groups; a
	// Reset makes the gallery Private again.
	Permissions string                   `json:"permissions"`
	Groups      []sharingGroup           `json:"groups,omitempty"`
	Images      map[string]*galleryImage `json:"images"`
	CreatedAt   time.Time                `json:"createdAt"`
}

// sharingGroup is one entry of sharingProfile.groups.
type sharingGroup struct {
	Type string   `json:"type"` // Subscriptions or AADTenants
	IDs  []string `json:"ids"`
}

// galleryImage is an image definition.
type galleryImage struct {
	Name             string                   `json:"name"`
	Location         string                   `json:"location"`
	OSType           string                   `json:"osType"`
	OSState          string                   `json:"osState"`
	HyperVGeneration string                   `json:"hyperVGeneration"`
	Architecture     string                   `json:"architecture,omitempty"`
	Publisher        string                   `json:"publisher"`
	Offer            string                   `json:"offer"`
	SKU              string                   `json:"sku"`
	Versions         map[string]*imageVersion `json:"versions"`
}

// imageVersion is an image version with its replication model: it replicates to its target regions over
// ReplicationTime starting at StartedAt (by the server clock). Replication is "completed", "progressing" or
// "failed"; a failed version fails in FailedRegions (the last target region when empty).
type imageVersion struct {
	Name            string        `json:"name"`
	Location        string        `json:"location"`
	Regions         []string      `json:"regions"` // normalised region names, e.g. eastus
	ReplicaCount    int           `json:"replicaCount"`
	Replication     string        `json:"replication"`
	ReplicationTime time.Duration `json:"replicationTime"`
	StartedAt       time.Time     `json:"startedAt"`
	FailedRegions   []string      `json:"failedRegions,omitempty"`
	PublishedDate   time.Time     `json:"publishedDate"`
	EndOfLifeDate   *time.Time    `json:"endOfLifeDate,omitempty"`
	ExcludeLatest   bool          `json:"excludeFromLatest,omitempty"`
}

// roleAssignment is an Azure RBAC role assignment. Tenant is the tenant of the scope's subscription, so an object
// id is interpreted in the right directory.
type roleAssignment struct {
	Name               string    `json:"name"`
	Scope              string    `json:"scope"`
	RoleDefinitionGUID string    `json:"roleDefinitionGuid"`
	PrincipalID        string    `json:"principalId"`
	PrincipalType      string    `json:"principalType"`
	Tenant             string    `json:"tenantId"`
	Description        string    `json:"description,omitempty"`
	Condition          string    `json:"condition,omitempty"`
	ConditionVersion   string    `json:"conditionVersion,omitempty"`
	CreatedOn          time.Time `json:"createdOn"`
	UpdatedOn          time.Time `json:"updatedOn"`
	CreatedBy          string    `json:"createdBy,omitempty"`
	UpdatedBy          string    `json:"updatedBy,omitempty"`
}

// newARMWorld returns an empty ARM world.
func newARMWorld() *armWorld {
	return &armWorld{
		Subscriptions:   map[string]*armSubscription{},
		RoleAssignments: map[string]*roleAssignment{},
		Operations:      map[string]*armOperation{},
	}
}

// ensure fills nil maps, e.g. after loading an older or hand-written world file.
func (a *armWorld) ensure() {
	if a.Subscriptions == nil {
		a.Subscriptions = map[string]*armSubscription{}
	}
	if a.RoleAssignments == nil {
		a.RoleAssignments = map[string]*roleAssignment{}
	}
	if a.Operations == nil {
		a.Operations = map[string]*armOperation{}
	}
}

// arm returns the ARM world, creating it on first use. Callers hold s.mu.
func (s *Server) arm() *armWorld {
	if s.w.ARM == nil {
		s.w.ARM = newARMWorld()
	}
	s.w.ARM.ensure()
	return s.w.ARM
}

func (a *armWorld) subscription(id string) *armSubscription {
	return a.Subscriptions[strings.ToLower(id)]
}

func (sub *armSubscription) group(name string) *resourceGroup {
	return sub.ResourceGroups[strings.ToLower(name)]
}

func (rg *resourceGroup) gallery(name string) *gallery {
	return rg.Galleries[strings.ToLower(name)]
}

func (g *gallery) image(name string) *galleryImage {
	return g.Images[strings.ToLower(name)]
}

func (im *galleryImage) version(name string) *imageVersion {
	return im.Versions[strings.ToLower(name)]
}

// galleryUniqueName is how Azure names a gallery for direct sharing: "{subscriptionId}-{GALLERYNAME}".
func galleryUniqueName(subID, name string) string {
	return strings.ToLower(subID) + "-" + strings.ToUpper(name)
}

// galleryID builds a gallery's ARM id.
func galleryID(subID, rg, name string) string {
	return "/subscriptions/" + subID + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/galleries/" + name
}

// resourceGroupID builds a resource group's ARM id.
func resourceGroupID(subID, rg string) string {
	return "/subscriptions/" + subID + "/resourceGroups/" + rg
}
