// Package azsim is a faithful local simulator of the slice of Microsoft Entra ID, Microsoft Graph v1.0 and Azure
// Resource Manager that galshare uses, served over one HTTPS listener with a CA it generates.
//
// It exists so that galshare's tests, demo and benchmarks can run the exact code path that talks to Azure
// (azidentity, the ARM SDK modules and a Graph client on the azcore pipeline) against something that answers with
// the real status codes, error envelopes and headers — never a mock inside the code under test.
//
// There is no API-compatibility promise for importers outside galshare.
//
// # Running it
//
// In-process: Start(ctx, Options{SeedFile: "examples/sim/quickstart.yaml"}) returns a *Sim with URL, CACertPEM,
// HTTPClient (trusts the CA), Cloud / ClientOptions (azcore configuration: authority at the host root, ARM with the
// public cloud audience), Credentials (the seeded operators) and Close. Standalone: `galshare sim serve --dir DIR
// [--seed FILE] [--addr A] [--faults SPEC] [--lag D]` writes DIR/cloud.json (see CloudFile). SDK clients need
// DisableInstanceDiscovery on azidentity credentials and DisableRPRegistration on ARM clients.
//
// # Files
//
// The package owns: TLS and the CA (tls.go), routing (server.go), identity — OIDC discovery, signing keys, the token
// endpoint and ES256 JWTs (identity.go, tokens.go) — the consent page (consent.go), the Entra directory and Graph
// (directory.go, graph*.go), fault injection (faults.go), statistics (stats.go), admin endpoints (admin.go), seeds
// (seed.go), persistence (persist.go), the cloud file (cloudfile.go) and inspection helpers (inspect.go). The ARM
// half lives in arm*.go, rbac*.go, roledefs*.go, gallery*.go and lro*.go. The Key Vault secrets data plane of the
// vaults a seed declares (keyvault*.go) is routed by host, NAME.vault.azsim.localhost: challenge authentication,
// RBAC data actions (Key Vault Secrets Officer / User), versions, exp, soft delete.
//
// # Seed files
//
// A YAML seed initialises an empty persistence directory (an existing world.json always wins):
//
//	settings: {lag: 0s, replicationTime: 3s}
//	tenants:
//	  - id: <guid>, domain: contoso.onmicrosoft.com, displayName: Contoso
//	    users:     [{upn, password, displayName, directoryRoles: [Global Administrator]}]
//	    operators: [{name, clientId, clientSecret, graphPermissions: [Application.ReadWrite.All]}]
//	subscriptions:   [...]   # ARM: resource groups, galleries, images, versions, vaults (see ARMSeed)
//	roleAssignments: [...]   # ARM: scope, role, principal {tenant, operator | user}
//
// An operator is a single-tenant app homed in its tenant with a service principal, the given secret and the Graph
// application permissions (app roles) that become its token's roles claim: Application.Read.All,
// Application.ReadWrite.OwnedBy (create apps and manage only those it owns), Application.ReadWrite.All,
// Directory.Read.All. Seeded object ids are derived from the seed, so a seed always yields the same ids.
//
// # Identity
//
// Tokens: POST /{tenant}/oauth2/v2.0/token with client_credentials and a client secret or a client assertion. The
// tenant segment is a GUID or domain, case-insensitive. Failures carry the real AADSTS codes: 90002 unknown tenant,
// 700016 no (replicated) service principal for the app in that tenant, 7000215 wrong (or not yet replicated)
// secret, 7000222 expired secret, 500011 unknown resource. Client assertions are accepted when they match a
// federated identity credential of the app (issuer, subject, audience) and were issued by this simulator — e.g. an
// operator's token for api://AzureADTokenExchange/.default stands in for a managed identity token; FICs naming
// outside issuers (GitHub, real Entra) match but fail signature validation (AADSTS700027), because the simulator
// cannot verify them offline.
//
// Consent: GET /{tenant}/oauth2/authorize?client_id=…&response_type=code&redirect_uri=… (and /{tenant}/adminconsent)
// serve a form; posting a seeded user's UPN and password with action=accept creates the app's service principal
// when the user holds Global, Application, Cloud Application or Privileged Role Administrator, then redirects to the
// redirect URI with code=… (or admin_consent=True&tenant=…); action=cancel redirects with error=access_denied.
//
// # Eventual consistency
//
// Options.Lag (or settings.lag, --lag, or lag= in the fault spec) delays when new applications, service principals,
// secrets and federated credentials become visible: until then Graph reads and dependent writes answer 404
// Request_ResourceNotFound, service principal creation 400 Request_BadRequest with detail NoBackingApplicationObject,
// sign-in AADSTS700016 or AADSTS7000215, and ARM cannot resolve the principal (PrincipalNotFound). Key-based upserts
// (PATCH …(uniqueName='…') with Prefer: create-if-missing) see the object at once, as key uniqueness is enforced at
// write time.
//
// # Faults, statistics and admin endpoints
//
// Faults (FaultProfile, ParseFaults) are drawn from a seeded generator: latency (+jitter), 429 with Retry-After in
// whole seconds plus retry-after-ms with the exact delay (azcore prefers the latter, so SDK retries stay fast;
// 50ms by default), 500/503 in the envelope of the service hit, and dropped connections (TCP reset), globally or per
// route label ("PUT roleAssignments", "POST token", "GET application", …). Stats count requests per route label,
// in total and writes (non-GET Graph/ARM requests; token requests and the $batch envelope excluded, $batch inner
// requests counted as "$batch/<label>"). The loopback-only admin endpoints /_sim/health, /_sim/faults (GET, PUT
// {"spec":"…"}), /_sim/stats (GET, DELETE resets) and /_sim/world (secrets removed) need no token.
//
// # Persistence
//
// With Options.Dir, the world is written to DIR/world.json (temp file, fsync, rename, fsync dir) shortly after each
// change and on Close; the CA (ca.pem, ca-key.pem) and the token signing key (signing-key.pem) persist too, so
// clients keep trusting a restarted simulator and earlier tokens stay valid. Secrets added through Graph are stored
// only as SHA-256 hashes; seeded operator secrets and user passwords are kept in clear (mode 0600) because the
// simulator must hand them out in cloud.json and check the consent form.
package azsim
