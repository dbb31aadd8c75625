// Package azsim is a faithful local simulator of the slice of Microsoft Entra ID, Microsoft Graph v1.0 and Azure
// Resource Manager that galshare uses, served over one HTTPS listener with a CA it generates.
//
// It exists so that galshare's tests, demo and benchmarks can run the exact code path that talks to Azure (azidentity,
// the ARM SDK modules and a Graph client on the azcore pipeline) against something that answers with the real status
// codes, error envelopes and headers — never a mock inside the code under test.
//
// The package owns: TLS and the generated CA (tls.go), routing (server.go), identity — OIDC discovery, the token
// endpoint and signed JWTs (identity.go, tokens.go) — the interactive consent page (consent.go), the Entra directory
// and Graph v1.0 (directory.go, graph*.go), eventual-consistency lag, fault injection (faults.go), call statistics
// (stats.go), the admin endpoints (admin.go), the YAML seed (seed.go), JSON persistence (persist.go) and ARM
// (arm*.go, rbac*.go, roledefs*.go, gallery*.go, lro*.go).
//
// There is no API-compatibility promise for importers outside galshare.
package azsim
