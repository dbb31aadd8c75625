package azure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// maxMessage bounds the Azure message kept in an Error so one line stays readable.
const maxMessage = 300

var (
	reMissingAction = regexp.MustCompile(`(?i)perform action '([^']+)'`)
	reDeniedScope   = regexp.MustCompile(`(?i)over scope '([^']+)'`)
	reAADSTS        = regexp.MustCompile(`AADSTS(\d+)`)
)

// Classify turns any error from a call into an *Error with a Kind, a short
// message and a fix. tenant, object and op say where it happened. An err that is
// already an *Error keeps its classification and gains missing context. nil
// gives nil.
func Classify(tenant, object, op string, err error) *Error {
	if err == nil {
		return nil
	}
	var existing *Error
	if errors.As(err, &existing) {
		e := *existing
		if e.Tenant == "" {
			e.Tenant = tenant
		}
		if e.Object == "" {
			e.Object = object
		}
		if e.Op == "" {
			e.Op = op
		}
		return &e
	}
	e := &Error{Tenant: tenant, Object: object, Op: op, Err: err}
	var re *azcore.ResponseError
	var af *azidentity.AuthenticationFailedError
	switch {
	case errors.As(err, &af):
		classifyAuth(e, af)
	case errors.As(err, &re):
		classifyResponse(e, re)
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message = KindUnknown, "cancelled"
	case isCredentialUnavailable(err):
		e.Kind = KindAuthFailed
		e.Message = shorten(err.Error())
		e.Fix = fmt.Sprintf("configure credentials for tenant %s (credentials file, GALSHARE_TENANT_* variables or `az login --tenant %s`)", tenant, tenant)
	case networkOf(err) != nil:
		classifyNetwork(e, networkOf(err))
	case errors.Is(err, context.DeadlineExceeded):
		classifyDeadline(e, err)
	case isNetworkError(err):
		e.Kind = KindTransient
		e.Message = shorten(err.Error())
		e.Fix = "check network access to the Azure endpoint and retry"
	default:
		if m := reAADSTS.FindStringSubmatch(err.Error()); m != nil {
			// MSAL errors without an HTTP response (e.g. authority discovery) still
			// carry the AADSTS code in their text.
			classifyAADSTS(e, m[1], err.Error())
			return e
		}
		e.Kind = KindUnknown
		e.Message = shorten(err.Error())
		if looksLikeNetwork(err.Error()) {
			e.Kind = KindTransient
			e.Fix = "check network access to the Azure endpoint and retry"
		}
	}
	return e
}

// azureErrorBody is the envelope shared by ARM and Graph.
type azureErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Target  string `json:"target"`
		} `json:"details"`
	} `json:"error"`
}

