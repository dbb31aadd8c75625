package azure

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/hashicorp/go-hclog"
)

// Test constructors: one tenant's clients on pipelines of their own, built
// by the same code a Connector shares across tenants (shared.go).

func newGraphDirectory(tenant string, env Environment, cred azcore.TokenCredential, copts azcore.ClientOptions, log hclog.Logger) (*graphDirectory, error) {
	shared, err := newSharedPipelines(env, copts)
	if err != nil {
		return nil, err
	}
	return shared.directory(tenant, env, cred, log), nil
}

func newARMResources(tenant string, cred azcore.TokenCredential, copts azcore.ClientOptions, auxiliaryTenants []string) *armResources {
	shared, err := newSharedPipelines(PublicCloud(), copts)
	if err != nil {
		panic(err) // PublicCloud's Graph endpoint parses
	}
	return newARMResourcesShared(tenant, cred,
		&arm.ClientOptions{ClientOptions: copts, DisableRPRegistration: true, AuxiliaryTenants: auxiliaryTenants}, shared)
}
