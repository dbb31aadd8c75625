package azsim

import "strings"

// regionDisplayNames maps ARM location names to the display names Compute returns in publishingProfile.targetRegions
// and replicationStatus.summary (galshare must normalise "East US" back to eastus when comparing).
var regionDisplayNames = map[string]string{
	"eastus":             "East US",
	"eastus2":            "East US 2",
	"westus":             "West US",
	"westus2":            "West US 2",
	"westus3":            "West US 3",
	"centralus":          "Central US",
	"northcentralus":     "North Central US",
	"southcentralus":     "South Central US",
	"westcentralus":      "West Central US",
	"canadacentral":      "Canada Central",
	"canadaeast":         "Canada East",
	"brazilsouth":        "Brazil South",
	"northeurope":        "North Europe",
	"westeurope":         "West Europe",
	"uksouth":            "UK South",
	"ukwest":             "UK West",
	"francecentral":      "France Central",
	"germanywestcentral": "Germany West Central",
	"norwayeast":         "Norway East",
	"swedencentral":      "Sweden Central",
	"switzerlandnorth":   "Switzerland North",
	"polandcentral":      "Poland Central",
	"italynorth":         "Italy North",
	"spaincentral":       "Spain Central",
	"australiaeast":      "Australia East",
	"australiasoutheast": "Australia Southeast",
	"southeastasia":      "Southeast Asia",
	"eastasia":           "East Asia",
	"japaneast":          "Japan East",
	"japanwest":          "Japan West",
	"koreacentral":       "Korea Central",
	"centralindia":       "Central India",
	"southindia":         "South India",
	"uaenorth":           "UAE North",
	"southafricanorth":   "South Africa North",
}

// normRegion turns a location in any spelling ("East US", "eastus", "EASTUS") into the ARM name ("eastus").
func normRegion(r string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(r), " ", ""))
}

// regionDisplayName returns the display name of a location, or the location itself when unknown.
func regionDisplayName(r string) string {
	if d, ok := regionDisplayNames[normRegion(r)]; ok {
		return d
	}
	return r
}
