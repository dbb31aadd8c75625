package azsim

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TestConsistencyLag walks the Entra replication window: each dependent call fails with the real error until the
// lag has passed, then succeeds.
func TestConsistencyLag(t *testing.T) {
	clock := newFakeClock()
	sim := coreStart(t, Options{Lag: 30 * time.Second, Clock: clock.Now})
	ctx := context.Background()
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	g2 := coreGraphFor(t, sim, coreT2, coreOp2)

	app := g1.do(t, "POST", "/applications", multiTenantApp("lagged"), nil, http.StatusCreated).must(t)
	id, appID := app.str("id"), app.str("appId")

	// Request_ResourceNotFound on GET and on a dependent write (addPassword) right after the create.
	if got := g1.do(t, "GET", "/applications/"+id, nil, nil, http.StatusOK); got.status != 404 || got.code() != "Request_ResourceNotFound" {
		t.Errorf("GET during lag: %d %s", got.status, got.code())
	}
	if got := g1.do(t, "POST", "/applications/"+id+"/addPassword", map[string]any{}, nil, http.StatusOK); got.code() != "Request_ResourceNotFound" {
		t.Errorf("addPassword during lag: %d %s", got.status, got.code())
	}
	// NoBackingApplicationObject when creating the SP (home tenant and foreign tenant).
	for name, g := range map[string]*graphClient{"home": g1, "consumer": g2} {
		got := g.do(t, "POST", "/servicePrincipals", map[string]any{"appId": appID}, nil, http.StatusCreated)
		if got.status != 400 || got.code() != "Request_BadRequest" || !contains(got.err.Error(), "NoBackingApplicationObject") {
			t.Errorf("%s SP during lag: %d %s %v", name, got.status, got.code(), got.err)
		}
	}

	clock.Advance(31 * time.Second)
	g1.do(t, "GET", "/applications/"+id, nil, nil, http.StatusOK).must(t)
	secret := g1.do(t, "POST", "/applications/"+id+"/addPassword", map[string]any{}, nil, http.StatusOK).must(t).str("secretText")
	sp := g2.do(t, "POST", "/servicePrincipals", map[string]any{"appId": appID}, nil, http.StatusCreated).must(t)

	// The new SP is not yet visible: GET 404, AADSTS700016 at sign-in, and ARM cannot resolve it.
	if got := g2.do(t, "GET", "/servicePrincipals(appId='"+appID+"')", nil, nil, http.StatusOK); got.code() != "Request_ResourceNotFound" {
		t.Errorf("GET SP during lag: %d %s", got.status, got.code())
	}
	scope := policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}}
	if _, err := coreCred(t, sim, coreT2, appID, secret).GetToken(ctx, scope); aadCode(err) != "AADSTS700016" {
		t.Errorf("sign-in during SP lag: %v", err)
	}
	sim.srv.mu.Lock()
	vis, exists := sim.srv.principalVisibleToARM(coreT2, sp.str("id")), sim.srv.principalExists(coreT2, sp.str("id"))
	sim.srv.mu.Unlock()
	if vis || !exists {
		t.Errorf("principalVisibleToARM=%v principalExists=%v during lag, want false/true", vis, exists)
	}

	clock.Advance(31 * time.Second)
	// The secret was also subject to the lag; both are now replicated.
	if _, err := coreCred(t, sim, coreT2, appID, secret).GetToken(ctx, scope); err != nil {
		t.Errorf("sign-in after lag: %v", err)
	}
	sim.srv.mu.Lock()
	vis = sim.srv.principalVisibleToARM(coreT2, sp.str("id"))
	sim.srv.mu.Unlock()
	if !vis {
		t.Errorf("SP not visible to ARM after the lag")
	}
}

// TestSecretLagAndExpiry: a new secret fails with AADSTS7000215 until replicated; an expired one with 7000222.
func TestSecretLagAndExpiry(t *testing.T) {
	clock := newFakeClock()
	sim := coreStart(t, Options{Clock: clock.Now})
	ctx := context.Background()
	g1 := coreGraphFor(t, sim, coreT1, coreOp1)
	app := g1.do(t, "POST", "/applications", map[string]any{"displayName": "expiring"}, nil, http.StatusCreated).must(t)
	g1.do(t, "POST", "/servicePrincipals", map[string]any{"appId": app.str("appId")}, nil, http.StatusCreated).must(t)
	sim.SetLag(10 * time.Second)
	end := clock.Now().Add(time.Hour)
	secret := g1.do(t, "POST", "/applications/"+app.str("id")+"/addPassword", map[string]any{"passwordCredential": map[string]any{
		"endDateTime": end.Format(time.RFC3339)}}, nil, http.StatusOK).must(t).str("secretText")
	scope := policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}}
	if _, err := coreCred(t, sim, coreT1, app.str("appId"), secret).GetToken(ctx, scope); aadCode(err) != "AADSTS7000215" {
		t.Errorf("new secret during lag: %v", err)
	}
	clock.Advance(11 * time.Second)
	if _, err := coreCred(t, sim, coreT1, app.str("appId"), secret).GetToken(ctx, scope); err != nil {
		t.Errorf("new secret after lag: %v", err)
	}
	clock.Advance(2 * time.Hour)
	if _, err := coreCred(t, sim, coreT1, app.str("appId"), secret).GetToken(ctx, scope); aadCode(err) != "AADSTS7000222" {
		t.Errorf("expired secret: %v", err)
	}
}
