package spec

// Diagnostic codes. They are stable: scripts match on them in
// `galshare validate --json` output, and the README lists them.
const (
	CodeFile            = "file"               // cannot read the file (missing, a directory, too big)
	CodeEncoding        = "encoding"           // not UTF-8, or UTF-16
	CodeEmpty           = "empty"              // no YAML content at all
	CodeSyntax          = "syntax"             // YAML syntax error
	CodeTabs            = "tabs"               // tab used for indentation
	CodeMultipleDocs    = "multiple-documents" // more than one YAML document
	CodeDuplicateKey    = "duplicate-key"      // a mapping key written twice
	CodeAlias           = "alias"              // alias/merge-key misuse or alias bomb
	CodeTag             = "tag"                // unsupported YAML tag
	CodeTooDeep         = "too-deep"           // nesting past MaxDepth
	CodeUnknownKey      = "unknown-key"        // key not in the schema
	CodeRequired        = "required"           // required key missing
	CodeType            = "type"               // wrong YAML/JSON type
	CodeSchema          = "schema"             // other JSON Schema failure
	CodeSecret          = "secret-in-manifest" // something that is or holds a secret value
	CodeVersion         = "version"            // unsupported manifest version
	CodeName            = "name"               // malformed or reserved name
	CodeTenant          = "tenant"             // malformed tenant ID
	CodeARMID           = "arm-id"             // malformed ARM ID or wrong resource type
	CodeRole            = "role"               // unknown role
	CodeDuplicate       = "duplicate"          // duplicate consumer, tenant, gallery, grant, image version
	CodePublisherTenant = "publisher-tenant"   // a consumer is the publisher tenant
	CodeSubscription    = "subscription"       // a subscription used in two tenants
	CodeDuration        = "duration"           // malformed or inconsistent duration
	CodeDelivery        = "delivery"           // invalid deliverTo
	CodeStateURL        = "state-url"          // state.url is not a blob URL
	CodeRedirectURI     = "redirect-uri"       // invalid redirect URI
	CodeSignInAudience  = "sign-in-audience"   // not a multi-tenant audience
	CodeAccess          = "access"             // access is not managed|manual
	CodeImageVersion    = "image-version"      // malformed image name or version
	CodeLength          = "length"             // string too short or too long
	CodeAppID           = "app-id"             // malformed publisher.app.adopt.appId
	CodeNoGrants        = "no-grants"          // warning: consumer without grants
	CodeLongLifetime    = "long-lifetime"      // warning: lifetime above 2 years
	CodeBroadGrant      = "broad-grant"        // warning: role-assignment rights at subscription scope
)
