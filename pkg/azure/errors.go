package azure

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is the class of an Azure failure that callers branch on: the planner turns
// KindPermissionDenied into a blocked action, the executor retries
// KindConsistencyLag, KindThrottled and KindTransient.
type Kind int

// The kinds of failure, from azure-api.md §1, §2, §3 and §5.
const (
	// KindUnknown is anything not classified below (including context cancellation).
	KindUnknown Kind = iota
	// KindNotFound is a 404 (or an empty result where one object was required).
	KindNotFound
	// KindConflict is a 409 (object exists under another name, uniqueness
	// violation) or a 400 RoleAssignmentUpdateNotPermitted.
	KindConflict
	// KindConsistencyLag is a known replication-lag answer: 400 PrincipalNotFound,
	// 400 NoBackingApplicationObject, 403 LinkedAuthorizationFailed.
	KindConsistencyLag
	// KindThrottled is a 429 that outlived the pipeline's retries.
	KindThrottled
	// KindPermissionDenied is a 403: the caller lacks an ARM action (MissingAction)
	// or a Graph permission.
	KindPermissionDenied
	// KindAuthFailed is a failure to get a token (AADSTS code in Code) or a 401.
	KindAuthFailed
	// KindTransient is a 408/5xx or a network failure that outlived the retries.
	KindTransient
	// KindInvalid is a request Azure rejected as wrong (400), which retrying cannot fix.
	KindInvalid
	// KindNetwork is an endpoint galshare cannot reach: connection refused,
	// DNS failure, no route, a TLS handshake or certificate failure, or no
	// answer within the request timeout. The pipelines retry it a few times
	// within seconds (network.go); the executor does not retry it, and it is
	// never an authentication failure, even when it happens inside a token
	// request.
	KindNetwork
)

var kindNames = [...]string{
	KindUnknown:          "unknown error",
	KindNotFound:         "not found",
	KindConflict:         "conflict",
	KindConsistencyLag:   "not replicated yet",
	KindThrottled:        "throttled",
	KindPermissionDenied: "permission denied",
	KindAuthFailed:       "authentication failed",
	KindTransient:        "transient failure",
	KindInvalid:          "invalid request",
	KindNetwork:          "network error",
}

// String returns the human name of the kind, used in error lines.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is every failure pkg/azure returns. It renders as one line naming tenant,
// object, call, what happened and what to do, and never carries a secret or a
// token: server text is redacted as it enters Message, and the rendering is
// redacted again with the values the connector knows (redact.go).
type Error struct {
	// Tenant the call was made in.
	Tenant string
	// Object is what the call was about: an address-like description or ARM id.
	Object string
	// Op names the call, e.g. "PUT roleAssignment" or "POST servicePrincipals".
	Op string
	// StatusCode is the HTTP status (0 when there was no response).
	StatusCode int
	// Code is Azure's error code (e.g. AuthorizationFailed, Request_ResourceNotFound)
	// or the AADSTS code of a token failure (e.g. AADSTS7000215).
	Code string
	// Kind classifies the failure.
	Kind Kind
	// MissingAction is the ARM action an AuthorizationFailed names, or the Graph
	// permission galshare needs, for KindPermissionDenied.
	MissingAction string
	// RetryAfter is the server's Retry-After for throttling (0 when absent).
	RetryAfter time.Duration
	// Message is Azure's message, shortened to one line.
	Message string
	// Fix tells the user what to do next.
	Fix string
	// Err is the underlying error (azcore.ResponseError, AuthenticationFailedError, …).
	Err error

	// redactor removes the connector's known credential values from the
	// rendering (nil: credential shapes only, see redact.go).
	redactor *Redactor
}

// Error renders the one-line form:
// "tenant T: OP OBJECT: KIND (HTTP 403 Code): message; fix: …", with
// credential values and shapes redacted (redact.go).
func (e *Error) Error() string {
	var b strings.Builder
	if e.Tenant != "" {
		fmt.Fprintf(&b, "tenant %s: ", e.Tenant)
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		if e.Object != "" {
			b.WriteString(" ")
		}
	}
	if e.Object != "" {
		b.WriteString(e.Object)
	}
	if e.Op != "" || e.Object != "" {
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	var detail []string
	if e.StatusCode != 0 {
		detail = append(detail, fmt.Sprintf("HTTP %d", e.StatusCode))
	}
	if e.Code != "" {
		detail = append(detail, e.Code)
	}
	if e.MissingAction != "" && !strings.Contains(e.Message, e.MissingAction) {
		detail = append(detail, "missing "+e.MissingAction)
	}
	if len(detail) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(detail, ", "))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Fix)
	}
	return e.redactor.Redact(oneLine(b.String()))
}

// Unwrap exposes the underlying error to errors.Is/As.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err: that of the first *Error in its chain, else the
// classification of err itself (so raw azcore/azidentity errors work too).
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Classify("", "", "", err).Kind
}

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return err != nil && KindOf(err) == KindNotFound }

// IsRetryable reports whether retrying the same call later can succeed without a
// human: consistency lag, throttling and transient failures. The executor retries
// these with backoff and a deadline; 404s on objects it just created are its own
// call (see MaybeLag).
func IsRetryable(err error) bool {
	switch KindOf(err) {
	case KindConsistencyLag, KindThrottled, KindTransient:
		return true
	}
	return false
}

// MaybeLag reports whether err may be Entra/ARM replication lag when the object
// involved was created moments ago: everything IsRetryable, a 404, and the token
// errors a fresh app, SP or secret gives (AADSTS700016, AADSTS7000215). Use it
// only right after a create; for objects not just created these are real errors.
func MaybeLag(err error) bool {
	if IsRetryable(err) || IsNotFound(err) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Code {
		case "AADSTS700016", "AADSTS7000215":
			return true
		}
	}
	return false
}

// RetryAfterOf returns the server-requested delay carried by err, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// oneLine collapses whitespace runs (including newlines) to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
