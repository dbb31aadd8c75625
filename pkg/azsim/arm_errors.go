package azsim

import (
	"fmt"
	"net/http"
	"strings"
)

// armError is an ARM error response: the status, the {"error":{"code","message","target"}} envelope (also sent as
// the x-ms-error-code header, which azcore prefers) and, for 401s, a WWW-Authenticate challenge.
type armError struct {
	Status  int
	Code    string
	Message string
	Target  string
	// Challenge is the WWW-Authenticate value for 401 answers.
	Challenge string
}

func (e *armError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// armErrorBody is the JSON shape of an ARM error.
type armErrorBody struct {
	Error armErrorDetail `json:"error"`
}

type armErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func newARMError(status int, code, format string, args ...any) *armError {
	return &armError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errAuthorizationFailed is ARM's 403 for a missing permission, naming the action and scope as Azure does.
func errAuthorizationFailed(objectID, action, scope string) *armError {
	return newARMError(http.StatusForbidden, "AuthorizationFailed",
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' "+
			"or the scope is invalid. If access was recently granted, please refresh your credentials.",
		objectID, objectID, action, scope)
}

// errConditionNotFulfilled is the 403 when a role's ABAC condition (RBAC Administrator's) forbids the assignment.
func errConditionNotFulfilled(objectID, action, scope string) *armError {
	return newARMError(http.StatusForbidden, "AuthorizationFailed",
		"The client '%s' with object id '%s' does not have authorization or an ABAC condition not fulfilled to "+
			"perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please "+
			"refresh your credentials.", objectID, objectID, action, scope)
}

func errSubscriptionNotFound(sub string) *armError {
	return newARMError(http.StatusNotFound, "SubscriptionNotFound", "The subscription '%s' could not be found.", sub)
}

func errResourceGroupNotFound(rg string) *armError {
	return newARMError(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '%s' could not be found.", rg)
}

// errResourceNotFound is ARM's generic 404 for a missing resource, e.g. typ "Microsoft.Compute/galleries/g".
func errResourceNotFound(typeAndName, rg string) *armError {
	return newARMError(http.StatusNotFound, "ResourceNotFound",
		"The Resource '%s' under resource group '%s' was not found. For more details please go to "+
			"https://aka.ms/ARMResourceNotFoundFix", typeAndName, rg)
}

func errInvalidResourceType(r *http.Request) *armError {
	return newARMError(http.StatusBadRequest, "InvalidResourceType",
		"The resource type could not be found for the path '%s'.", r.URL.Path)
}

// errUnauthenticated builds the 401 answers ARM gives for token problems, with the challenge azcore parses.
func errUnauthenticated(code, msg, authority string) *armError {
	return &armError{
		Status: http.StatusUnauthorized, Code: code, Message: msg,
		Challenge: fmt.Sprintf(`Bearer authorization_uri="%s", error="invalid_token", error_description="%s"`,
			authority, strings.ReplaceAll(msg, `"`, `'`)),
	}
}
