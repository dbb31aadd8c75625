package azure_test

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/go-hclog"

	"github.com/galshare/galshare/pkg/azure"
)

// Issue 12.7: server error text was echoed raw — a JWT, a secret-shaped
// string and the operator's own client secret reached stderr, and a token
// response MSAL could not decode was quoted with its access token. A server
// that echoes them must not get them into an error, the hclog trace output
// or anything the CLI prints.

const (
	// echoJWT is shaped like an access token (header.payload.signature).
	echoJWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJvaWQiOiIxMjM0NTY3OC0xMjM0In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
	// echoSecret is shaped like an Entra client secret.
	echoSecret = "abc8Q~Zx9yW_vU.tS7rQ-pO6nM~lK5jI4hG3fE2d"
)

// echoServer answers discovery normally; its token endpoint and every other
// request answer with token and body.
type echoServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	token func(w http.ResponseWriter, form string)
	api   func(w http.ResponseWriter)
}

func newEchoServer(t *testing.T) *echoServer {
	e := &echoServer{}
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		e.mu.Lock()
		token, api := e.token, e.api
		e.mu.Unlock()
		switch {
		case strings.HasSuffix(p, "/.well-known/openid-configuration"):
			base := e.srv.URL + "/" + strings.Split(strings.TrimPrefix(p, "/"), "/")[0]
			writeJSON(w, http.StatusOK, map[string]any{"issuer": base + "/v2.0", "token_endpoint": base + "/oauth2/v2.0/token",
				"authorization_endpoint": base + "/oauth2/v2.0/authorize"})
		case strings.HasSuffix(p, "/oauth2/v2.0/token"):
			b, _ := io.ReadAll(r.Body)
			token(w, string(b))
		default:
			api(w)
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// connector signs in with hostileSecret, logging at trace level into log.
func (e *echoServer) connector(t *testing.T, log io.Writer) *azure.Connector {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.srv.Certificate().Raw})
	cf, _ := json.Marshal(map[string]any{
		"version": 1, "name": "echo",
		"authorityHost":   e.srv.URL + "/",
		"resourceManager": map[string]any{"endpoint": e.srv.URL, "audience": "https://management.core.windows.net/"},
		"graph":           map[string]any{"endpoint": e.srv.URL, "audience": "https://graph.microsoft.com"},
		"caCertificate":   string(ca),
		"credentials":     map[string]any{hostileTenant: map[string]any{"clientId": hostileClient, "clientSecret": hostileSecret}},
	})
	env, err := azure.ParseCloudFile(cf)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := azure.NewConnector(azure.Options{Env: env, LookupEnv: func(string) (string, bool) { return "", false },
		Logger: hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Trace}),
		Retry:  policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}

// echoed is the text a hostile server puts in its error messages.
const echoed = "you sent " + hostileSecret + " and " + echoJWT + "; try " + echoSecret

func TestRedactServerErrorText(t *testing.T) {
	goodToken := func(w http.ResponseWriter, _ string) {
		writeJSON(w, http.StatusOK, map[string]any{"access_token": echoJWT, "expires_in": 3600, "token_type": "Bearer"})
	}
	tests := []struct {
		name  string
		token func(w http.ResponseWriter, form string)
		api   func(w http.ResponseWriter)
		call  func(t *testing.T, c *azure.Connector) error
	}{
		{name: "graph error envelope", token: goodToken,
			api: func(w http.ResponseWriter) {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "Request_BadRequest", "message": echoed}})
			},
			call: func(t *testing.T, c *azure.Connector) error {
				d, err := c.Directory(hostileCtx(t), hostileTenant)
				if err != nil {
					return err
				}
				_, err = d.GetApplicationByUniqueName(hostileCtx(t), "x")
				return err
			}},
		{name: "arm error envelope", token: goodToken,
			api: func(w http.ResponseWriter) {
				writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": "AuthorizationFailed", "message": echoed}})
			},
			call: func(t *testing.T, c *azure.Connector) error {
				r, err := c.Resources(hostileCtx(t), hostileTenant)
				if err != nil {
					return err
				}
				_, err = r.GetGallery(hostileCtx(t), "/subscriptions/"+hostileSub+"/resourceGroups/rg/providers/Microsoft.Compute/galleries/g")
				return err
			}},
		{name: "token endpoint echoes the form",
			token: func(w http.ResponseWriter, form string) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client",
					"error_description": "AADSTS7000216: bad form " + form + " " + echoed, "error_codes": []int{7000216}})
			},
			call: func(t *testing.T, c *azure.Connector) error { return c.SignIn(hostileCtx(t), hostileTenant) }},
		{name: "token response MSAL cannot decode",
			token: func(w http.ResponseWriter, _ string) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"access_token":"`+echoJWT+`","token_type":"Bearer","expires_in":"soon"`)
			},
			call: func(t *testing.T, c *azure.Connector) error { return c.SignIn(hostileCtx(t), hostileTenant) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEchoServer(t)
			e.token, e.api = tt.token, tt.api
			var log bytes.Buffer
			c := e.connector(t, &log)
			err := tt.call(t, c)
			if err == nil {
				t.Fatal("call succeeded")
			}
			t.Log(err)
			for what, v := range map[string]string{"operator secret": hostileSecret, "JWT": echoJWT, "secret shape": echoSecret,
				"JWT payload": strings.Split(echoJWT, ".")[1]} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error string holds the %s: %v", what, err)
				}
				var ae *azure.Error
				if errors.As(err, &ae) && (strings.Contains(ae.Message, v) || strings.Contains(ae.Fix, v)) {
					t.Errorf("the error's Message or Fix holds the %s: %q", what, ae.Message)
				}
				if strings.Contains(log.String(), v) {
					t.Errorf("trace log holds the %s:\n%s", what, log.String())
				}
			}
		})
	}
}
