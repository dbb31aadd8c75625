package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/hashicorp/go-hclog"
)

const (
	// graphAPIVersion is the Graph version every path is relative to.
	graphAPIVersion = "v1.0"
	// graphMaxPages is MaxListPages, the bound on @odata.nextLink paging.
	graphMaxPages = MaxListPages
)

// graphClient is a minimal Microsoft Graph client on the azcore pipeline: bearer
// token per retry, JSON bodies, azcore's retries (429 Retry-After honoured),
// and bounded @odata.nextLink paging. Response bodies are bounded by the
// Connector's transport (guard.go), the same limit as for ARM.
//
// A Connector's tenants share one pipeline (shared.go): pl authorises each
// request with the bearer policy auth of the tenant that sends it.
type graphClient struct {
	pl   runtime.Pipeline
	base *url.URL // e.g. https://graph.microsoft.com/v1.0
	auth policy.Policy
	log  hclog.Logger
}

// graphRequest describes one call. path is relative to /v1.0 and already
// escaped; query values are encoded with %20 for spaces (never '+').
type graphRequest struct {
	method  string
	path    string
	query   [][2]string
	body    any
	headers map[string]string
	// ok lists the success statuses.
	ok []int
}

func encodeQuery(q [][2]string) string {
	var parts []string
	for _, kv := range q {
		parts = append(parts, kv[0]+"="+strings.ReplaceAll(url.QueryEscape(kv[1]), "+", "%20"))
	}
	return strings.Join(parts, "&")
}

// do sends r and returns the status and body. A status outside r.ok becomes an
// *azcore.ResponseError (the caller classifies it).
func (g *graphClient) do(ctx context.Context, r graphRequest) (int, []byte, error) {
	u := g.base.String() + r.path
	if len(r.query) > 0 {
		u += "?" + encodeQuery(r.query)
	}
	return g.doURL(ctx, r, u)
}

func (g *graphClient) doURL(ctx context.Context, r graphRequest, u string) (int, []byte, error) {
	req, err := runtime.NewRequest(withAuth(ctx, g.auth), r.method, u)
	if err != nil {
		return 0, nil, fmt.Errorf("building request: %w", err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	for k, v := range r.headers {
		req.Raw().Header.Set(k, v)
	}
	if r.body != nil {
		if err := runtime.MarshalAsJSON(req, r.body); err != nil {
			return 0, nil, fmt.Errorf("encoding request body: %w", err)
		}
	}
	resp, err := g.pl.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if !runtime.HasStatusCode(resp, r.ok...) {
		return resp.StatusCode, nil, runtime.NewResponseError(resp)
	}
	// The pipeline has already read the body through the guard's limit.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading response: %w", err)
	}
	return resp.StatusCode, body, nil
}

// graphPage is one page of a Graph collection.
type graphPage struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

// list follows @odata.nextLink (verbatim, same host only, resending headers,
// at most MaxListPages pages) and calls fn for every item.
func (g *graphClient) list(ctx context.Context, r graphRequest, fn func(json.RawMessage) error) error {
	r.method = http.MethodGet
	r.ok = []int{http.StatusOK}
	u := g.base.String() + r.path
	if len(r.query) > 0 {
		u += "?" + encodeQuery(r.query)
	}
	for page := 0; ; page++ {
		if page >= graphMaxPages {
			return tooManyPages(r.path)
		}
		_, body, err := g.doURL(ctx, r, u)
		if err != nil {
			return err
		}
		var p graphPage
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("decoding page of %s: %w", r.path, err)
		}
		for _, item := range p.Value {
			if err := fn(item); err != nil {
				return err
			}
		}
		if p.NextLink == "" {
			return nil
		}
		next, err := url.Parse(p.NextLink)
		if err != nil || !next.IsAbs() {
			return fmt.Errorf("listing %s: invalid @odata.nextLink", r.path)
		}
		if !strings.EqualFold(next.Host, g.base.Host) || next.Scheme != g.base.Scheme {
			return guardFail(ErrForeignHost, fmt.Sprintf("listing %s: refusing @odata.nextLink to another host (%s)", r.path, hostOf(next)),
				"the Graph endpoint answered with a next-page link elsewhere; check the graph endpoint in the cloud configuration")
		}
		u = next.String()
	}
}

// odataKey quotes a string for an OData key or filter literal (” escapes ').
func odataKey(v string) string {
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// keyPath builds "/<collection>(<key>='<value>')" with the value path-escaped
// and the quotes and parentheses left literal, as Graph documents the URL.
func keyPath(collection, key, value string) string {
	return "/" + collection + "(" + key + "='" + url.PathEscape(strings.ReplaceAll(value, "'", "''")) + "')"
}

// isStatus reports whether err is an HTTP error with that status.
func isStatus(err error, status int) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == status
}

// jsonBody is a tiny helper for decoding a response into v.
func jsonBody(body []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(v); err != nil {
		return fmt.Errorf("decoding response: %w", err)
	}
	return nil
}

// pathSeg escapes one path segment (an object id).
func pathSeg(s string) string { return url.PathEscape(s) }
