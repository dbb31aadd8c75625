package azsim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// BenchmarkARMAuthorizedGet measures simple authenticated ARM reads (token check, tenant check, RBAC, JSON) over
// loopback TLS: go test ./pkg/azsim -run '^$' -bench ARMAuthorizedGet.
func BenchmarkARMAuthorizedGet(b *testing.B) {
	e := newARMEnvTB(b)
	tok, err := e.opCred(b, opContrib).GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		b.Fatal(err)
	}
	url := e.sim.URL() + "/subscriptions/" + subA + "/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/myGallery/images/" +
		imageName + "/versions/1.0.0?api-version=2025-12-03&$expand=ReplicationStatus"
	client := e.sim.HTTPClient()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+tok.Token)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// fleetTenants and fleetGrants size the fleet benchmarks like `go run ./bench/fleet --scale 10000`: 10,000
// consumer tenants, each with one subscription and two role assignments (User Access Administrator on the
// subscription, Reader on a resource group).
const (
	fleetTenants = 10000
	fleetGrants  = 2
)

func fleetGUID(kind, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, i) }

// fleetSeed is the fleet's world as a seed: tenant i has operator fleetGUID(2, i) with secret "s-i" and
// subscription fleetGUID(3, i) with resource groups rg0..rg{grants}.
func fleetSeed(tenants, grants int) *Seed {
	seed := &Seed{}
	for i := range tenants {
		t, sub := fleetGUID(1, i), fleetGUID(3, i)
		seed.Tenants = append(seed.Tenants, TenantSeed{ID: t, Operators: []OperatorSeed{{
			Name: "op", ClientID: fleetGUID(2, i), ClientSecret: fmt.Sprintf("s-%d", i),
		}}})
		ss := SubscriptionSeed{ID: sub, Tenant: t}
		for g := range grants {
			ss.ResourceGroups = append(ss.ResourceGroups, ResourceGroupSeed{Name: fmt.Sprintf("rg%d", g), Location: "eastus"})
		}
		seed.Subscriptions = append(seed.Subscriptions, ss)
		for g := range grants {
			scope, role := "/subscriptions/"+sub, "User Access Administrator"
			if g > 0 {
				scope, role = fmt.Sprintf("/subscriptions/%s/resourceGroups/rg%d", sub, g), "Reader"
			}
			seed.RoleAssignments = append(seed.RoleAssignments, RoleAssignmentSeed{
				Scope: scope, Role: role, Principal: PrincipalSeed{Tenant: t, Operator: "op"},
			})
		}
	}
	return seed
}

// BenchmarkFleetRequests measures, against a simulator holding a 10,000-tenant fleet, the requests a plan makes per
// consumer over loopback TLS: "token" is a client-credentials sign-in of the consumer's operator, "arm-reads" a GET
// of permissions plus a GET of a resource group (each with its RBAC check). Before role assignments and
// applications were indexed each of them scanned all 20,000 assignments or 10,000 applications:
// go test ./pkg/azsim -run '^$' -bench FleetRequests -benchtime 2000x.
func BenchmarkFleetRequests(b *testing.B) {
	sim, err := Start(context.Background(), Options{Seed: fleetSeed(fleetTenants, fleetGrants)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sim.Close(context.Background()) })
	client := sim.HTTPClient()
	do := func(b *testing.B, req *http.Request) []byte {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, body)
		}
		return body
	}
	const step = fleetTenants / 50 // callers spread over the fleet
	b.Run("token", func(b *testing.B) {
		for i := range b.N {
			n := (i * step) % fleetTenants
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {fleetGUID(2, n)},
				"client_secret": {fmt.Sprintf("s-%d", n)}, "scope": {"https://management.core.windows.net//.default"}}
			req, _ := http.NewRequest(http.MethodPost, sim.URL()+"/"+fleetGUID(1, n)+"/oauth2/v2.0/token",
				strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			do(b, req)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	type caller struct{ token, rg string }
	var callers []caller
	for n := 0; n < fleetTenants; n += step {
		tok, err := coreCred(b, sim, fleetGUID(1, n), fleetGUID(2, n), fmt.Sprintf("s-%d", n)).GetToken(context.Background(),
			policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
		if err != nil {
			b.Fatal(err)
		}
		callers = append(callers, caller{tok.Token, sim.URL() + "/subscriptions/" + fleetGUID(3, n) + "/resourceGroups/rg1"})
	}
	b.Run("arm-reads", func(b *testing.B) {
		for i := range b.N {
			c := callers[i%len(callers)]
			for _, u := range []string{c.rg + "/providers/Microsoft.Authorization/permissions?api-version=2022-04-01",
				c.rg + "?api-version=2025-04-01"} {
				req, _ := http.NewRequest(http.MethodGet, u, nil)
				req.Header.Set("Authorization", "Bearer "+c.token)
				do(b, req)
			}
		}
		b.ReportMetric(float64(b.N)*2/b.Elapsed().Seconds(), "req/s")
	})
}
