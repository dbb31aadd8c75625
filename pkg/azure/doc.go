// Package azure is the only part of galshare that talks to Azure.
//
// It owns the cloud configuration (public cloud by default, or a JSON cloud file
// such as the one `galshare sim serve` writes), per-tenant credentials through
// azidentity, one ARM client set per tenant built on the official SDK modules, a
// small Microsoft Graph client on the azcore pipeline, and the classification of
// Azure errors into a few kinds the planner and executor branch on.
//
// Callers see narrow per-tenant interfaces (Directory for Graph, Resources for
// ARM) obtained from a Connector, plain value types for the objects galshare
// manages (Application, ServicePrincipal, RoleAssignment, Gallery, ImageVersion)
// and *Error values that render as one clear line naming tenant, object, call and
// fix. Secret values only ever travel as Secret, which redacts itself everywhere.
//
// This package is internal to galshare: there is no API-compatibility promise for
// outside importers.
package azure
