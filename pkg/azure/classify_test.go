package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// httpResp builds a response as a server would send it.
func httpResp(status int, body string, headers ...string) *http.Response {
	req, _ := http.NewRequest(http.MethodGet, "https://example.test/x", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h,
		Body: io.NopCloser(strings.NewReader(body)), Request: req}
}

func respErr(status int, body string, headers ...string) error {
	return runtime.NewResponseError(httpResp(status, body, headers...))
}

func authErr(status int, body string) error {
	return fmt.Errorf("getting token: %w", &azidentity.AuthenticationFailedError{RawResponse: httpResp(status, body)})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		kind       Kind
		code       string
		missing    string
		retryable  bool
		retryAfter time.Duration
		inLine     []string
	}{
		{
			name: "graph not found",
			err:  respErr(404, `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist or one of its queried reference-property objects are not present.","innerError":{"date":"2026-01-01T00:00:00","request-id":"r"}}}`),
			kind: KindNotFound, code: "Request_ResourceNotFound",
		},
		{
			name: "arm resource group not found (x-ms-error-code header wins)",
			err:  respErr(404, `{"error":{"code":"Other","message":"Resource group 'vm-rg' could not be found."}}`, "x-ms-error-code", "ResourceGroupNotFound"),
			kind: KindNotFound, code: "ResourceGroupNotFound", inLine: []string{"create the resource group"},
		},
		{
			name: "arm authorization failed names the action",
			err:  respErr(403, `{"error":{"code":"AuthorizationFailed","message":"The client 'aaa' with object id 'aaa' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '/subscriptions/s/resourceGroups/vm-rg/providers/Microsoft.Authorization/roleAssignments/n' or the scope is invalid. If access was recently granted, please refresh your credentials."}}`),
			kind: KindPermissionDenied, code: "AuthorizationFailed", missing: "Microsoft.Authorization/roleAssignments/write",
			inLine: []string{"User Access Administrator", "lacks Microsoft.Authorization/roleAssignments/write over /subscriptions/s/resourceGroups/vm-rg/providers"},
		},
		{
			name: "arm share needs sharing admin",
			err:  respErr(403, `{"error":{"code":"AuthorizationFailed","message":"The client 'a' with object id 'a' does not have authorization to perform action 'Microsoft.Compute/galleries/share/action' over scope '/x' or the scope is invalid."}}`),
			kind: KindPermissionDenied, missing: "Microsoft.Compute/galleries/share/action", inLine: []string{"Compute Gallery Sharing Admin"},
		},
		{
			name: "graph insufficient privileges",
			err:  respErr(403, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`),
			kind: KindPermissionDenied, code: "Authorization_RequestDenied", missing: "Application.ReadWrite.All",
		},
		{
			name: "linked authorization is lag",
			err:  respErr(403, `{"error":{"code":"LinkedAuthorizationFailed","message":"The client has permission to perform action 'x' on scope 'y', however the linked subscription 'z' was not found."}}`),
			kind: KindConsistencyLag, retryable: true,
		},
		{
			name: "principal not found is lag",
			err:  respErr(400, `{"error":{"code":"PrincipalNotFound","message":"Principal 0123 does not exist in the directory 2222."}}`),
			kind: KindConsistencyLag, code: "PrincipalNotFound", retryable: true,
		},
		{
			name: "SP create before app replicated is lag",
			err:  respErr(400, `{"error":{"code":"Request_BadRequest","message":"The appId 'abc' of the service principal does not reference a valid application object.","details":[{"code":"NoBackingApplicationObject","target":"appId"}]}}`),
			kind: KindConsistencyLag, code: "Request_BadRequest", retryable: true,
		},
		{
			name: "role assignment exists",
			err:  respErr(409, `{"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}}`),
			kind: KindConflict, code: "RoleAssignmentExists",
		},
		{
			name: "SP exists",
			err:  respErr(409, `{"error":{"code":"Request_MultipleObjectsWithSameKeyValue","message":"Another object with the same value for property servicePrincipalNames already exists."}}`),
			kind: KindConflict,
		},
		{
			name: "name reuse",
			err:  respErr(400, `{"error":{"code":"RoleAssignmentUpdateNotPermitted","message":"Tenant ID, application ID, principal ID, and scope are not allowed to be updated."}}`),
			kind: KindConflict, code: "RoleAssignmentUpdateNotPermitted",
		},
		{
			name: "throttled with retry-after",
			err:  respErr(429, `{"error":{"code":"TooManyRequests","message":"Too many requests."}}`, "Retry-After", "120"),
			kind: KindThrottled, retryable: true, retryAfter: 120 * time.Second, inLine: []string{"--parallelism", "2m0s"},
		},
		{
			name: "throttled with retry-after-ms",
			err:  respErr(429, `{"error":{"code":"TooManyRequests","message":"slow down"}}`, "retry-after-ms", "1500"),
			kind: KindThrottled, retryable: true, retryAfter: 1500 * time.Millisecond,
		},
		{
			name: "server error is transient",
			err:  respErr(503, `{"error":{"code":"ServiceUnavailable","message":"try later"}}`),
			kind: KindTransient, retryable: true,
		},
		{
			name: "non-JSON 502",
			err:  respErr(502, `<html>bad gateway</html>`),
			kind: KindTransient, retryable: true,
		},
		{
			name: "expired ARM token",
			err:  respErr(401, `{"error":{"code":"ExpiredAuthenticationToken","message":"The access token expiry UTC time is earlier than current UTC time."}}`),
			kind: KindAuthFailed, code: "ExpiredAuthenticationToken",
		},
		{
			name: "invalid access token version",
			err:  respErr(400, `{"error":{"code":"InvalidAccessTokenVersion","message":"Property api.requestedAccessTokenVersion is invalid."}}`),
			kind: KindInvalid, inLine: []string{"requestedAccessTokenVersion 2"},
		},
		{
			name: "bad client secret",
			err:  authErr(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.","error_codes":[7000215]}`),
			kind: KindAuthFailed, code: "AADSTS7000215", inLine: []string{"invalid client secret"},
		},
		{
			name: "unknown tenant",
			err:  authErr(400, `{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant '9999' not found.","error_codes":[90002]}`),
			kind: KindAuthFailed, code: "AADSTS90002", inLine: []string{"tenant not found", "check the tenant id"},
		},
		{
			name: "unmapped AADSTS keeps description",
			err:  authErr(400, `{"error":"invalid_request","error_description":"AADSTS12345: Something odd happened.","error_codes":[12345]}`),
			kind: KindAuthFailed, code: "AADSTS12345", inLine: []string{"Something odd happened"},
		},
		{
			name: "AADSTS90033 answered as 429 is throttling",
			err: fmt.Errorf("getting token: %w", &azidentity.AuthenticationFailedError{RawResponse: httpResp(429,
				`{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred. Please try again.","error_codes":[90033]}`,
				"Retry-After", "3")}),
			kind: KindThrottled, code: "AADSTS90033", retryable: true, retryAfter: 3 * time.Second, inLine: []string{"--parallelism"},
		},
		{
			name: "AADSTS90033 answered as 503 is transient",
			err:  authErr(503, `{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred. Please try again.","error_codes":[90033]}`),
			kind: KindTransient, code: "AADSTS90033", retryable: true, inLine: []string{"temporarily unavailable"},
		},
		{
			name: "AADSTS90033 in a plain MSAL error",
			err:  errors.New("reply status code was 400: {\"error_description\":\"AADSTS90033: The Microsoft Online Directory Service (MSODS) is not available.\"}"),
			kind: KindTransient, code: "AADSTS90033", retryable: true,
		},
		{
			name: "AADSTS50196 loop detected backs off",
			err:  authErr(400, `{"error":"invalid_request","error_description":"AADSTS50196: The server terminated an operation because it encountered a client request loop.","error_codes":[50196]}`),
			kind: KindThrottled, code: "AADSTS50196", retryable: true, inLine: []string{"request loop", "wait a few minutes"},
		},
		{
			name: "unmapped AADSTS on 429 is throttling",
			err:  authErr(429, `{"error":"invalid_request","error_description":"AADSTS12345: Something odd happened.","error_codes":[12345]}`),
			kind: KindThrottled, code: "AADSTS12345", retryable: true, inLine: []string{"Something odd happened", "--parallelism"},
		},
		{
			name: "unmapped AADSTS on 500 is transient",
			err:  authErr(500, `{"error":"server_error","error_description":"AADSTS12345: Something odd happened.","error_codes":[12345]}`),
			kind: KindTransient, code: "AADSTS12345", retryable: true,
		},
		{
			name: "AADSTS in a plain MSAL error",
			err:  errors.New("unable to resolve an endpoint: reply status code was 400: {\"error_description\":\"AADSTS90002: Tenant 'x' not found.\"}"),
			kind: KindAuthFailed, code: "AADSTS90002",
		},
		{
			name: "network error",
			// Issue 14.4: an endpoint that refuses connections is the network,
			// failed fast (the pipeline's short retries), not the executor's
			// minutes of transient retries.
			err:  fmt.Errorf("Get x: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
			kind: KindNetwork,
		},
		{name: "cancelled", err: context.Canceled, kind: KindUnknown},
		{name: "other", err: errors.New("boom"), kind: KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Classify("22222222-2222-2222-2222-222222222222", "role[x]", "PUT roleAssignment", tt.err)
			if e.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v (%s)", e.Kind, tt.kind, e)
			}
			if tt.code != "" && e.Code != tt.code {
				t.Errorf("Code = %q, want %q", e.Code, tt.code)
			}
			if e.MissingAction != tt.missing {
				t.Errorf("MissingAction = %q, want %q", e.MissingAction, tt.missing)
			}
			if got := IsRetryable(e); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
			if e.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.retryAfter)
			}
			line := e.Error()
			if strings.Contains(line, "\n") {
				t.Errorf("Error() spans lines: %q", line)
			}
			for _, want := range append([]string{"tenant 22222222-2222-2222-2222-222222222222", "PUT roleAssignment role[x]", tt.kind.String()}, tt.inLine...) {
				if !strings.Contains(line, want) {
					t.Errorf("Error() = %q, missing %q", line, want)
				}
			}
			if !errors.Is(e, tt.err) && tt.err != nil {
				t.Errorf("Unwrap does not reach the cause")
			}
			if KindOf(fmt.Errorf("wrapped: %w", e)) != tt.kind {
				t.Errorf("KindOf through wrapping lost the kind")
			}
		})
	}
}

