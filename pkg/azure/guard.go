package azure

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Limits against a hostile or broken server. Real Graph and ARM answers to
// the calls galshare makes (a handful of objects per listing) are kilobytes;
// the bounds only stop a server from running galshare out of memory or time.
const (
	// MaxResponseBytes bounds every response body galshare reads (Graph, ARM
	// and token endpoints alike); a longer body fails with ErrResponseTooLarge.
	MaxResponseBytes = 16 << 20
	// MaxListPages bounds every paged listing (Graph @odata.nextLink and ARM
	// nextLink); a longer listing fails with ErrTooManyPages.
	MaxListPages = 50
)

// Sentinel errors for the hostile-server guards, so callers (and tests) can
// tell a refused answer from an Azure error with errors.Is. Each reaches the
// caller inside an *Error of KindInvalid: retrying cannot fix it.
var (
	// ErrForeignHost: a request (a nextLink, a token endpoint from a discovery
	// document, …) pointed at a scheme+host that is not one of the configured
	// endpoints; it was not sent, so no token or secret reached that host.
	ErrForeignHost = errors.New("request to a host outside the cloud configuration refused")
	// ErrRedirect: a server answered with a 3xx redirect. galshare never follows
	// one, because following re-sends the bearer token or client secret.
	ErrRedirect = errors.New("redirect refused")
	// ErrResponseTooLarge: a response body exceeded MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response body too large")
	// ErrTooManyPages: a listing went past MaxListPages.
	ErrTooManyPages = errors.New("too many pages")
)

// guardTransport is the transport under every pipeline a Connector builds
// (Graph, ARM and the azidentity/MSAL token pipelines). It sits below all
// azcore policies, so it sees each attempt exactly as it goes on the wire,
// after the bearer policy: it refuses any request whose scheme+host is not
// allowed, turns a 3xx answer into ErrRedirect (the client beneath has
// redirect-following off, see Environment.HTTPClient) and bounds response
// bodies. Its errors are non-retriable.
type guardTransport struct {
	next    *http.Client
	allowed map[string]bool // canonical origins, see origin
	// maxBody is the body limit (MaxResponseBytes; tests lower it).
	maxBody int64
	// down, when set, is the connector's memory of unreachable endpoints:
	// a request to one that just did not answer in time is not sent.
	down *unreachableOrigins
}

var _ policy.Transporter = (*guardTransport)(nil)

// newGuardTransport returns a guard over next that allows the origins of the
// given URLs (entries that do not parse as absolute URLs are skipped).
func newGuardTransport(next *http.Client, urls ...string) *guardTransport {
	g := &guardTransport{next: next, allowed: map[string]bool{}, maxBody: MaxResponseBytes}
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
			g.allowed[origin(u)] = true
		}
	}
	return g
}

// Do implements policy.Transporter.
func (g *guardTransport) Do(req *http.Request) (*http.Response, error) {
	if !g.allowed[origin(req.URL)] {
		return nil, guardFail(ErrForeignHost, "refused to send "+req.Method+" to another host, "+hostOf(req.URL)+
			", which is not one of the configured endpoints",
			"a server or discovery document pointed galshare elsewhere; only the authority, ARM and Graph endpoints of the cloud configuration are contacted")
	}
	if ne := g.down.hung(hostOf(req.URL)); ne != nil {
		return nil, nonRetriable{ne}
	}
	resp, err := g.next.Do(req)
	if err != nil {
		// An endpoint that cannot be reached is named as such (network.go),
		// unless the caller gave up first (cancel, --timeout).
		if req.Context().Err() == nil {
			if ne := asNetworkError(req.URL, err, g.next.Timeout); ne != nil {
				return resp, ne
			}
		}
		return resp, err
	}
	if isRedirect(resp.StatusCode) {
		resp.Body.Close() // not drained: a hostile body may be endless
		to := "no Location"
		if loc, lerr := resp.Location(); lerr == nil {
			to = hostOf(loc)
		}
		return nil, guardFail(ErrRedirect, fmt.Sprintf("%s answered HTTP %d redirecting to %s; galshare does not follow redirects",
			hostOf(req.URL), resp.StatusCode, to),
			"check the endpoints in the cloud configuration (a proxy or captive portal may be redirecting)")
	}
	if resp.ContentLength > g.maxBody && req.Method != http.MethodHead {
		resp.Body.Close()
		return nil, g.tooLarge(req.URL)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: g.maxBody + 1, fail: func() error { return g.tooLarge(req.URL) }}
	return resp, nil
}

// CloseIdleConnections lets Connector.Close reach the underlying transport.
func (g *guardTransport) CloseIdleConnections() { g.next.CloseIdleConnections() }

func (g *guardTransport) tooLarge(u *url.URL) error {
	return guardFail(ErrResponseTooLarge, fmt.Sprintf("response from %s larger than the limit of %d MiB", hostOf(u), g.maxBody>>20),
		"the server sent far more than any Azure answer galshare reads; check the endpoint")
}

// isRedirect reports a 3xx that asks the client to go elsewhere (304 Not
// Modified is an answer, not a redirect).
func isRedirect(status int) bool {
	return status >= 300 && status < 400 && status != http.StatusNotModified
}

// limitedBody fails a read once more than the limit has been read.
type limitedBody struct {
	rc   io.ReadCloser
	left int64 // limit+1 - bytes read so far
	fail func() error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, b.fail()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left <= 0 {
		return n, b.fail()
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// origin is the canonical scheme://host:port of u (lower case, default port
// filled in), the unit the guard allows.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// hostOf names u's scheme and host for messages (never path or query).
func hostOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// tooManyPages is the error for a listing past MaxListPages.
func tooManyPages(what string) error {
	return guardFail(ErrTooManyPages, fmt.Sprintf("listing %s: more than %d pages", what, MaxListPages),
		"the server kept returning next-page links; check the endpoint")
}

// guardFail builds a guard error: an *Error of KindInvalid wrapping sentinel,
// marked non-retriable so azcore's retry policy returns it at once (Classify
// keeps it as it is and adds tenant, object and op).
func guardFail(sentinel error, msg, fix string) error {
	return nonRetriable{&Error{Kind: KindInvalid, Message: msg, Fix: fix, Err: sentinel}}
}

// managedIdentityEnv lists the variables through which the platform tells
// azidentity (MSAL) where its managed-identity endpoint is.
var managedIdentityEnv = []string{"IDENTITY_ENDPOINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST"}

// managedIdentityOrigins are the endpoints the default credential chain's
// managed-identity source may call besides the authority: IMDS, Azure Arc's
// local agent and whatever the platform's variables name. They are plain
// HTTP on the local machine or link-local network and receive no galshare
// credential; only token pipelines allow them (see Connector.clientOptions).
func managedIdentityOrigins(lookup func(string) (string, bool)) []string {
	out := []string{"http://169.254.169.254", "http://127.0.0.1:40342"}
	for _, k := range managedIdentityEnv {
		if v, ok := lookup(k); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}
