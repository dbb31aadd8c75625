package azsim

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func TestSignInPerTenant(t *testing.T) {
	sim := coreStart(t, Options{})
	ctx := context.Background()
	for tenant, c := range sim.Credentials() {
		t.Run(tenant, func(t *testing.T) {
			cred := coreCred(t, sim, tenant, c.ClientID, c.ClientSecret)
			for _, tc := range []struct{ scope, aud string }{
				{"https://graph.microsoft.com/.default", "https://graph.microsoft.com"},
				{"https://management.core.windows.net//.default", "https://management.core.windows.net/"},
				{"https://management.azure.com/.default", "https://management.azure.com/"},
			} {
				tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{tc.scope}})
				if err != nil {
					t.Fatalf("GetToken(%s): %v", tc.scope, err)
				}
				claims := jwtBody(t, tok.Token)
				if claims["tid"] != tenant || claims["appid"] != c.ClientID || claims["aud"] != tc.aud {
					t.Errorf("claims tid=%v appid=%v aud=%v, want %s %s %s", claims["tid"], claims["appid"], claims["aud"],
						tenant, c.ClientID, tc.aud)
				}
				if claims["iss"] != sim.URL()+"/"+tenant+"/v2.0" {
					t.Errorf("iss = %v", claims["iss"])
				}
				if oid, _ := claims["oid"].(string); oid == "" {
					t.Errorf("no oid")
				}
			}
		})
	}
}

func TestSignInErrors(t *testing.T) {
	sim := coreStart(t, Options{})
	ctx := context.Background()
	cases := []struct {
		name, tenant, client, secret, wantCode string
	}{
		{"unknown tenant", "99999999-9999-9999-9999-999999999999", coreOp1, coreSecrets[coreOp1], "AADSTS90002"},
		{"bad secret", coreT1, coreOp1, "wrong-secret", "AADSTS7000215"},
		{"no service principal in tenant", coreT2, coreOp1, coreSecrets[coreOp1], "AADSTS700016"},
		{"unknown app", coreT1, "deadbeef-0000-0000-0000-000000000000", "x", "AADSTS700016"},
		{"tenant by domain, bad secret", "contoso.onmicrosoft.com", coreOp1, "nope", "AADSTS7000215"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := coreCred(t, sim, tc.tenant, tc.client, tc.secret)
			_, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
			var afe *azidentity.AuthenticationFailedError
			if !errors.As(err, &afe) {
				t.Fatalf("err = %v, want AuthenticationFailedError", err)
			}
			if got := aadCode(err); got != tc.wantCode {
				t.Errorf("code = %q, want %q (err %v)", got, tc.wantCode, err)
			}
		})
	}
	t.Run("tenant id is case-insensitive and domain works", func(t *testing.T) {
		for _, tenant := range []string{"CONTOSO.onmicrosoft.com", "11111111-1111-1111-1111-111111111111"} {
			cred := coreCred(t, sim, tenant, coreOp1, coreSecrets[coreOp1])
			if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}); err != nil {
				t.Errorf("tenant %s: %v", tenant, err)
			}
		}
	})
}

// TestTokenEndpointRaw checks the wire format a non-SDK client sees: the success body, the v1 resource form and
// the AADSTS error shape.
func TestTokenEndpointRaw(t *testing.T) {
	sim := coreStart(t, Options{})
	post := func(form url.Values) (int, map[string]any) {
		resp, err := sim.HTTPClient().PostForm(sim.URL()+"/"+coreT1+"/oauth2/v2.0/token", form)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(readAll(t, resp)), &m); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, m
	}
	base := url.Values{"grant_type": {"client_credentials"}, "client_id": {coreOp1}, "client_secret": {coreSecrets[coreOp1]}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for k2, v2 := range base {
			f[k2] = v2
		}
		f.Set(k, v)
		return f
	}
	st, m := post(with("scope", "https://graph.microsoft.com/.default openid offline_access profile"))
	if st != 200 || m["token_type"] != "Bearer" || m["expires_in"].(float64) <= 300 || m["access_token"] == "" {
		t.Errorf("success: %d %v", st, m)
	}
	if st, m = post(with("resource", "https://management.core.windows.net/")); st != 200 || jwtBody(t, m["access_token"].(string))["aud"] != "https://management.core.windows.net/" {
		t.Errorf("v1 resource form: %d %v", st, m)
	}
	cases := []struct {
		name string
		form url.Values
		code float64
		err  string
	}{
		{"no scope", base, 1002012, "invalid_scope"},
		{"unknown resource", with("scope", "https://vault.azure.net/.default"), 500011, "invalid_resource"},
		{"wrong grant", with("grant_type", "password"), 70003, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		st, m := post(tc.form)
		codes, _ := m["error_codes"].([]any)
		if st != 400 || m["error"] != tc.err || len(codes) != 1 || codes[0] != tc.code ||
			m["trace_id"] == "" || m["correlation_id"] == "" || m["timestamp"] == "" {
			t.Errorf("%s: %d %v", tc.name, st, m)
		}
	}
}
