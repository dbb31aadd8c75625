package azsim

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/hashicorp/go-hclog"
)

// GraphService is the cloud.ServiceName under which Cloud() lists the Graph endpoint (azcore has no predefined one).
const GraphService cloud.ServiceName = "microsoftGraph"

// Options configure Start. The zero value is an empty in-memory world on a random loopback port.
type Options struct {
	// Seed initialises a fresh world; SeedFile names a YAML seed to load instead. Ignored when Dir already holds a
	// world.json (a restart serves the persisted world).
	Seed     *Seed
	SeedFile string
	// Dir is the persistence directory (world.json, ca.pem, ca-key.pem, signing-key.pem); "" keeps everything in
	// memory.
	Dir string
	// Addr is the listen address, "127.0.0.1:0" by default.
	Addr string
	// Lag is the Entra replication lag for new apps, service principals and secrets (default 0, or the seed's
	// settings.lag). Faults.Lag, when set, wins.
	Lag time.Duration
	// Faults are injected into Graph, ARM and identity requests.
	Faults FaultProfile
	// Clock replaces time.Now (tokens, lag, replication, secret expiry).
	Clock func() time.Time
	// Logger receives simulator logs; nil discards them.
	Logger hclog.Logger
}

// Sim is a running simulator.
type Sim struct {
	srv     *Server
	httpSrv *http.Server
	ln      net.Listener
	url     string
	ca      *certAuthority
	client  *http.Client
	served  chan error
	conns   connTracker

	closeOnce sync.Once
	closeErr  error
}

// Start builds the world (persisted, seeded or empty), listens and serves HTTPS until Close. ctx bounds start-up
// only.
func Start(ctx context.Context, opts Options) (*Sim, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("simulator dir: %w", err)
		}
	}
	ca, err := loadOrCreateCA(opts.Dir)
	if err != nil {
		return nil, err
	}
	key, err := loadOrCreateSigningKey(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Server{clock: opts.Clock, log: logger, signer: newTokenSigner(key), stats: newStatsCounter(),
		faults: newFaultInjector(opts.Faults), lag: opts.Lag}

	w, loaded := (*world)(nil), false
	if opts.Dir != "" {
		if w, loaded, err = loadWorld(opts.Dir); err != nil {
			return nil, err
		}
	}
	if loaded {
		s.w = w
		if s.lag == 0 {
			s.lag = w.Settings.Lag
		}
		s.replicationTime = w.Settings.ReplicationTime
		logger.Info("loaded simulator world", "dir", opts.Dir)
	} else {
		s.w = &world{Version: worldVersion, Directory: newDirectory(), ARM: newARMWorld()}
		seed := opts.Seed
		if seed == nil && opts.SeedFile != "" {
			if seed, err = LoadSeedFile(opts.SeedFile); err != nil {
				return nil, err
			}
		}
		if seed != nil {
			if s.lag == 0 {
				s.lag = seed.Settings.Lag
			}
			s.w.Settings = seed.Settings
			s.mu.Lock()
			err := s.applySeed(seed)
			s.mu.Unlock()
			if err != nil {
				return nil, err
			}
		}
	}
	if opts.Faults.Lag > 0 {
		s.lag = opts.Faults.Lag
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator listen: %w", err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.baseURL = "https://" + net.JoinHostPort(host, port)
	cert, err := ca.serverCert(host)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	if opts.Dir != "" {
		s.persist = newPersister(opts.Dir, func() ([]byte, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.marshalWorld()
		}, logger)
		if err := s.persist.write(); err != nil {
			s.persist.stop()
			_ = ln.Close()
			return nil, err
		}
	}
	sim := &Sim{srv: s, ln: ln, url: s.baseURL, ca: ca, served: make(chan error, 1)}
	sim.httpSrv = &http.Server{
		Handler:           s,
		ConnState:         sim.conns.track,
		ReadHeaderTimeout: 30 * time.Second,
		// HTTP/1.1 only: dropped-connection faults hijack the connection, which HTTP/2 cannot do.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS12})
	go func() { sim.served <- sim.httpSrv.Serve(tlsLn) }()

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	sim.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DialContext:         VaultDialer(KeyVaultDNSSuffix, strings.TrimPrefix(s.baseURL, "https://"), &net.Dialer{Timeout: 10 * time.Second}),
	}}
	logger.Info("simulator listening", "url", sim.url)
	return sim, nil
}

func loadOrCreateSigningKey(dir string) (*ecdsa.PrivateKey, error) {
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, signingKeyFile))
		if err == nil {
			k, err := decodeSigningKeyPEM(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Join(dir, signingKeyFile), err)
			}
			return k, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read signing key: %w", err)
		}
	}
	k, err := generateSigningKey()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		b, err := encodeSigningKeyPEM(k)
		if err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(dir, signingKeyFile), b, 0o600); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// URL is the base URL of the simulator, e.g. https://127.0.0.1:41234 (no trailing slash). It serves the authority
