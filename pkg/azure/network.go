package azure

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Unreachable endpoints. A stopped simulator, a wrong host name or a proxy
// that blocks the endpoint used to be retried like a server failure — azcore's
// retries, then the executor's for five minutes — and, when it happened in a
// token request, reported as "authentication failed … check the credentials".
// Now the guarded transport (guard.go) recognises the failures that say the
// endpoint cannot be reached at all and wraps them in a *networkError naming
// the endpoint (scheme://host:port, never a path or query). The pipelines
// retry them briefly (retryGate: unreachableRetries, timeoutRetries) and
// Classify reports them as KindNetwork, which the executor does not retry.
// MSAL keeps only the text of a transport error, so the wording
// "cannot reach ENDPOINT (CAUSE)" is also what Classify finds in a token
// failure's message.
//
// A reset or a closed connection after the server was reached stays
// KindTransient: that is a blip of a live server, and retrying it is right.

const (
	// DefaultRequestTimeout bounds one HTTP request (one attempt: connect,
	// headers and body) when Options.RequestTimeout is 0. Every call galshare
	// makes is answered in well under a second by a healthy Azure; long
	// operations are polled with short requests. It stays under MSAL's own
	// fixed 30 s deadline for a token request, so that galshare's timeout is
	// the one that fires and names the endpoint.
	DefaultRequestTimeout = 20 * time.Second
	// unreachableRetries bounds the retries of one request after connection
	// refused, DNS, routing or TLS failures: with azcore's backoff (0.8 s,
	// 2.4 s) a dead endpoint fails in about three seconds.
	unreachableRetries = 2
	// timeoutRetries bounds the retries of one request after it got no answer
	// within the request timeout: none, as a hung endpoint rarely recovers in
	// seconds and each try costs a whole request timeout.
	timeoutRetries = 0
)

// networkError is a request that could not reach its endpoint.
type networkError struct {
	// Endpoint is scheme://host[:port] of the request.
	Endpoint string
	// Cause is a short reason: "connection refused", "no such host", …
	Cause string
	// Timeout is set when the endpoint did not answer in time.
	Timeout bool
	// TLS is set for a TLS handshake or certificate failure.
	TLS bool
	err error
}

func (e *networkError) Error() string { return "cannot reach " + e.Endpoint + " (" + e.Cause + ")" }
func (e *networkError) Unwrap() error { return e.err }

// asNetworkError wraps err, a transport error of a request to u, when it says
// the endpoint cannot be reached; otherwise it returns nil. timeout is the
// request timeout (for the message).
func asNetworkError(u *url.URL, err error, timeout time.Duration) *networkError {
	var ne *networkError
	if errors.As(err, &ne) {
		return ne
	}
	cause, isTimeout, isTLS := unreachableCause(err, timeout)
	if cause == "" {
		return nil
	}
	return &networkError{Endpoint: hostOf(u), Cause: cause, Timeout: isTimeout, TLS: isTLS, err: err}
}

// unreachableCause names why err says an endpoint cannot be reached, or
// returns "" when it does not.
func unreachableCause(err error, timeout time.Duration) (cause string, isTimeout, isTLS bool) {
	s := strings.ToLower(err.Error())
	var dns *net.DNSError
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.Is(err, context.Canceled):
		return "", false, false
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(s, "connection refused"):
		return "connection refused", false, false
	case errors.As(err, &dns) || strings.Contains(s, "no such host"):
		return "no such host", false, false
	case errors.Is(err, syscall.ENETUNREACH) || strings.Contains(s, "network is unreachable"):
		return "network is unreachable", false, false
	case errors.Is(err, syscall.EHOSTUNREACH) || strings.Contains(s, "no route to host"):
		return "no route to host", false, false
	case isTLSTrustError(err) || strings.Contains(s, "x509: "):
		return "TLS certificate not trusted", false, true
	case errors.As(err, &rec) || errors.As(err, &alert) || strings.Contains(s, "tls: "):
		return "TLS handshake failed", false, true
	case strings.Contains(s, "client.timeout exceeded") || strings.Contains(s, "i/o timeout"):
		if timeout > 0 {
			return "no answer within " + timeout.String(), true, false
		}
		return "no answer", true, false
	}
	return "", false, false
}

// reCannotReach finds a networkError's text inside a longer message (MSAL's).
var reCannotReach = regexp.MustCompile(`cannot reach (https?://[^\s"/()]+) \(([^)]+)\)`)

// reURL finds a URL in a transport error's text (url.Error quotes it).
var reURL = regexp.MustCompile(`https?://[^\s"/]+`)