func TestClassifyKeepsExistingAndNil(t *testing.T) {
	if Classify("t", "o", "op", nil) != nil {
		t.Fatal("Classify(nil) != nil")
	}
	inner := &Error{Kind: KindThrottled, Code: "X", RetryAfter: time.Second}
	e := Classify("t", "obj", "GET x", fmt.Errorf("ctx: %w", inner))
	if e.Kind != KindThrottled || e.Tenant != "t" || e.Object != "obj" || e.Op != "GET x" || e.RetryAfter != time.Second {
		t.Errorf("re-classification lost data: %+v", e)
	}
	if RetryAfterOf(fmt.Errorf("w: %w", e)) != time.Second {
		t.Error("RetryAfterOf")
	}
}

func TestMaybeLag(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{Classify("t", "", "", authErr(400, `{"error_codes":[700016],"error_description":"AADSTS700016: Application not found"}`)), true},
		{Classify("t", "", "", authErr(401, `{"error_codes":[7000215],"error_description":"AADSTS7000215: Invalid client secret"}`)), true},
		{Classify("t", "", "", authErr(400, `{"error_codes":[90002],"error_description":"AADSTS90002: Tenant not found"}`)), false},
		{Classify("t", "", "", respErr(404, `{"error":{"code":"Request_ResourceNotFound","message":"x"}}`)), true},
		{Classify("t", "", "", respErr(403, `{"error":{"code":"AuthorizationFailed","message":"x"}}`)), false},
	} {
		if got := MaybeLag(tt.err); got != tt.want {
			t.Errorf("MaybeLag(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestKindString(t *testing.T) {
	seen := map[string]bool{}
	for k := KindUnknown; k <= KindInvalid; k++ {
		s := k.String()
		if s == "" || seen[s] || strings.HasPrefix(s, "Kind(") {
			t.Errorf("Kind %d has bad or duplicate name %q", int(k), s)
		}
		seen[s] = true
	}
	if got := Kind(99).String(); got != "Kind(99)" {
		t.Errorf("out of range: %q", got)
	}
}

func TestClassifyUnreachableAuthority(t *testing.T) {
	env := PublicCloud()
	env.AuthorityHost, env.ARMEndpoint, env.GraphEndpoint = "https://127.0.0.1:1/", "https://127.0.0.1:1", "https://127.0.0.1:1"
	vars := map[string]string{envPrefix("t1") + "CLIENT_ID": "a", envPrefix("t1") + "CLIENT_SECRET": testSecretValue}
	c, err := NewConnector(Options{Env: env, Retry: policy.RetryOptions{MaxRetries: -1},
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	err = c.SignIn(t.Context(), "t1")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNetwork || IsRetryable(err) {
		t.Fatalf("err = %v (kind %v)", err, KindOf(err))
	}
	mustContain(t, "error", e.Error(), "tenant t1", "sign in", "cannot reach https://127.0.0.1:1 (connection refused)", "not the credentials", "--cloud")
	if strings.Contains(e.Error(), testSecretValue) || strings.Contains(e.Error(), "troubleshoot") {
		t.Errorf("error line: %s", e.Error())
	}
}
