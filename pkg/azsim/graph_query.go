package azsim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// graphCond is one $filter clause.
type graphCond struct {
	op     string // eq, in, startswith, any
	prop   string
	value  string
	values []string // for in
}

var (
	graphReEq         = regexp.MustCompile(`(?i)^([A-Za-z][A-Za-z0-9/]*)\s+eq\s+'((?:[^']|'')*)'$`)
	graphReStartsWith = regexp.MustCompile(`(?i)^startswith\(\s*([A-Za-z][A-Za-z0-9]*)\s*,\s*'((?:[^']|'')*)'\s*\)$`)
	graphReAny        = regexp.MustCompile(`(?i)^([A-Za-z][A-Za-z0-9]*)/any\(\s*([a-z]\w*)\s*:\s*([a-z]\w*)\s+eq\s+'((?:[^']|'')*)'\s*\)$`)
	graphReAnd        = regexp.MustCompile(`(?i)\s+and\s+`)
	graphReIn         = regexp.MustCompile(`(?i)^([A-Za-z][A-Za-z0-9]*)\s+in\s+\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)$`)
	graphReQuoted     = regexp.MustCompile(`'((?:[^']|'')*)'`)
)

// parseGraphFilter parses the subset of OData $filter the simulator supports: clauses joined by "and", each
// "prop eq 'v'", "prop in ('a','b')", "startsWith(prop,'v')" or "coll/any(x:x eq 'v')". Anything else is an unsupported query, as in
// Graph without advanced query parameters.
func parseGraphFilter(f string, allowed map[string]bool) ([]graphCond, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, nil
	}
	var conds []graphCond
	for clause := range strings.SplitSeq(graphReAnd.ReplaceAllString(f, "\x00"), "\x00") {
		clause = strings.TrimSpace(clause)
		var c graphCond
		if m := graphReEq.FindStringSubmatch(clause); m != nil {
			c = graphCond{op: "eq", prop: m[1], value: strings.ReplaceAll(m[2], "''", "'")}
		} else if m := graphReIn.FindStringSubmatch(clause); m != nil {
			c = graphCond{op: "in", prop: m[1]}
			for _, q := range graphReQuoted.FindAllStringSubmatch(m[2], -1) {
				c.values = append(c.values, strings.ReplaceAll(q[1], "''", "'"))
			}
		} else if m := graphReStartsWith.FindStringSubmatch(clause); m != nil {
			c = graphCond{op: "startswith", prop: m[1], value: strings.ReplaceAll(m[2], "''", "'")}
		} else if m := graphReAny.FindStringSubmatch(clause); m != nil && strings.EqualFold(m[2], m[3]) {
			c = graphCond{op: "any", prop: m[1], value: strings.ReplaceAll(m[4], "''", "'")}
		} else {
			return nil, fmt.Errorf("unsupported filter clause %q", clause)
		}
		if !allowed[strings.ToLower(c.prop)] {
			return nil, fmt.Errorf("unsupported filter property %q", c.prop)
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// prop looks a property up case-insensitively.
func prop(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func matchesFilter(obj map[string]any, conds []graphCond) bool {
	for _, c := range conds {
		v, _ := prop(obj, c.prop)
		switch c.op {
		case "eq":
			sv, _ := v.(string)
			if !strings.EqualFold(sv, c.value) {
				return false
			}
		case "in":
			sv, _ := v.(string)
			found := false
			for _, x := range c.values {
				found = found || strings.EqualFold(sv, x)
			}
			if !found {
				return false
			}
		case "startswith":
			sv, _ := v.(string)
			if !strings.HasPrefix(strings.ToLower(sv), strings.ToLower(c.value)) {
				return false
			}
		case "any":
			found := false
			if list, ok := v.([]string); ok {
				for _, x := range list {
					if strings.EqualFold(x, c.value) {
						found = true
					}
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// writeGraphList filters, pages and writes a collection; items must be in a stable order.
func (s *Server) writeGraphList(g *graphCall, set string, items []map[string]any, filterable map[string]bool) {
	q := g.r.URL.Query()
	conds, err := parseGraphFilter(q.Get("$filter"), filterable)
	if err != nil {
		g.badRequest("Request_UnsupportedQuery", "Unsupported query. "+err.Error())
		return
	}
	var matched []map[string]any
	for _, it := range items {
		if matchesFilter(it, conds) {
			matched = append(matched, it)
		}
	}
	top := 100
	if ts := q.Get("$top"); ts != "" {
		n, err := strconv.Atoi(ts)
		if err != nil || n < 1 || n > 999 {
			g.badRequest("Request_BadRequest", "Invalid page size specified: '"+ts+"'. Must be between 1 and 999 inclusive.")
			return
		}
		top = n
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			g.badRequest("Request_BadRequest", "Invalid skip token.")
			return
		}
		offset = n
	}
	out := map[string]any{"@odata.context": s.baseURL + "/v1.0/$metadata#" + set}
	if strings.EqualFold(q.Get("$count"), "true") {
		if !strings.EqualFold(g.r.Header.Get("ConsistencyLevel"), "eventual") {
			g.badRequest("Request_BadRequest", "$count is not currently supported without the ConsistencyLevel: eventual header.")
			return
		}
		if offset == 0 {
			out["@odata.count"] = len(matched)
		}
	}
	page := []map[string]any{}
	if offset < len(matched) {
		end := min(offset+top, len(matched))
		for _, it := range matched[offset:end] {
			page = append(page, selectProps(it, q.Get("$select")))
		}
		if end < len(matched) {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))))
			out["@odata.nextLink"] = s.baseURL + g.r.URL.Path + "?" + nq.Encode()
		}
	}
	out["value"] = page
	writeJSON(g.w, http.StatusOK, out)
}