func classifyResponse(e *Error, re *azcore.ResponseError) {
	e.StatusCode = re.StatusCode
	e.Code = re.ErrorCode
	var body azureErrorBody
	var detailCodes []string
	if re.RawResponse != nil {
		if raw, err := runtime.Payload(re.RawResponse); err == nil && len(raw) > 0 {
			if json.Unmarshal(raw, &body) == nil {
				if e.Code == "" {
					e.Code = body.Error.Code
				}
				e.Message = shorten(body.Error.Message)
				for _, d := range body.Error.Details {
					detailCodes = append(detailCodes, d.Code)
				}
			}
		}
		e.RetryAfter = parseRetryAfter(re.RawResponse.Header)
	}
	msgLower := strings.ToLower(e.Message)
	switch {
	case e.Code == "PrincipalNotFound",
		e.Code == "LinkedAuthorizationFailed",
		containsFold(detailCodes, "NoBackingApplicationObject"),
		e.StatusCode == http.StatusBadRequest && strings.Contains(msgLower, "does not reference a valid application object"):
		e.Kind = KindConsistencyLag
		e.Fix = "Entra ID has not replicated the new object yet; retry in a minute"
	case e.StatusCode == http.StatusNotFound:
		e.Kind = KindNotFound
		e.Fix = notFoundFix(e)
	case e.StatusCode == http.StatusConflict, e.Code == "RoleAssignmentUpdateNotPermitted",
		e.Code == "Request_MultipleObjectsWithSameKeyValue":
		e.Kind = KindConflict
		e.Fix = "an object with the same key exists already; adopt it or remove the duplicate"
		if e.Code == "RoleAssignmentUpdateNotPermitted" {
			e.Fix = "a role assignment with this name exists for another principal or scope; delete it or remove it from state"
		}
	case e.StatusCode == http.StatusTooManyRequests:
		e.Kind = KindThrottled
		e.Fix = "Azure is throttling this identity; lower --parallelism or retry later"
		if e.RetryAfter > 0 {
			e.Fix = fmt.Sprintf("Azure asked to wait %s; lower --parallelism or retry later", e.RetryAfter)
		}
	case e.StatusCode == http.StatusForbidden:
		e.Kind = KindPermissionDenied
		scope := ""
		if m := reMissingAction.FindStringSubmatch(e.Message); m != nil {
			e.MissingAction = m[1]
			if s := reDeniedScope.FindStringSubmatch(e.Message); s != nil {
				scope = s[1]
			}
			// ARM's message restates action and scope at length; keep the facts.
			e.Message = "the identity galshare uses lacks " + e.MissingAction
			if scope != "" {
				e.Message += " over " + scope
			}
		}
		e.Fix = permissionFix(e, scope)
	case e.StatusCode == http.StatusUnauthorized:
		e.Kind = KindAuthFailed
		e.Fix = fmt.Sprintf("the token was rejected; check the credentials configured for tenant %s and that the identity belongs to that tenant", e.Tenant)
	case e.StatusCode == http.StatusRequestTimeout || e.StatusCode >= 500:
		e.Kind = KindTransient
		e.Fix = "Azure had a temporary failure; retry"
	case e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity:
		e.Kind = KindInvalid
		e.Fix = invalidFix(e)
	default:
		e.Kind = KindUnknown
	}
}

func notFoundFix(e *Error) string {
	switch e.Code {
	case "SubscriptionNotFound":
		return "check the subscription id and that it belongs to tenant " + e.Tenant
	case "ResourceGroupNotFound":
		return "create the resource group or fix the scope in the manifest"
	case "InvalidTenantId", "TenantNotFound":
		return "check the tenant id"
	}
	return "check the id in the manifest, or run plan again if the object was removed by hand"
}

func permissionFix(e *Error, scope string) string {
	where := "the scope"
	if scope != "" {
		where = scope
	}
	if e.MissingAction != "" {
		role := "a role that includes it"
		switch {
		case strings.HasPrefix(strings.ToLower(e.MissingAction), "microsoft.authorization/roleassignments/"):
			role = "Owner, User Access Administrator or Role Based Access Control Administrator"
		case strings.HasSuffix(strings.ToLower(e.MissingAction), "/share/action"):
			role = "Owner or Compute Gallery Sharing Admin (Contributor cannot share)"
		case strings.HasSuffix(strings.ToLower(e.MissingAction), "/read"):
			role = "Reader"
		}
		return fmt.Sprintf("grant it %s on %s in tenant %s, or mark the tenant access: manual", role, where, e.Tenant)
	}
	if strings.HasPrefix(e.Code, "Authorization_") || strings.Contains(strings.ToLower(e.Op), "application") ||
		strings.Contains(strings.ToLower(e.Op), "serviceprincipal") {
		e.MissingAction = "Application.ReadWrite.All"
		return fmt.Sprintf("grant the identity galshare uses in tenant %s the Microsoft Graph application permission Application.ReadWrite.All with admin consent, or mark the tenant access: manual", e.Tenant)
	}
	return fmt.Sprintf("grant the identity galshare uses in tenant %s the needed role on the scope", e.Tenant)
}

func invalidFix(e *Error) string {
	switch e.Code {
	case "InvalidAccessTokenVersion":
		return "AzureADandPersonalMicrosoftAccount needs api.requestedAccessTokenVersion 2"
	case "MissingSubscriptionRegistration":
		return "register the resource provider in the subscription (az provider register)"
	case "Directory_QuotaExceeded":
		return "the directory object quota is exhausted; purge deleted objects (/directory/deletedItems) or ask an admin"
	}
	return "the request was rejected as invalid; check the manifest values it came from"
}

