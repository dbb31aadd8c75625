package executor

import "github.com/galshare/galshare/pkg/azure"

// retryableAzure is the classifier for calls on objects that existed before
// the call: only consistency lag, throttling and transient failures are
// worth repeating (azure.IsRetryable), honouring the server's Retry-After.
func retryableAzure(err error) Decision {
	return Decision{Retry: azure.IsRetryable(err), RetryAfter: azure.RetryAfterOf(err)}
}

// retryableAfterCreate is the classifier for calls on objects created moments
// ago (addPassword on a new app, a role assignment for a new service
// principal): Entra answers 404 or an AADSTS "unknown app" until it has
// replicated, so those are retried as well (azure.MaybeLag).
func retryableAfterCreate(err error) Decision {
	return Decision{Retry: azure.MaybeLag(err), RetryAfter: azure.RetryAfterOf(err)}
}