// networkFromText recognises an unreachable endpoint in err's text: the form
// asNetworkError produces, or a raw Go transport error (azidentity and MSAL
// pass on only the text).
func networkFromText(err error) *networkError {
	s := err.Error()
	if m := reCannotReach.FindStringSubmatch(s); m != nil {
		c := strings.ToLower(m[2])
		return &networkError{Endpoint: m[1], Cause: m[2], Timeout: strings.HasPrefix(c, "no answer"),
			TLS: strings.HasPrefix(c, "tls"), err: err}
	}
	cause, isTimeout, isTLS := unreachableCause(err, 0)
	if cause == "" {
		return nil
	}
	ne := &networkError{Cause: cause, Timeout: isTimeout, TLS: isTLS, err: err}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			ne.Endpoint = hostOf(u)
		}
	}
	if ne.Endpoint == "" {
		ne.Endpoint = reURL.FindString(s)
	}
	if ne.Endpoint == "" {
		ne.Endpoint = "the endpoint"
	}
	return ne
}

// networkOf returns the unreachable-endpoint failure err is or names, or nil.
func networkOf(err error) *networkError {
	var ne *networkError
	if errors.As(err, &ne) {
		return ne
	}
	return networkFromText(err)
}

// classifyNetwork fills e for an unreachable endpoint.
func classifyNetwork(e *Error, ne *networkError) {
	e.Kind = KindNetwork
	e.StatusCode, e.Code = 0, ""
	e.Message = ne.Error() + ": this is the network, not the credentials"
	switch {
	case ne.TLS && strings.Contains(ne.Cause, "not trusted"):
		e.Fix = tlsFix
	case ne.TLS:
		e.Fix = "the endpoint does not speak TLS as expected; check the endpoints in the cloud configuration (--cloud) and any proxy in between"
	case ne.Timeout:
		e.Fix = "the endpoint accepted the connection but did not answer; check its health, or raise --request-timeout"
	default:
		e.Fix = "check that the endpoint is up and reachable from here (DNS, firewall, proxy) and the endpoints of the cloud configuration (--cloud); for the simulator, that `galshare sim serve` is still running"
	}
}

// unreachableOrigins remembers, per connector, the endpoints a call has just
// given up on as unreachable. azidentity lets one token request per
// credential run at a time, so without it every read queued behind a dead
// authority paid the full short retry again, one after the other (a plan of
// a dozen reads took 25 s against a stopped simulator, 5 min against a hung
// one). A later call to an endpoint that refused connections is still tried
// once — it may be back, and finding out costs milliseconds — but not
// retried; a call to an endpoint that did not answer in time fails at once,
// without a request, for hungFor after that (finding out costs a whole
// request timeout). Any answer from the endpoint forgets it.
type unreachableOrigins struct {
	mu   sync.Mutex
	down map[string]downEntry
	any  atomic.Bool
	now  func() time.Time
}

// downEntry is one endpoint given up on: the failure and when.
type downEntry struct {
	err *networkError
	at  time.Time
}

// hungFor is how long calls to an endpoint that did not answer in time fail
// without a request.
const hungFor = time.Minute

func newUnreachableOrigins() *unreachableOrigins {
	return &unreachableOrigins{down: map[string]downEntry{}, now: time.Now}
}

// mark records the endpoint of ne as unreachable.
func (u *unreachableOrigins) mark(ne *networkError) {
	if u == nil {
		return
	}
	u.mu.Lock()
	u.down[ne.Endpoint] = downEntry{err: ne, at: u.now()}
	u.any.Store(true)
	u.mu.Unlock()
}

// isDown reports whether endpoint was given up on and has not answered since.
func (u *unreachableOrigins) isDown(endpoint string) bool {
	if u == nil || !u.any.Load() {
		return false
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.down[endpoint]
	return ok
}

// hung returns the failure of an endpoint that did not answer in time less
// than hungFor ago, or nil: a request to it is not sent.
func (u *unreachableOrigins) hung(endpoint string) *networkError {
	if u == nil || !u.any.Load() {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	d, ok := u.down[endpoint]
	if !ok || !d.err.Timeout || u.now().Sub(d.at) >= hungFor {
		return nil
	}
	return d.err
}

// answered forgets the endpoint of a request that got an answer.
func (u *unreachableOrigins) answered(endpoint string) {
	if u == nil || !u.any.Load() {
		return
	}
	u.mu.Lock()
	delete(u.down, endpoint)
	u.any.Store(len(u.down) > 0)
	u.mu.Unlock()
}

// waitedFor completes a deadline error whose text names no endpoint (a call
// queued behind another's token request gets only the context's error): a
// failure to get a token waited for authority, anything else for api. Both
// are origins of the cloud configuration (see Environment.origins).
func waitedFor(e *Error, authority, api string) *Error {
	if e == nil || e.Kind != KindTransient || e.Message != "timed out" {
		return e
	}
	var af *azidentity.AuthenticationFailedError
	ep := api
	if errors.As(e.Err, &af) || strings.Contains(e.Err.Error(), "Credential") || ep == "" {
		ep = authority
	}
	if ep != "" {
		e.Message = "timed out waiting for " + ep
	}
	return e
}

// originOf is scheme://host[:port] of a configured endpoint URL, or "".
func originOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return ""
	}
	return hostOf(u)
}
