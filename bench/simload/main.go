// Command simload measures the throughput of the galshare Azure simulator: simple authenticated requests per
// second over loopback HTTPS, either against an in-process simulator (default) or against a running
// `galshare sim serve` through its cloud.json.
//
//	go run ./bench/simload                          # in-process, quickstart world, 5s, 8 connections
//	go run ./bench/simload -cloud .galshare-sim/cloud.json -d 10s -c 64
//	go run ./bench/simload -route arm               # ARM GET resource group instead of a Graph GET
//
// Each request is a GET with a bearer token that the simulator verifies (Graph: the operator's own service
// principal by appId; ARM: a resource group, RBAC evaluated). The token is fetched once through azidentity.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/galshare/galshare/pkg/azsim"
)

// The in-process world: the quickstart seed's publisher tenant and resource group.
const (
	quickstartSeed   = "examples/sim/quickstart.yaml"
	quickstartTenant = "11111111-1111-1111-1111-111111111111"
	quickstartRG     = "/subscriptions/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa/resourceGroups/images-rg"
)

type config struct {
	cloudFile string
	conc      int
	dur       time.Duration
	route     string
	armPath   string
}

func main() {
	var c config
	flag.StringVar(&c.cloudFile, "cloud", "", "`FILE`: the cloud.json of a running galshare sim serve (default: start one in-process)")
	flag.IntVar(&c.conc, "c", 8, "concurrent connections")
	flag.DurationVar(&c.dur, "d", 5*time.Second, "measurement duration")
	flag.StringVar(&c.route, "route", "graph", "graph (GET servicePrincipals(appId=…)) or arm (GET resource group)")
	flag.StringVar(&c.armPath, "arm-path", quickstartRG, "resource group id for -route arm")
	flag.Parse()
	if err := run(context.Background(), c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simload:", err)
		os.Exit(1)
	}
}

// target is what the load runs against.
type target struct {
	url      string
	client   *http.Client
	cloud    cloud.Configuration
	tenant   string
	clientID string
	secret   string
	sim      *azsim.Sim // nil for a separate process
}

func run(ctx context.Context, c config, out io.Writer) error {
	tg, err := setup(ctx, c)
	if err != nil {
		return err
	}
	if tg.sim != nil {
		defer func() {
			tg.client.CloseIdleConnections()
			_ = tg.sim.Close(context.Background())
		}()
	}
	cred, err := azidentity.NewClientSecretCredential(tg.tenant, tg.clientID, tg.secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: tg.cloud, Transport: tg.client},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return err
	}
	scope, path := "https://graph.microsoft.com/.default", "/v1.0/servicePrincipals(appId='"+tg.clientID+"')"
	if c.route == "arm" {
		scope, path = "https://management.core.windows.net//.default", c.armPath+"?api-version=2025-04-01"
	} else if c.route != "graph" {
		return fmt.Errorf("unknown -route %q", c.route)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	// Warm up one request per connection and check it succeeds.
	if st, err := get(tg.client, tg.url+path, tok.Token); err != nil || st != http.StatusOK {
		return fmt.Errorf("warm-up request: status %d: %v", st, err)
	}
	if tg.sim != nil {
		tg.sim.ResetStats()
	}

	var ok, failed atomic.Int64
	lat := make([][]time.Duration, c.conc)
	deadline := time.Now().Add(c.dur)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				st, err := get(tg.client, tg.url+path, tok.Token)
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil || st != http.StatusOK {
					failed.Add(1)
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	mode := "in-process"
	if tg.sim == nil {
		mode = "separate process (" + c.cloudFile + ")"
	}
	fmt.Fprintf(out, "simulator:    %s at %s, %d CPUs, GOMAXPROCS %d\n", mode, tg.url, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "request:      GET %s (bearer token verified, %d connections)\n", path, c.conc)
	fmt.Fprintf(out, "requests:     %d ok, %d failed in %v\n", ok.Load(), failed.Load(), elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "latency:      p50 %v  p99 %v\n", pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond))
	fmt.Fprintf(out, "throughput:   %.0f authenticated requests/s\n", float64(ok.Load())/elapsed.Seconds())
	if tg.sim != nil {
		st := tg.sim.Stats()
		fmt.Fprintf(out, "sim stats:    total %d, writes %d\n", st.Total, st.Writes)
	}
	if failed.Load() > 0 {
		return errors.New("some requests failed")
	}
	return nil
}

func get(c *http.Client, url, token string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func setup(ctx context.Context, c config) (*target, error) {
	if c.cloudFile == "" {
		seed, err := azsim.LoadSeedFile(quickstartSeed)
		if err != nil {
			return nil, fmt.Errorf("%w (run from the repository root)", err)
		}
		sim, err := azsim.Start(ctx, azsim.Options{Seed: seed})
		if err != nil {
			return nil, err
		}
		cr := sim.Credentials()[quickstartTenant]
		tr := sim.HTTPClient().Transport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = c.conc
		return &target{url: sim.URL(), client: &http.Client{Transport: tr}, cloud: sim.Cloud(), tenant: quickstartTenant,
			clientID: cr.ClientID, secret: cr.ClientSecret, sim: sim}, nil
	}
	raw, err := os.ReadFile(c.cloudFile)
	if err != nil {
		return nil, err
	}
	var cf azsim.CloudFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		return nil, fmt.Errorf("%s: %w", c.cloudFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(cf.CACertificate)) {
		return nil, fmt.Errorf("%s: no CA certificate", c.cloudFile)
	}
	tenants := make([]string, 0, len(cf.Credentials))
	for t := range cf.Credentials {
		tenants = append(tenants, t)
	}
	if len(tenants) == 0 {
		return nil, fmt.Errorf("%s: no credentials", c.cloudFile)
	}
	sort.Strings(tenants)
	cr := cf.Credentials[tenants[0]]
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		MaxIdleConns: c.conc, MaxIdleConnsPerHost: c.conc}}
	cfg := cloud.Configuration{ActiveDirectoryAuthorityHost: cf.AuthorityHost, Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Endpoint: cf.ResourceManager.Endpoint, Audience: cf.ResourceManager.Audience}}}
	return &target{url: cf.ResourceManager.Endpoint, client: client, cloud: cfg, tenant: tenants[0],
		clientID: cr.ClientID, secret: cr.ClientSecret}, nil
}