// aadstsHelp maps the token error codes galshare meets to kind and fix.
var aadstsHelp = map[string]struct {
	kind Kind
	what string
	fix  string
}{
	"7000215": {KindAuthFailed, "invalid client secret", "check the client secret configured for this tenant (a secret created moments ago can take a minute to work)"},
	"7000222": {KindAuthFailed, "client secret expired", "create a new client secret and update the credentials configuration"},
	"700016":  {KindAuthFailed, "application not found in the tenant", "check the client id; the app needs a service principal (consent) in this tenant, and a new one can take a minute to replicate"},
	"90002":   {KindAuthFailed, "tenant not found", "check the tenant id in the manifest and the credentials configuration"},
	"900023":  {KindAuthFailed, "invalid tenant", "check the tenant id in the manifest and the credentials configuration"},
	"700027":  {KindAuthFailed, "client assertion rejected", "check the certificate or federated token configured for this tenant"},
	"70021":   {KindAuthFailed, "no matching federated identity credential", "add a federated identity credential matching the token's issuer and subject to the app"},
	"65001":   {KindAuthFailed, "consent missing", "an admin must consent to the app in this tenant"},
	"500011":  {KindAuthFailed, "resource principal not found", "the target API is not available in this tenant; check the cloud configuration"},
	"53003":   {KindAuthFailed, "blocked by conditional access", "ask the tenant admin to exempt the galshare identity from the conditional access policy"},
	// Service-side conditions, retried like their ARM and Graph counterparts
	// (Microsoft Entra error code reference): 90033 MsodsServiceUnavailable,
	// which the token endpoint also answers as HTTP 429 "a transient error has
	// occurred"; 90006 ExternalServerRetryableError; 90024
	// RequestBudgetExceededError; 90055 TenantThrottlingError; 50196
	// LoopDetected (too many identical requests in a short time: back off).
	"90033": {KindTransient, "Entra ID directory service temporarily unavailable", transientSignInFix},
	"90006": {KindTransient, "Entra ID temporarily unavailable", transientSignInFix},
	"90024": {KindThrottled, "Entra ID request budget exceeded", throttledSignInFix},
	"90055": {KindThrottled, "too many sign-in requests for this tenant", throttledSignInFix},
	"50196": {KindThrottled, "Entra ID detected a client request loop",
		"too many identical sign-ins in a short time: wait a few minutes, lower --parallelism and do not run several galshare processes with one identity at once"},
}

const (
	transientSignInFix = "a transient Entra ID failure; galshare retries it, and if it persists retry later"
	throttledSignInFix = "Entra ID is throttling sign-ins; lower --parallelism or retry later"
)

func classifyAuth(e *Error, af *azidentity.AuthenticationFailedError) {
	e.Kind = KindAuthFailed
	text := ""
	if af.RawResponse != nil {
		e.StatusCode = af.RawResponse.StatusCode
		if raw, err := runtime.Payload(af.RawResponse); err == nil {
			var tok struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
				Codes       []int  `json:"error_codes"`
			}
			if json.Unmarshal(raw, &tok) == nil {
				if len(tok.Codes) > 0 {
					text = "AADSTS" + strconv.Itoa(tok.Codes[0]) + ": " + tok.Description
				} else if tok.Description != "" || tok.Error != "" {
					text = tok.Error + ": " + tok.Description
				}
			}
		}
	}
	if af.RawResponse == nil {
		// A transport failure inside the token request: MSAL passed on its
		// text only. It is the network (or a deadline), not the credentials.
		if ne := networkFromText(af); ne != nil {
			classifyNetwork(e, ne)
			return
		}
		if strings.Contains(af.Error(), context.DeadlineExceeded.Error()) {
			classifyDeadline(e, af)
			return
		}
		// MSAL reached the authority but could not use its discovery
		// document (empty, not JSON, no endpoints): the endpoint is wrong or
		// broken, and no credential can fix that.
		if i := strings.Index(af.Error(), "unable to resolve an endpoint: "); i >= 0 {
			e.Kind = KindInvalid
			e.Message = shorten("the sign-in authority's discovery document is unusable: " +
				af.Error()[i+len("unable to resolve an endpoint: "):])
			e.Fix = "check authorityHost in the cloud configuration (--cloud) and that the endpoint is a working Entra ID authority"
			return
		}
	}
	if text == "" {
		text = af.Error()
		// Drop azidentity's troubleshooting link; keep the cause, which MSAL puts
		// on the following lines.
		if i := strings.Index(text, " To troubleshoot, visit"); i >= 0 {
			text = text[:i]
		}
	}
	if m := reAADSTS.FindStringSubmatch(text); m != nil {
		classifyAADSTS(e, m[1], text)
		classifyTokenStatus(e, af.RawResponse)
		return
	}
	e.Message = shorten(text)
	e.Fix = "check the credentials configured for tenant " + e.Tenant
	if af.RawResponse == nil && looksLikeNetwork(text) {
		e.Kind = KindTransient
		e.Fix = "cannot reach the sign-in authority; check network access and the cloud configuration (--cloud)"
	}
}

