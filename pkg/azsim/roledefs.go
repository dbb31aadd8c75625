package azsim

import "strings"

// Built-in role definition GUIDs. They are the same in every tenant, which is why manifests may name a role by GUID.
const (
	roleReader                    = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	roleContributor               = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	roleOwner                     = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	roleUserAccessAdministrator   = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	roleRBACAdministrator         = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	roleComputeGallerySharingAdmn = "1ef6a3be-d0ac-425d-8c01-acb62866290b"
	roleComputeGalleryImageReader = "cf7c76d2-98a3-4358-a134-615aa78bf44d"
	roleVirtualMachineContributor = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
	roleKeyVaultAdministrator     = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
	roleKeyVaultSecretsOfficer    = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
	roleKeyVaultSecretsUser       = "4633458b-17de-408a-b874-0445c86b69e6"
)

// roleDefinition is one built-in role as ARM describes it (roleType BuiltInRole, assignable at "/").
type roleDefinition struct {
	ID             string
	Name           string
	Description    string
	Actions        []string
	NotActions     []string
	DataActions    []string
	NotDataActions []string
	// DeniedAssignableRoles lists role GUIDs this role may not assign, modelling the ABAC condition Microsoft puts on
	// Role Based Access Control Administrator (it may not hand out Owner, User Access Administrator or itself).
	DeniedAssignableRoles []string
}

