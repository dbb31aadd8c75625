package azure

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/go-hclog"
)

// logPolicy logs each HTTP attempt at debug level (method, path, status,
// duration) and counts it. It never logs bodies, query strings of token
// requests, or headers: those can carry secrets and tokens.
type logPolicy struct {
	log   hclog.Logger
	calls *atomic.Int64
	// redact scrubs transport error text (a proxy may echo anything).
	redact *Redactor
}

// Do implements policy.Policy.
func (p *logPolicy) Do(req *policy.Request) (*http.Response, error) {
	p.calls.Add(1)
	start := time.Now()
	resp, err := req.Next()
	if p.log.IsDebug() {
		r := req.Raw()
		args := []any{"method", r.Method, "host", r.URL.Host, "path", r.URL.Path, "duration", time.Since(start).Round(time.Millisecond).String()}
		if resp != nil {
			args = append(args, "status", resp.StatusCode)
			if id := resp.Header.Get("x-ms-request-id"); id != "" {
				args = append(args, "request_id", id)
			} else if id := resp.Header.Get("request-id"); id != "" {
				args = append(args, "request_id", id)
			}
		}
		if err != nil {
			// Transport errors name the URL, never the body.
			args = append(args, "error", p.redact.Redact(err.Error()))
		}
		p.log.Debug("azure call", args...)
	}
	return resp, err
}

var _ policy.Policy = (*logPolicy)(nil)
