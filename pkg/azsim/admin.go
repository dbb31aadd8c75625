package azsim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
)

// serveAdmin serves the simulator's own endpoints, reachable from loopback only and without a token (the simulator
// is a local test tool; anyone on the machine could read its files anyway):
//
//	GET  /_sim/health   {"status":"ok"}
//	GET  /_sim/faults   current fault profile;  PUT /_sim/faults {"spec":"latency=20ms,429=0.1"} replaces it
//	GET  /_sim/stats    call counts;            DELETE /_sim/stats resets them
//	GET  /_sim/world    read-only snapshot of the world with secrets and passwords removed
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": "Forbidden",
			"message": "The simulator admin endpoints are only served to loopback clients."}})
		return
	}
	switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sim/"), "/") {
	case "health":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.faults.profile())
		case http.MethodPut, http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
			if err != nil {
				adminError(w, http.StatusBadRequest, err.Error())
				return
			}
			var p FaultProfile
			if err := json.Unmarshal(body, &p); err != nil {
				adminError(w, http.StatusBadRequest, err.Error())
				return
			}
			s.setFaults(p)
			writeJSON(w, http.StatusOK, p)
		default:
			adminError(w, http.StatusMethodNotAllowed, "use GET or PUT")
		}
	case "stats":
		switch r.Method {
		case http.MethodGet:
			st := s.stats.snapshot()
			st.Faults = s.faults.counts()
			writeJSON(w, http.StatusOK, st)
		case http.MethodDelete:
			s.stats.reset()
			s.faults.reset()
			w.WriteHeader(http.StatusNoContent)
		default:
			adminError(w, http.StatusMethodNotAllowed, "use GET or DELETE")
		}
	case "world":
		if r.Method != http.MethodGet {
			adminError(w, http.StatusMethodNotAllowed, "use GET")
			return
		}
		b, err := s.redactedWorld()
		if err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(b)
	default:
		adminError(w, http.StatusNotFound, "unknown admin endpoint; try /_sim/health, /_sim/faults, /_sim/stats, /_sim/world")
	}
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": http.StatusText(status), "message": msg}})
}

// secretKeys are world.json fields that never leave the simulator through the admin API.
var secretKeys = map[string]bool{"clientSecret": true, "password": true, "secretHash": true}

// redactedWorld is the world as JSON with secrets, password hashes and user passwords removed.
func (s *Server) redactedWorld() ([]byte, error) {
	s.mu.Lock()
	raw, err := json.Marshal(s.w)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	redact(v)
	return json.MarshalIndent(v, "", " ")
}

func redact(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if secretKeys[k] {
				if _, isStr := c.(string); isStr {
					x[k] = "REDACTED"
					continue
				}
			}
			redact(c)
		}
	case []any:
		for _, c := range x {
			redact(c)
		}
	}
}