// classifyTokenStatus lets the token endpoint's HTTP status overrule an
// AADSTS code that says less: a 429 is throttling (with its Retry-After) and
// a 5xx a service failure, whatever code comes with them, so both are
// retried instead of reported as bad credentials.
func classifyTokenStatus(e *Error, resp *http.Response) {
	if resp == nil {
		return
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = KindThrottled, parseRetryAfter(resp.Header)
		if aadstsHelp[strings.TrimPrefix(e.Code, "AADSTS")].kind != KindThrottled {
			e.Fix = throttledSignInFix // keep a throttled code's own advice (50196)
		}
	case resp.StatusCode >= 500 && e.Kind == KindAuthFailed:
		e.Kind, e.Fix = KindTransient, transientSignInFix
	}
}

// looksLikeNetwork recognises transport failures MSAL reports as text only.
func looksLikeNetwork(s string) bool {
	s = strings.ToLower(s)
	for _, p := range []string{"dial tcp", "connection refused", "no such host", "i/o timeout", "connection reset",
		"tls: ", "unexpected eof", ": eof", "timeout awaiting", "network is unreachable"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func classifyAADSTS(e *Error, code, text string) {
	e.Kind = KindAuthFailed
	e.Code = "AADSTS" + code
	h, ok := aadstsHelp[code]
	if ok {
		e.Kind = h.kind
		e.Message = h.what
		e.Fix = h.fix
		return
	}
	// The description starts with "AADSTSnnnn: text"; keep that first sentence.
	msg := text
	if i := strings.Index(msg, e.Code); i >= 0 {
		msg = strings.TrimPrefix(msg[i+len(e.Code):], ":")
	}
	e.Message = shorten(firstLine(msg))
	e.Fix = "check the credentials configured for tenant " + e.Tenant
}

// classifyDeadline fills e for a call cut short by a deadline: the run's
// (--timeout) or MSAL's own per-request one. It names the endpoint the call
// was waiting for when the error says it.
func classifyDeadline(e *Error, err error) {
	e.Kind = KindTransient
	e.Message = "timed out"
	if ep := reURL.FindString(err.Error()); ep != "" {
		e.Message = "timed out waiting for " + ep
	}
	e.Fix = "the endpoint did not answer in time; check connectivity to it, or allow more time (--timeout)"
}

// parseRetryAfter reads the retry headers the way azcore does.
func parseRetryAfter(h http.Header) time.Duration {
	for _, k := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := h.Get(k); v != "" {
			if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

func isCredentialUnavailable(err error) bool {
	// azidentity marks "no credential here" errors with an unexported interface;
	// its messages are stable enough to recognise the chain's summary.
	var cu interface{ NonRetriable() }
	if errors.As(err, &cu) && strings.Contains(err.Error(), "unavailable") {
		return true
	}
	return strings.Contains(err.Error(), "DefaultAzureCredential: failed to acquire a token")
}

// tlsFix is the advice for a certificate galshare does not trust.
const tlsFix = "the endpoint's TLS certificate is not trusted; for the simulator or a private cloud use its cloud file (--cloud), which carries the CA"

func isTLSTrustError(err error) bool {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv)
}

func isNetworkError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// shorten makes s one line of at most maxMessage runes, credential shapes
// redacted first (a cut could leave a secret's prefix unrecognisable).
func shorten(s string) string {
	s = RedactShapes(oneLine(s))
	r := []rune(s)
	if len(r) > maxMessage {
		return string(r[:maxMessage-1]) + "…"
	}
	return s
}
