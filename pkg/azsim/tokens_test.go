package azsim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func TestVerifyToken(t *testing.T) {
	clock := newFakeClock()
	sim := coreStart(t, Options{Clock: clock.Now})
	s := sim.srv
	now := clock.Now()
	sign := func(c jwtClaims) string {
		tok, err := s.signer.sign(&c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := jwtClaims{Aud: audARM, Tid: coreT1, Oid: "o", AppID: "a", Iat: now.Unix(), Exp: now.Add(time.Hour).Unix()}
	other, _ := generateSigningKey()
	foreign, _ := newTokenSigner(other).sign(&good)
	expired := good
	expired.Exp = now.Add(-time.Minute).Unix()
	graph := good
	graph.Aud = audGraph
	cases := []struct {
		name, tok, aud string
		want           error
	}{
		{"ok", sign(good), audARM, nil},
		{"ok without trailing slash", sign(good), "https://management.core.windows.net", nil},
		{"ok management.azure.com", sign(good), audARMAlt, nil},
		{"missing", "", audARM, errTokenMissing},
		{"garbage", "a.b.c", audARM, errTokenInvalid},
		{"tampered", sign(good)[:40] + "x" + sign(good)[41:], audARM, errTokenInvalid},
		{"foreign key", foreign, audARM, errTokenInvalid},
		{"expired", sign(expired), audARM, errTokenExpired},
		{"wrong audience", sign(graph), audARM, errTokenAudience},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.verifyToken(tc.tok, tc.aud)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err == nil && (c.Tenant != coreT1 || c.ObjectID != "o" || c.AppID != "a") {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}

// TestClientAssertionWithFederatedCredential: an operator obtains a token for api://AzureADTokenExchange (the
// simulator's stand-in for a managed identity token) and an app trusts it through a federated identity credential.
func TestClientAssertionWithFederatedCredential(t *testing.T) {
	sim := coreStart(t, Options{})
	ctx := context.Background()
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", map[string]any{"displayName": "secretless"}, nil, 201).must(t)
	g1.do(t, "POST", "/servicePrincipals", map[string]any{"appId": app.str("appId")}, nil, 201).must(t)

	op := coreCred(t, sim, coreT1, coreOp1, coreSecrets[coreOp1])
	miTok, err := op.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"api://AzureADTokenExchange/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	claims := jwtBody(t, miTok.Token)
	fic := map[string]any{"name": "operator-mi", "issuer": claims["iss"], "subject": claims["sub"],
		"audiences": []string{"api://AzureADTokenExchange"}}
	getAssertion := func(context.Context) (string, error) { return miTok.Token, nil }
	newCred := func() *azidentity.ClientAssertionCredential {
		c, err := azidentity.NewClientAssertionCredential(coreT1, app.str("appId"), getAssertion,
			&azidentity.ClientAssertionCredentialOptions{ClientOptions: sim.ClientOptions(), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	scope := policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}
	if _, err := newCred().GetToken(ctx, scope); aadCode(err) != "AADSTS70021" {
		t.Errorf("before the FIC: %v", err)
	}
	// Upsert the FIC by name, then list, then sign in.
	g1.do(t, "PATCH", "/applications/"+app.str("id")+"/federatedIdentityCredentials(name='operator-mi')", fic,
		map[string]string{"Prefer": "create-if-missing"}, http.StatusCreated).must(t)
	l := g1.do(t, "GET", "/applications/"+app.str("id")+"/federatedIdentityCredentials?$filter=name%20eq%20'operator-mi'", nil, nil, 200).must(t)
	if v := l.body["value"].([]any); len(v) != 1 {
		t.Fatalf("FIC list = %v", l.body)
	}
	if dup := g1.do(t, "POST", "/applications/"+app.str("id")+"/federatedIdentityCredentials", fic, nil, 201); dup.status != 409 {
		t.Errorf("duplicate FIC: %d", dup.status)
	}
	tok, err := newCred().GetToken(ctx, scope)
	if err != nil {
		t.Fatalf("assertion sign-in: %v", err)
	}
	if c := jwtBody(t, tok.Token); c["appid"] != app.str("appId") {
		t.Errorf("token appid = %v", c["appid"])
	}
	// A forged assertion (right claims, wrong signature) is refused.
	forged := miTok.Token[:strings.LastIndex(miTok.Token, ".")+1] + "AAAA"
	getAssertion = func(context.Context) (string, error) { return forged, nil }
	if _, err := newCred().GetToken(ctx, scope); aadCode(err) != "AADSTS700027" {
		t.Errorf("forged assertion: %v", err)
	}
}
