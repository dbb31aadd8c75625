package azure

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/hashicorp/go-hclog"
)

func TestLogPolicyLogsCallsNotSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Trace, JSONFormat: true})
	tr := &fakeTransport{t: t, handler: func(r recorded) *http.Response {
		return jsonResp(200, `{"keyId":"k-9","secretText":"`+testSecretValue+`","hint":"s3c","endDateTime":"2027-01-01T00:00:00Z"}`, "request-id", "req-123")
	}}
	opts := testClientOptions(tr, log)
	var calls atomic.Int64
	opts.PerRetryPolicies[0] = &logPolicy{log: log, calls: &calls}
	d, err := newGraphDirectory("t1", PublicCloud(), &fake.TokenCredential{}, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	np, err := d.AddPassword(t.Context(), "obj-1", "galshare", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("result", "password", np, "secret", np.Secret)
	out := buf.String()
	if strings.Contains(out, testSecretValue) {
		t.Fatalf("log leaks the secret:\n%s", out)
	}
	mustContain(t, "log", out, `"method":"POST"`, `"path":"/v1.0/applications/obj-1/addPassword"`, `"status":200`, `"request_id":"req-123"`, `"duration"`)
	if calls.Load() != 1 {
		t.Errorf("calls = %d", calls.Load())
	}
}
