package azsim

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Server is the simulator's request handler and world. One mutex guards the world: handlers lock s.mu around their
// world access and call s.changed() after a mutation, which persists the world asynchronously.
type Server struct {
	mu sync.Mutex
	w  *world

	clock   func() time.Time
	lag     time.Duration // Entra replication lag for objects created from now on; guarded by mu
	baseURL string        // https://127.0.0.1:PORT, no trailing slash
	log     hclog.Logger

	// replicationTime is the seed's settings.replicationTime (0 when unset): the default time an image version
	// takes to replicate, for the ARM half. Set before applyARMSeed runs.
	replicationTime time.Duration

	signer  *tokenSigner
	faults  *faultInjector
	stats   *statsCounter
	persist *persister // nil when in memory
}

// now is the simulator clock (Options.Clock or time.Now).
func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// changed records that the world was mutated so it is persisted; callers hold s.mu.
func (s *Server) changed() {
	if s.persist != nil {
		s.persist.markDirty()
	}
}

// visibleAfterLag is the VisibleAt of an object created now. Callers hold s.mu.
func (s *Server) visibleAfterLag() time.Time { return s.now().Add(s.lag) }

// ServeHTTP counts the request, injects any configured fault and routes it: a vault host to the Key Vault data
// plane, and otherwise by path: identity and consent under /{tenant}/, Graph under /v1.0/, admin under /_sim/ and
// everything else to ARM.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	vaultName, isVault := vaultHostName(r.Host)
	if !isVault && (strings.HasPrefix(p, "/_sim/") || p == "/_sim") {
		s.serveAdmin(w, r)
		return
	}
	kind, label := s.routeLabel(r.Method, p)
	if isVault {
		kind, label = routeKeyVault, r.Method+" "+kvRouteName(p)
	}
	if s.log.IsDebug() {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() {
			s.log.Debug("request", "method", r.Method, "path", p, "route", label, "status", rec.status,
				"duration", time.Since(start))
		}()
		w = rec
	}
	// Token requests are not writes, nor is the $batch envelope (its inner requests are counted one by one).
	s.stats.count(label, kind != routeIdentity && r.Method != http.MethodGet && r.Method != http.MethodHead &&
		label != "POST $batch")
	if s.faults.inject(w, r, kind, label) {
		return
	}
	switch kind {
	case routeIdentity:
		s.serveIdentity(w, r)
	case routeGraph:
		s.serveGraph(w, r)
	case routeKeyVault:
		s.serveKeyVault(w, r, vaultName)
	default:
		s.serveARM(w, r)
	}
}

// routeKind says which part of the simulator serves a path (and thus which error envelope faults use).
type routeKind int

const (
	routeARM routeKind = iota
	routeIdentity
	routeGraph
	// routeKeyVault is a vault's secrets data plane, routed by host (NAME.vault.azsim.localhost).
	routeKeyVault
)

// routeLabel classifies a request for stats and per-route faults, e.g. "POST token", "GET applications".
func (s *Server) routeLabel(method, p string) (routeKind, string) {
	if strings.HasPrefix(p, "/v1.0/") || p == "/v1.0" {
		return routeGraph, method + " " + graphRouteName(strings.TrimPrefix(p, "/v1.0"))
	}
	if name := identityRouteName(p); name != "" {
		return routeIdentity, method + " " + name
	}
	return routeARM, armRouteLabel(method, p)
}

// identityRouteName names /{tenant}/... identity paths, or returns "" for other paths.
func identityRouteName(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) < 2 {
		return ""
	}
	rest := strings.ToLower(strings.Join(segs[1:], "/"))
	switch rest {
	case "v2.0/.well-known/openid-configuration", ".well-known/openid-configuration":
		return "openid-configuration"
	case "discovery/v2.0/keys", "discovery/keys":
		return "keys"
	case "oauth2/v2.0/token", "oauth2/token":
		return "token"
	case "oauth2/authorize", "oauth2/v2.0/authorize":
		return "authorize"
	case "adminconsent", "v2.0/adminconsent":
		return "adminconsent"
	}
	return ""
}

// statusRecorder remembers the status code for the debug request log; it keeps Hijack working for reset faults.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking not supported")
	}
	r.status = 0
	return hj.Hijack()
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
