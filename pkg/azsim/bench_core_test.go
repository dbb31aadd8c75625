package azsim

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkGraphGet measures one authenticated Graph GET over loopback HTTPS (client and server in this process).
func BenchmarkGraphGet(b *testing.B) {
	sim := coreStart(b, Options{})
	tok := bearerFor(b, sim, coreT1, coreOp1)
	url := sim.URL() + "/v1.0/servicePrincipals(appId='" + coreOp1 + "')"
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := sim.HTTPClient().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}
