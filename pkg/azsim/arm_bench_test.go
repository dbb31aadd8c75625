package azsim

import (
	"context"
	"io"
	"net/http"
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