// (URL + "/"), Graph (URL + "/v1.0") and ARM (URL).
func (sim *Sim) URL() string { return sim.url }

// VaultURL is the URL of the simulated vault name, e.g. https://kv1.vault.azsim.localhost (no port: clients dial
// the suffix to the simulator's address, see VaultDialer).
func (sim *Sim) VaultURL(name string) string {
	return "https://" + strings.ToLower(name) + "." + KeyVaultDNSSuffix
}

// VaultDialer returns a DialContext that connects to addr for every host under "."+suffix (any port) and dials
// everything else with d: how a client reaches made-up vault hosts that no DNS answers for.
func VaultDialer(suffix, addr string, d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	suffix = "." + strings.ToLower(strings.Trim(suffix, "."))
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(address); err == nil && strings.HasSuffix(strings.ToLower(host), suffix) {
			return d.DialContext(ctx, network, addr)
		}
		return d.DialContext(ctx, network, address)
	}
}

// CACertPEM is the PEM certificate of the CA that signed the server certificate.
func (sim *Sim) CACertPEM() []byte { return append([]byte(nil), sim.ca.certPEM...) }

// HTTPClient is an HTTP client that trusts the simulator's CA and dials vault hosts (NAME.vault.azsim.localhost) to
// the simulator; pass it as azcore ClientOptions.Transport.
func (sim *Sim) HTTPClient() *http.Client { return sim.client }

// Cloud is the azcore cloud configuration for the simulator: authority at the host root, ARM with the public
// cloud's audience, and Graph under GraphService.
func (sim *Sim) Cloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: sim.url + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: sim.url, Audience: audARM},
			GraphService:          {Endpoint: sim.url, Audience: audGraph},
		},
	}
}

// ClientOptions are azcore client options (cloud + trusting transport) ready for azidentity and the ARM modules.
func (sim *Sim) ClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: sim.Cloud(), Transport: sim.client}
}

// Stats returns call counts since start or the last ResetStats.
func (sim *Sim) Stats() Stats {
	st := sim.srv.stats.snapshot()
	st.Faults = sim.srv.faults.counts()
	return st
}

// ResetStats zeroes the call and fault counters.
func (sim *Sim) ResetStats() {
	sim.srv.stats.reset()
	sim.srv.faults.reset()
}

// SetFaults replaces the fault profile (and the lag, when p.Lag > 0) at run time.
func (sim *Sim) SetFaults(p FaultProfile) { sim.srv.setFaults(p) }

// Faults returns the current fault profile.
func (sim *Sim) Faults() FaultProfile { return sim.srv.faults.profile() }

// SetLag sets the Entra replication lag for objects created from now on.
func (sim *Sim) SetLag(d time.Duration) {
	sim.srv.mu.Lock()
	sim.srv.lag = d
	sim.srv.mu.Unlock()
}

func (s *Server) setFaults(p FaultProfile) {
	s.faults.set(p)
	if p.Lag > 0 {
		s.mu.Lock()
		s.lag = p.Lag
		s.mu.Unlock()
	}
}

// Close stops serving (waiting for in-flight requests until ctx ends) and writes the world a last time.
func (sim *Sim) Close(ctx context.Context) error {
	sim.closeOnce.Do(func() {
		// Close our own client's idle connections first: the server treats a connection that never sent a
		// request as busy for 5s during Shutdown, and Transport often holds such a spare connection.
		sim.client.CloseIdleConnections()
		done := make(chan error, 1)
		go func() { done <- sim.httpSrv.Shutdown(ctx) }()
		// Shutdown waits up to 5s for connections that never sent a request (clients dial spares); they carry
		// nothing, so close them once Shutdown has stopped accepting.
		time.Sleep(10 * time.Millisecond)
		sim.conns.closeUnused()
		err := <-done
		if err != nil {
			_ = sim.httpSrv.Close()
		}
		if serr := <-sim.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if sim.srv.persist != nil {
			err = errors.Join(err, sim.srv.persist.close())
		}
		sim.closeErr = err
	})
	return sim.closeErr
}

// connTracker follows connection states so Close can drop connections that never carried a request.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
}

func (ct *connTracker) track(c net.Conn, st http.ConnState) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if ct.conns == nil {
		ct.conns = map[net.Conn]http.ConnState{}
	}
	switch st {
	case http.StateHijacked, http.StateClosed:
		delete(ct.conns, c)
	default:
		ct.conns[c] = st
	}
}

func (ct *connTracker) closeUnused() {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	for c, st := range ct.conns {
		if st == http.StateNew {
			_ = c.Close()
		}
	}
}
