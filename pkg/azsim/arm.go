package azsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// maxARMBody caps request bodies; ARM's own limit is 4 MB, galshare's payloads are tiny.
const maxARMBody = 4 << 20

// armCtx is one ARM request as the handlers see it, after authentication.
type armCtx struct {
	r      *http.Request
	rt     armRoute
	q      url.Values
	body   []byte
	now    time.Time
	claims *Claims // the primary token
	// caller is the principal RBAC is evaluated for: the primary token's, or the auxiliary token's for a cross-tenant
	// request to a subscription of another tenant.
	caller principalKey
	sub    *armSubscription
}

// armResult is a handler's answer, encoded after the world lock is released (so it must not alias world objects).
type armResult struct {
	status int
	body   any
	header map[string]string
	err    *armError
}

func fail(e *armError) armResult { return armResult{err: e} }

func reply(status int, body any) armResult { return armResult{status: status, body: body} }

// serveARM answers every Azure Resource Manager request: it sets ARM's common headers, checks api-version,
// authenticates (primary and auxiliary tokens), checks the subscription's tenant, routes case-insensitively and
// writes the result with ARM's error envelope.
func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	corr := r.Header.Get("x-ms-correlation-request-id")
	if corr == "" {
		corr = reqID
	}
	h := w.Header()
	h.Set("x-ms-request-id", reqID)
	h.Set("x-ms-correlation-request-id", corr)
	h.Set("x-ms-routing-request-id", "LOCAL:"+s.now().UTC().Format("20060102T150405Z")+":"+reqID)
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.Set("x-ms-ratelimit-remaining-subscription-reads", "249")
		h.Set("x-ms-ratelimit-remaining-subscription-global-reads", "3749")
	case http.MethodDelete:
		h.Set("x-ms-ratelimit-remaining-subscription-deletes", "199")
		h.Set("x-ms-ratelimit-remaining-subscription-global-deletes", "2999")
	default:
		h.Set("x-ms-ratelimit-remaining-subscription-writes", "199")
		h.Set("x-ms-ratelimit-remaining-subscription-global-writes", "2999")
	}

	res := s.handleARM(r)
	writeARMResult(w, r, res)
}

