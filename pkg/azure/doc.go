// Package azure is the only part of galshare that talks to Azure.
//
// It owns the cloud configuration, per-tenant credentials through azidentity,
// one ARM client set per tenant built on the official SDK modules, a small
// Microsoft Graph client on the azcore pipeline, and the classification of Azure
// errors into a few kinds the planner and executor branch on.
//
// Callers see narrow per-tenant interfaces (Directory for Graph, Resources for
// ARM) obtained from a Connector (or any Clients implementation, e.g. a test
// fake), plain value types for the objects galshare manages (Application,
// ServicePrincipal, RoleAssignment, Gallery, ImageVersion) and *Error values
// that render as one line naming tenant, object, call, what happened and the
// fix. Secret values only ever travel as Secret, which redacts itself in fmt,
// JSON, YAML, slog and hclog output; Reveal is the one way to the value.
//
// # Cloud
//
// The public cloud is the default. `--cloud FILE` (or GALSHARE_CLOUD) names a
// JSON file such as the one `galshare sim serve` writes:
//
//	{"version": 1, "name": "galshare-simulator",
//	 "authorityHost": "https://127.0.0.1:8443/",
//	 "resourceManager": {"endpoint": "https://127.0.0.1:8443", "audience": "https://management.core.windows.net/"},
//	 "graph": {"endpoint": "https://127.0.0.1:8443", "audience": "https://graph.microsoft.com"},
//	 "caCertificate": "-----BEGIN CERTIFICATE-----\n…",
//	 "credentials": {"<tenant id>": {"clientId": "…", "clientSecret": "…"}}}
//
// caCertificate (optional) is trusted in addition to the system roots by every
// pipeline, including azidentity/MSAL token requests. credentials (optional, the
// simulator's operators) sign in to those tenants. A sovereign-cloud file has the
// same shape without caCertificate and credentials. Every endpoint must be https.
// For an authority that is not a Microsoft public one, instance discovery is
// disabled (MSAL would otherwise call login.microsoftonline.com first).
//
// # Credentials
//
// For each tenant the first match wins:
//
//  1. the tenant's entry in the credentials file (`--credentials FILE` or
//     GALSHARE_CREDENTIALS; see CredentialsFile for the YAML/JSON shape: method
//     default, cli, secret via clientSecretEnv, certificate via certificateFile
//     [+ certificatePasswordEnv], federated via federatedTokenFile, or none);
//  2. environment variables GALSHARE_TENANT_<ID>_CLIENT_ID plus one of
//     _CLIENT_SECRET, _CERTIFICATE_FILE (+ _CERTIFICATE_PASSWORD) or
//     _FEDERATED_TOKEN_FILE, where <ID> is the tenant id in upper case without
//     dashes (GALSHARE_TENANT_11111111111111111111111111111111_CLIENT_ID);
//  3. the cloud file's credentials;
//  4. the credentials file's `default` entry;
//  5. on a public cloud, azidentity's DefaultAzureCredential for that tenant
//     (environment, workload identity, managed identity, Azure CLI, …).
//
// A tenant that matches nothing (possible only with a custom cloud, or method
// none) has no credentials: HasCredentials reports false. MissingCredentials
// tells the two apart: for method none it is nil (the planner shows blocked
// actions), otherwise an error naming the variables and the credentials-file
// entry to set (the planner refuses to plan the publisher or a managed
// consumer without credentials). Secrets are never read from a manifest, and a
// credentials file may only name the environment variable holding one.
//
// # Delivered secret
//
// The client secret apply creates is handed over in one JSON file
// (publisher.app.secret.deliverTo, mode 0600, replaced atomically):
// {"tenant", "clientId", "secret", "keyId", "endDateTime", "description",
// "deliveredAt", "managedBy", "_comment"}. DeliveredSecret is that document
// with the value as a Secret; WriteDeliveredSecret (apply) and
// ReadDeliveredSecret (plan's sign-in as the app for manual consumers, verify)
// are its only writer and reader for files. A keyvault: target stores the
// same document as a Key Vault secret version (keyvault.go, the official
// azsecrets client): the value is the secret, tags tenant/appId/keyId/
// managedBy/description and the exp attribute the rest; SecretVault's
// PutClientSecret and GetClientSecret are its writer and reader. The vault
// host must be under the cloud's Environment.KeyVaultDNSSuffix and its
// pipeline reaches that origin only.
//
// # Calls
//
// Every HTTP attempt is logged at debug level (method, host, path, status,
// duration, request id; never bodies or headers) and counted (Connector.Calls).
//
// # Retries
//
// azcore's retry policy retries 408, 429, 500, 502, 503, 504 and dropped
// connections, honouring Retry-After (and retry-after-ms). Its default of 3
// retries is too few for refresh, which has no retrier of its own: under
// throttling, one read that met four faults in a row failed the whole plan.
// So Graph and ARM calls follow galshare's rules (retry.go):
//
//   - 429 and 503 (the request was not processed; come back after
//     Retry-After) are retried up to DefaultMaxRetries (8) times, for any
//     method;
//   - 500, 502, 504, 408 and dropped connections, which leave the outcome of a
//     write unknown, keep azcore's 3 retries per call;
//   - no retry starts once DefaultRetryBudget (2 min) has passed since the call
//     began, or would pass while waiting for Retry-After, so a call returns
//     within the budget plus at most one backoff and one attempt;
//   - a single wait is capped at DefaultMaxRetryDelay (30 s): a longer
//     Retry-After is not waited for, the call fails at once as KindThrottled
//     carrying RetryAfter for the caller (the executor's retrier) to honour.
//
// Options.Retry and Options.RetryBudget change these numbers (tests shorten
// them). Token requests, which change nothing, get MaxRetries for every
// retryable failure, with azcore's (or, for managed identity, IMDS's) status
// list and no budget. Replication-lag retries belong to the executor
// (IsRetryable, MaybeLag).
//
// # Unreachable endpoints and deadlines
//
// Each HTTP request is bounded by Options.RequestTimeout (DefaultRequestTimeout,
// 20 s). An endpoint that cannot be reached — connection refused, DNS failure,
// no route, a TLS handshake or certificate failure, no answer in time — is
// KindNetwork, in every pipeline including the token requests: the message
// names the endpoint ("cannot reach https://host:port (connection refused):
// this is the network, not the credentials"), a request is retried at most
// twice after such a failure (never after a timeout or a TLS failure), and
// once a call has given up on an endpoint, later calls to it are not retried
// until it answers again; after a timeout they fail without a request for a
// minute. The executor does not retry KindNetwork
// (network.go). A dropped connection after the server was reached stays
// KindTransient. A call cut short by the caller's deadline (--timeout) is
// KindTransient "timed out waiting for ENDPOINT".
//
// # Redaction
//
// Server text (error envelopes, token-endpoint errors, transport errors) is
// redacted before it enters an *Error or a log line: the credential values the
// connector knows (operator secrets, certificate passwords, the app's secret,
// any secret addPassword returned), JWTs, Entra client-secret shapes and long
// opaque base64-like runs (redact.go). Options.Redactor shares the redactor
// with the CLI, which redacts its stderr with it too.
//
// # Hostile servers
//
// A server at a configured endpoint may be broken, compromised or a proxy in
// the way; it still must not obtain a credential or run galshare out of time
// or memory. Every pipeline a Connector builds (Graph, ARM and the
// azidentity/MSAL token requests) goes through one guarded transport
// (guard.go), below all azcore policies, so the checks see each attempt as it
// goes on the wire:
//
//   - Hosts: a request whose scheme+host+port is not the authority, ARM or
//     Graph endpoint of the cloud configuration is not sent (ErrForeignHost).
//     This covers a Graph or ARM nextLink elsewhere (the SDK pagers and the
//     bearer policy would attach the token to any host) and a discovery
//     document naming a token endpoint elsewhere (MSAL would post the client
//     secret there). As the endpoints must be https, credentials only travel
//     over TLS to them. Token requests may also reach the platform's
//     managed-identity endpoints (IMDS, Azure Arc, IDENTITY_ENDPOINT,
//     MSI_ENDPOINT, IMDS_ENDPOINT), which receive no galshare credential.
//     Regional authorities (AZURE_REGIONAL_AUTHORITY_NAME) are not allowed.
//   - Redirects: never followed (Environment.HTTPClient has CheckRedirect
//     off); a 3xx becomes ErrRedirect naming both hosts, because following a
//     307 from a token endpoint re-sends the client secret and a 302 from Graph
//     or ARM the bearer token.
//   - Body size: every response body is limited to MaxResponseBytes (16 MiB),
//     checked on Content-Length and while reading (ErrResponseTooLarge).
//   - Paging: Graph and ARM listings stop after MaxListPages (50) pages
//     (ErrTooManyPages).
//
// These errors reach callers as *Error of KindInvalid wrapping the sentinel
// (errors.Is works), are never retried, and name hosts only, never paths,
// queries, bodies or tokens. A token request refused this way surfaces as
// KindAuthFailed carrying the guard's message (MSAL keeps only its text).
// The guard also names unreachable endpoints (network.go).
// server_hostile_test.go runs each case against a hostile TLS server.
//
// This package is internal to galshare: there is no API-compatibility promise for
// outside importers.
package azure