// builtinRoles is the constant table of the roles galshare's scenarios use, with their real actions and notActions.
var builtinRoles = []roleDefinition{
	{
		ID: roleReader, Name: "Reader",
		Description: "View all resources, but does not allow you to make any changes.",
		Actions:     []string{"*/read"},
	},
	{
		ID: roleContributor, Name: "Contributor",
		Description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, " +
			"manage assignments in Azure Blueprints, or share image galleries.",
		Actions: []string{"*"},
		NotActions: []string{
			"Microsoft.Authorization/*/Delete",
			"Microsoft.Authorization/*/Write",
			"Microsoft.Authorization/elevateAccess/Action",
			"Microsoft.Blueprint/blueprintAssignments/write",
			"Microsoft.Blueprint/blueprintAssignments/delete",
			"Microsoft.Compute/galleries/share/action",
			"Microsoft.Purview/consents/write",
			"Microsoft.Purview/consents/delete",
			"Microsoft.Resources/deploymentStacks/manageDenySetting/action",
			"Microsoft.Subscription/cancel/action",
			"Microsoft.Subscription/enable/action",
		},
	},
	{
		ID: roleOwner, Name: "Owner",
		Description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
		Actions:     []string{"*"},
	},
	{
		ID: roleUserAccessAdministrator, Name: "User Access Administrator",
		Description: "Lets you manage user access to Azure resources.",
		Actions:     []string{"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"},
	},
	{
		ID: roleRBACAdministrator, Name: "Role Based Access Control Administrator",
		Description: "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you " +
			"to manage access using other ways, such as Azure Policy.",
		Actions: []string{
			"Microsoft.Authorization/roleAssignments/write",
			"Microsoft.Authorization/roleAssignments/delete",
			"*/read",
			"Microsoft.Support/*",
		},
		DeniedAssignableRoles: []string{roleOwner, roleUserAccessAdministrator, roleRBACAdministrator},
	},
	{
		ID: roleComputeGallerySharingAdmn, Name: "Compute Gallery Sharing Admin",
		Description: "This role allows user to share gallery to another subscription/tenant or share it to the public.",
		Actions:     []string{"Microsoft.Compute/galleries/share/action"},
	},
	{
		ID: roleComputeGalleryImageReader, Name: "Compute Gallery Image Reader",
		Description: "This is the role for reading gallery images.",
		Actions: []string{
			"Microsoft.Compute/galleries/images/read",
			"Microsoft.Compute/galleries/images/versions/read",
		},
	},
	{
		ID: roleVirtualMachineContributor, Name: "Virtual Machine Contributor",
		Description: "Create and manage virtual machines, manage disks, install and run software, reset password of the " +
			"root user of the virtual machine using VM extensions, and manage local user accounts using VM extensions. " +
			"This role does not grant you management access to the virtual network or storage account the virtual " +
			"machines are connected to. This role does not allow you to assign roles in Azure RBAC.",
		Actions: []string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Compute/availabilitySets/*",
			"Microsoft.Compute/locations/*",
			"Microsoft.Compute/virtualMachines/*",
			"Microsoft.Compute/virtualMachineScaleSets/*",
			"Microsoft.Compute/cloudServices/*",
			"Microsoft.Compute/disks/write",
			"Microsoft.Compute/disks/read",
			"Microsoft.Compute/disks/delete",
			"Microsoft.DevTestLab/schedules/*",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Network/applicationGateways/backendAddressPools/join/action",
			"Microsoft.Network/loadBalancers/backendAddressPools/join/action",
			"Microsoft.Network/loadBalancers/inboundNatPools/join/action",
			"Microsoft.Network/loadBalancers/inboundNatRules/join/action",
			"Microsoft.Network/loadBalancers/probes/join/action",
			"Microsoft.Network/loadBalancers/read",
			"Microsoft.Network/locations/*",
			"Microsoft.Network/networkInterfaces/*",
			"Microsoft.Network/networkSecurityGroups/join/action",
			"Microsoft.Network/networkSecurityGroups/read",
			"Microsoft.Network/publicIPAddresses/join/action",
			"Microsoft.Network/publicIPAddresses/read",
			"Microsoft.Network/virtualNetworks/read",
			"Microsoft.Network/virtualNetworks/subnets/join/action",
			"Microsoft.RecoveryServices/locations/*",
			"Microsoft.RecoveryServices/Vaults/read",
			"Microsoft.RecoveryServices/Vaults/usages/read",
			"Microsoft.ResourceHealth/availabilityStatuses/read",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.SqlVirtualMachine/*",
			"Microsoft.Storage/storageAccounts/listKeys/action",
			"Microsoft.Storage/storageAccounts/read",
			"Microsoft.Support/*",
		},
	},
	{
		ID: roleKeyVaultAdministrator, Name: "Key Vault Administrator",
		Description: "Perform all data plane operations on a key vault and all objects in it, including certificates, " +
			"keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key " +
			"vaults that use the 'Azure role-based access control' permission model.",
		Actions: []string{
			"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
			"Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
			"Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read",
		},
		DataActions: []string{"Microsoft.KeyVault/vaults/*"},
	},
	{
		ID: roleKeyVaultSecretsOfficer, Name: "Key Vault Secrets Officer",
		Description: "Perform any action on the secrets of a key vault, except manage permissions. Only works for key " +
			"vaults that use the 'Azure role-based access control' permission model.",
		Actions: []string{
			"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
			"Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
			"Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read",
		},
		DataActions: []string{"Microsoft.KeyVault/vaults/secrets/*"},
	},
	{
		ID: roleKeyVaultSecretsUser, Name: "Key Vault Secrets User",
		Description: "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' " +
			"permission model.",
		DataActions: []string{
			"Microsoft.KeyVault/vaults/secrets/getSecret/action",
			"Microsoft.KeyVault/vaults/secrets/readMetadata/action",
		},
	},
}

// roleByID finds a built-in role by GUID (case-insensitive).
func roleByID(id string) (*roleDefinition, bool) {
	for i := range builtinRoles {
		if strings.EqualFold(builtinRoles[i].ID, id) {
			return &builtinRoles[i], true
		}
	}
	return nil, false
}

// roleByName finds a built-in role by its display name (case-insensitive, as ARM's roleName filter is).
func roleByName(name string) (*roleDefinition, bool) {
	for i := range builtinRoles {
		if strings.EqualFold(builtinRoles[i].Name, name) {
			return &builtinRoles[i], true
		}
	}
	return nil, false
}

// resolveRole accepts a role name, a GUID or a full role definition id and returns the built-in role.
func resolveRole(ref string) (*roleDefinition, bool) {
	if r, ok := roleByName(ref); ok {
		return r, true
	}
	return roleByID(ref[strings.LastIndex(ref, "/")+1:])
}