func writeARMResult(w http.ResponseWriter, r *http.Request, res armResult) {
	h := w.Header()
	for k, v := range res.header {
		h.Set(k, v)
	}
	if res.err != nil {
		e := res.err
		h.Set("x-ms-error-code", e.Code)
		if e.Challenge != "" {
			h.Set("WWW-Authenticate", e.Challenge)
		}
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(e.Status)
		if r.Method != http.MethodHead {
			_ = json.NewEncoder(w).Encode(armErrorBody{Error: armErrorDetail{Code: e.Code, Message: e.Message, Target: e.Target}})
		}
		return
	}
	if res.body == nil || r.Method == http.MethodHead {
		w.WriteHeader(res.status)
		return
	}
	b, err := json.Marshal(res.body)
	if err != nil {
		h.Set("x-ms-error-code", "InternalServerError")
		http.Error(w, `{"error":{"code":"InternalServerError","message":"encode response"}}`, http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(res.status)
	_, _ = w.Write(b)
}

// handleARM runs the checks in the order ARM's front door does and dispatches to the route's handler.
func (s *Server) handleARM(r *http.Request) armResult {
	rt := parseARMPath(r.URL.Path)
	q := r.URL.Query()

	// Authentication comes first: ARM rejects an unauthenticated request before looking at anything else.
	claims, aerr := s.armAuthenticate(r.Header.Get("Authorization"))
	if aerr != nil {
		return fail(aerr)
	}
	if e := checkAPIVersion(rt.Kind, q); e != nil {
		return fail(e)
	}
	if rt.Kind == rkUnknown {
		return fail(errInvalidResourceType(r))
	}
	var body []byte
	if r.Body != nil && (r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodPatch) {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxARMBody))
		if err != nil {
			return fail(newARMError(http.StatusBadRequest, "InvalidRequestContent", "The request content could not be read: %v", err))
		}
		body = b
	}
	// Auxiliary tokens are verified outside the lock too.
	aux, auxErr := s.armAuxTokens(r.Header.Get("x-ms-authorization-auxiliary"))
	if auxErr != nil {
		return fail(auxErr)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := &armCtx{r: r, rt: rt, q: q, body: body, now: s.now(), claims: claims,
		caller: principalKey{Tenant: claims.Tenant, ObjectID: claims.ObjectID}}
	if rt.Sub != "" {
		sub := s.arm().subscription(rt.Sub)
		if sub == nil {
			return fail(errSubscriptionNotFound(rt.Sub))
		}
		c.sub = sub
		if !strings.EqualFold(sub.Tenant, claims.Tenant) {
			p, e := s.crossTenantCaller(claims, sub, aux)
			if e != nil {
				return fail(e)
			}
			c.caller = p
		}
	}
	return s.dispatchARM(c)
}

// dispatchARM picks the handler for the route and method. Callers hold s.mu.
func (s *Server) dispatchARM(c *armCtx) armResult {
	m := c.r.Method
	switch c.rt.Kind {
	case rkSubscriptions:
		if m == http.MethodGet {
			return s.listSubscriptions(c)
		}
	case rkSubscription:
		if m == http.MethodGet {
			return s.getSubscription(c)
		}
	case rkResourceGroups:
		if m == http.MethodGet {
			return s.listResourceGroups(c)
		}
	case rkResourceGroup:
		switch m {
		case http.MethodGet, http.MethodHead:
			return s.getResourceGroup(c)
		case http.MethodPut:
			return s.putResourceGroup(c)
		}
	case rkRoleDefinitions:
		if m == http.MethodGet {
			return s.listRoleDefinitions(c)
		}
	case rkRoleDefinition:
		if m == http.MethodGet {
			return s.getRoleDefinition(c)
		}
	case rkRoleAssignments:
		if m == http.MethodGet {
			return s.listRoleAssignments(c)
		}
	case rkPermissions:
		if m == http.MethodGet {
			return s.listPermissions(c)
		}
	case rkRoleAssignment:
		switch m {
		case http.MethodGet:
			return s.getRoleAssignment(c)
		case http.MethodPut:
			return s.putRoleAssignment(c)
		case http.MethodDelete:
			return s.deleteRoleAssignment(c)
		}
	case rkGalleriesInSub, rkGalleriesInRG:
		if m == http.MethodGet {
			return s.listGalleries(c)
		}
	case rkGallery:
		switch m {
		case http.MethodGet:
			return s.getGallery(c)
		case http.MethodPut:
			return s.putGallery(c)
		}
	case rkGalleryShare:
		if m == http.MethodPost {
			return s.shareGallery(c)
		}
	case rkImages:
		if m == http.MethodGet {
			return s.listImages(c)
		}
	case rkImage:
		switch m {
		case http.MethodGet:
			return s.getImage(c)
		case http.MethodPut:
			return s.putImage(c)
		}
	case rkVersions:
		if m == http.MethodGet {
			return s.listVersions(c)
		}
	case rkVersion:
		switch m {
		case http.MethodGet:
			return s.getVersion(c)
		case http.MethodPut:
			return s.putVersion(c)
		}
	case rkOperation:
		if m == http.MethodGet {
			return s.getOperation(c)
		}
	case rkSharedGalleries, rkSharedGallery, rkSharedImages, rkSharedImage, rkSharedVersions, rkSharedVersion:
		if m == http.MethodGet {
			return s.serveShared(c)
		}
	}
	return fail(newARMError(http.StatusMethodNotAllowed, "MethodNotAllowed",
		"The requested method '%s' is not supported for the resource '%s' by the simulator.", m, c.r.URL.Path))
}

// checkAPIVersion enforces a present and supported api-version with ARM's messages.
func checkAPIVersion(k armRouteKind, q url.Values) *armError {
	v := q.Get("api-version")
	if v == "" {
		return newARMError(http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
	}
	fam := k.apiFamily()
	if fam == apiNone {
		return nil
	}
	supported := supportedAPIVersions[fam]
	if slices.Contains(supported, strings.ToLower(v)) {
		return nil
	}
	return newARMError(http.StatusBadRequest, "InvalidApiVersionParameter",
		"The api-version '%s' is invalid. The supported versions are '%s'.", v, strings.Join(supported, ","))
}

// check is the RBAC gate: the caller needs action at scope. Callers hold s.mu.
func (s *Server) check(c *armCtx, action, scope string) *armError {
	if s.arm().authorize(c.caller, action, scope) {
		return nil
	}
	return errAuthorizationFailed(c.caller.ObjectID, action, scope)
}

// decodeBody unmarshals a JSON request body with ARM's error for malformed content.
func decodeBody(c *armCtx, v any) *armError {
	if len(c.body) == 0 {
		return newARMError(http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'The request body is empty.'.")
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		var se *json.SyntaxError
		msg := err.Error()
		if errors.As(err, &se) {
			msg = fmt.Sprintf("invalid JSON at offset %d", se.Offset)
		}
		return newARMError(http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: '%s'.", msg)
	}
	return nil
}

// armTime formats a timestamp as ARM does.
func armTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// nextLink builds an absolute nextLink for the same request with a skip token.
func nextLink(c *armCtx, skip int) string {
	q := url.Values{}
	for k, v := range c.q {
		if !strings.EqualFold(k, "$skipToken") {
			q[k] = v
		}
	}
	q.Set("$skipToken", fmt.Sprint(skip))
	return "https://" + c.r.Host + c.r.URL.Path + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// page cuts a list at the $skipToken offset into one page of armPageSize and returns the ARM list body.
func page[T any](c *armCtx, items []T) map[string]any {
	skip := 0
	if v := c.q.Get("$skipToken"); v != "" {
		_, _ = fmt.Sscan(v, &skip)
	}
	skip = max(0, min(skip, len(items)))
	end := min(len(items), skip+armPageSize)
	out := map[string]any{"value": items[skip:end]}
	if end < len(items) {
		out["nextLink"] = nextLink(c, end)
	}
	return out
}

// armPageSize is the number of items per list page; small enough that paging is exercised by realistic tests.
const armPageSize = 50
