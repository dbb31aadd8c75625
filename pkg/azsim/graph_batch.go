package azsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
)

const maxBatchRequests = 20

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// graphBatch implements POST /$batch: at most 20 inner requests run in order with the caller's token; a request
// whose dependency failed gets 424. Each inner request is counted in the stats as "$batch/<label>".
func (s *Server) graphBatch(g *graphCall) {
	if g.r.Method != http.MethodPost {
		g.methodNotAllowed()
		return
	}
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(g.body, &in); err != nil {
		g.badRequest("BadRequest", "Invalid batch payload format.")
		return
	}
	if len(in.Requests) > maxBatchRequests {
		g.badRequest("BadRequest", "Exceeded maximum number of 20 requests in a batch.")
		return
	}
	status := map[string]int{}
	out := make([]batchResponse, 0, len(in.Requests))
	for _, br := range in.Requests {
		failedDep := false
		for _, d := range br.DependsOn {
			if st, ok := status[d]; !ok || st >= 400 {
				failedDep = true
			}
		}
		if failedDep {
			status[br.ID] = http.StatusFailedDependency
			body, _ := json.Marshal(graphErrorBody{Error: graphErrorInner{Code: "BadRequest",
				Message: "Failed dependency.", InnerError: map[string]string{}}})
			out = append(out, batchResponse{ID: br.ID, Status: http.StatusFailedDependency, Body: body})
			continue
		}
		resp := s.runBatchRequest(g, br)
		status[br.ID] = resp.Status
		out = append(out, resp)
	}
	writeJSON(g.w, http.StatusOK, map[string]any{"responses": out})
}

func (s *Server) runBatchRequest(g *graphCall, br batchRequest) batchResponse {
	p := br.URL
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	var body []byte
	if len(br.Body) > 0 && string(br.Body) != "null" {
		ct := ""
		for k, v := range br.Headers {
			if strings.EqualFold(k, "Content-Type") {
				ct = v
			}
		}
		if ct == "" {
			b, _ := json.Marshal(graphErrorBody{Error: graphErrorInner{Code: "BadRequest",
				Message: "Content-Type header must be specified when a body is present.", InnerError: map[string]string{}}})
			return batchResponse{ID: br.ID, Status: http.StatusBadRequest, Body: b}
		}
		body = br.Body
	}
	req, err := http.NewRequestWithContext(g.r.Context(), strings.ToUpper(br.Method), "/v1.0"+p, bytes.NewReader(body))
	if err != nil {
		b, _ := json.Marshal(graphErrorBody{Error: graphErrorInner{Code: "BadRequest", Message: "Invalid request URL.",
			InnerError: map[string]string{}}})
		return batchResponse{ID: br.ID, Status: http.StatusBadRequest, Body: b}
	}
	for k, v := range br.Headers {
		req.Header.Set(k, v)
	}
	label := req.Method + " " + graphRouteName(strings.TrimPrefix(req.URL.Path, "/v1.0"))
	s.stats.count("$batch/"+label, req.Method != http.MethodGet && req.Method != http.MethodHead)
	rec := httptest.NewRecorder()
	inner := &graphCall{w: rec, r: req, c: g.c, t: g.t, segs: parseGraphPath(strings.TrimPrefix(req.URL.Path, "/v1.0")),
		body: body, prefer: req.Header.Get("Prefer")}
	s.dispatchGraph(inner)
	resp := batchResponse{ID: br.ID, Status: rec.Code, Headers: map[string]string{}}
	for k := range rec.Header() {
		resp.Headers[k] = rec.Header().Get(k)
	}
	if rec.Body.Len() > 0 {
		resp.Body = json.RawMessage(rec.Body.Bytes())
	}
	return resp
}
