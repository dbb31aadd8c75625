package azsim

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Long-running operations. The gallery share POST answers 202 with Azure-AsyncOperation, Location and Retry-After
// (plus retry-after-ms so SDK pollers in tests wait 50 ms, not seconds). The operation completes on its second status
// poll, or by itself once shareDuration has passed on the server clock; only then is the sharing profile changed.

const (
	opStatusInProgress = "InProgress"
	opStatusSucceeded  = "Succeeded"
	opStatusFailed     = "Failed"

	// shareDuration is how long a share operation takes when nobody polls it.
	shareDuration = 2 * time.Second
	// sharePollsToComplete is the number of status polls after which a share operation is done: the first poll
	// sees InProgress, the second Succeeded.
	sharePollsToComplete = 2
	// operationRetention is how long finished operations stay queryable.
	operationRetention = time.Hour
	// retryAfterMS is the hint sent in retry-after-ms.
	retryAfterMS = "50"
)

// armOperation is a pending or finished long-running operation (persisted with the world).
type armOperation struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"` // "share"
	Sub        string          `json:"subscriptionId"`
	Location   string          `json:"location"`
	RG         string          `json:"resourceGroup"`
	Gallery    string          `json:"gallery"`
	APIVersion string          `json:"apiVersion"`
	Update     sharingUpdate   `json:"update"`
	Status     string          `json:"status"`
	Polls      int             `json:"polls"`
	StartedAt  time.Time       `json:"startTime"`
	EndedAt    time.Time       `json:"endTime"`
	Error      *armErrorDetail `json:"error,omitempty"`
}

// sharingUpdate is the body of POST …/share and the final result of the operation.
type sharingUpdate struct {
	OperationType string         `json:"operationType"`
	Groups        []sharingGroup `json:"groups,omitempty"`
}

func sharingUpdateJSON(u sharingUpdate) map[string]any {
	m := map[string]any{"operationType": u.OperationType}
	if len(u.Groups) > 0 {
		m["groups"] = copyGroups(u.Groups)
	}
	return m
}

// Limits Azure puts on direct sharing.
const (
	maxShareTenants       = 5
	maxShareSubscriptions = 30
)

// shareGallery validates a sharing update and starts the operation.
func (s *Server) shareGallery(c *armCtx) armResult {
	if e := s.check(c, actGalleryShare, strings.TrimSuffix(c.r.URL.Path, "/share")); e != nil {
		return fail(e)
	}
	gp, e := resolveGallery(c)
	if e != nil {
		return fail(e)
	}
	var in sharingUpdate
	if e := decodeBody(c, &in); e != nil {
		return fail(e)
	}
	if e := validateSharingUpdate(gp.g, &in); e != nil {
		return fail(e)
	}
	if s.sharePending(c, gp.g) {
		return fail(newARMError(http.StatusConflict, "OperationNotAllowed",
			"Another sharing operation is in progress on gallery '%s'. Retry after it completes.", gp.g.Name))
	}
	a := s.arm()
	for id, op := range a.Operations {
		if op.Status != opStatusInProgress && c.now.Sub(op.EndedAt) > operationRetention {
			delete(a.Operations, id)
		}
	}
	op := &armOperation{
		ID: uuid.NewString(), Kind: "share", Sub: c.sub.ID, Location: gp.g.Location, RG: gp.rg.Name, Gallery: gp.g.Name,
		APIVersion: c.q.Get("api-version"), Update: in, Status: opStatusInProgress, StartedAt: c.now,
	}
	a.Operations[op.ID] = op
	s.changed()
	async := operationURL(c, op)
	return armResult{status: http.StatusAccepted, header: map[string]string{
		"Azure-AsyncOperation": async,
		"Location":             async + "&monitor=true",
		"Retry-After":          "1",
		"retry-after-ms":       retryAfterMS,
	}}
}

// operationURL is the absolute status URL of an operation, shaped like Compute's capsOperations URLs.
func operationURL(c *armCtx, op *armOperation) string {
	return "https://" + c.r.Host + "/subscriptions/" + op.Sub + "/providers/Microsoft.Compute/locations/" + op.Location +
		"/capsOperations/" + op.ID + "?api-version=" + op.APIVersion
}

// validateSharingUpdate enforces Azure's preconditions: a known operationType, groups only for Add/Remove, a
// gallery created with permissions Groups (Community for EnableCommunity), valid group types and GUIDs, and at most
// 5 tenants and 30 subscriptions after an Add. It canonicalises the spelling of types in place.
func validateSharingUpdate(g *gallery, in *sharingUpdate) *armError {
	bad := func(target, format string, args ...any) *armError {
		e := newARMError(http.StatusBadRequest, "InvalidParameter", format, args...)
		e.Target = target
		return e
	}
	switch strings.ToLower(in.OperationType) {
	case "add", "remove":
		in.OperationType = strings.ToUpper(in.OperationType[:1]) + strings.ToLower(in.OperationType[1:])
		if len(in.Groups) == 0 {
			return bad("groups", "Groups must be provided for sharing operation type '%s'.", in.OperationType)
		}
		if g.Permissions != "Groups" {
			return newARMError(http.StatusBadRequest, "OperationNotAllowed",
				"Operation '%s' on the sharing profile is not allowed since the gallery '%s' is not created with "+
					"sharing profile permission 'Groups'.", in.OperationType, g.Name)
		}
	case "reset":
		in.OperationType = "Reset"
		if len(in.Groups) > 0 {
			return bad("groups", "Groups must not be provided for sharing operation type 'Reset'.")
		}
		return nil
	case "enablecommunity":
		in.OperationType = "EnableCommunity"
		if g.Permissions != "Community" {
			return newARMError(http.StatusBadRequest, "OperationNotAllowed",
				"Operation 'EnableCommunity' is not allowed since the gallery '%s' is not created with sharing "+
					"profile permission 'Community'.", g.Name)
		}
		return nil
	default:
		return bad("operationType", "The value '%s' of parameter 'operationType' is not valid. Allowed values are "+
			"'Add', 'Remove', 'Reset' and 'EnableCommunity'.", in.OperationType)
	}
	for i := range in.Groups {
		switch {
		case strings.EqualFold(in.Groups[i].Type, "Subscriptions"):
			in.Groups[i].Type = "Subscriptions"
		case strings.EqualFold(in.Groups[i].Type, "AADTenants"):
			in.Groups[i].Type = "AADTenants"
		default:
			return bad("groups.type", "The value '%s' of parameter 'groups.type' is not valid. Allowed values are "+
				"'Subscriptions' and 'AADTenants'.", in.Groups[i].Type)
		}
		for _, id := range in.Groups[i].IDs {
			if _, err := uuid.Parse(id); err != nil {
				return bad("groups.ids", "The id '%s' in sharing group '%s' is not a valid GUID.", id, in.Groups[i].Type)
			}
		}
	}
	if in.OperationType == "Add" {
		after := applySharing(g.Groups, *in)
		for _, grp := range after {
			if grp.Type == "AADTenants" && len(grp.IDs) > maxShareTenants {
				return bad("groups", "The gallery can be shared with at most %d tenants; the request would share it "+
					"with %d.", maxShareTenants, len(grp.IDs))
			}
			if grp.Type == "Subscriptions" && len(grp.IDs) > maxShareSubscriptions {
				return bad("groups", "The gallery can be shared with at most %d subscriptions; the request would "+
					"share it with %d.", maxShareSubscriptions, len(grp.IDs))
			}
		}
	}
	return nil
}

// applySharing returns the groups after an Add or Remove (ids compared case-insensitively, order kept).
func applySharing(cur []sharingGroup, u sharingUpdate) []sharingGroup {
	byType := map[string][]string{}
	order := []string{}
	for _, g := range cur {
		if _, seen := byType[g.Type]; !seen {
			order = append(order, g.Type)
		}
		byType[g.Type] = append(byType[g.Type], g.IDs...)
	}
	for _, g := range u.Groups {
		ids := byType[g.Type]
		for _, id := range g.IDs {
			idx := slices.IndexFunc(ids, func(x string) bool { return strings.EqualFold(x, id) })
			switch {
			case u.OperationType == "Add" && idx < 0:
				ids = append(ids, strings.ToLower(id))
			case u.OperationType == "Remove" && idx >= 0:
				ids = slices.Delete(ids, idx, idx+1)
			}
		}
		if _, seen := byType[g.Type]; !seen {
			order = append(order, g.Type)
		}
		byType[g.Type] = ids
	}
	out := []sharingGroup{}
	for _, t := range order {
		if len(byType[t]) > 0 {
			out = append(out, sharingGroup{Type: t, IDs: byType[t]})
		}
	}
	return out
}

// completeOperation applies a finished share operation to its gallery. Callers hold s.mu.
func (s *Server) completeOperation(op *armOperation, now time.Time) {
	op.Status, op.EndedAt = opStatusSucceeded, now
	var g *gallery
	if sub := s.arm().subscription(op.Sub); sub != nil {
		if rg := sub.group(op.RG); rg != nil {
			g = rg.gallery(op.Gallery)
		}
	}
	if g == nil {
		op.Status = opStatusFailed
		op.Error = &armErrorDetail{Code: "ResourceNotFound", Message: "The gallery '" + op.Gallery + "' no longer exists."}
		s.changed()
		return
	}
	switch op.Update.OperationType {
	case "Add", "Remove":
		g.Groups = applySharing(g.Groups, op.Update)
	case "Reset":
		g.Groups, g.Permissions = nil, "Private"
	}
	s.changed()
}

// sharePending settles the gallery's share operations that have run out their time and reports whether one is
// still in progress. Callers hold s.mu.
func (s *Server) sharePending(c *armCtx, g *gallery) bool {
	pending := false
	a := s.arm()
	for _, k := range slices.Sorted(maps.Keys(a.Operations)) {
		op := a.Operations[k]
		if op.Status != opStatusInProgress || !strings.EqualFold(op.Gallery, g.Name) || !strings.EqualFold(op.Sub, c.sub.ID) {
			continue
		}
		if c.now.Sub(op.StartedAt) >= shareDuration {
			s.completeOperation(op, c.now)
			continue
		}
		pending = true
	}
	return pending
}

// getOperation serves the Azure-AsyncOperation URL (status document) and, with monitor=true, the Location URL
// (202 while running, then 200 with the sharing update as the final result).
func (s *Server) getOperation(c *armCtx) armResult {
	op := s.arm().Operations[strings.ToLower(c.rt.OpID)]
	if op == nil || !strings.EqualFold(op.Sub, c.sub.ID) {
		return fail(newARMError(http.StatusNotFound, "NotFound", "The operation '%s' could not be found.", c.rt.OpID))
	}
	if op.Status == opStatusInProgress {
		op.Polls++
		if op.Polls >= sharePollsToComplete || c.now.Sub(op.StartedAt) >= shareDuration {
			s.completeOperation(op, c.now)
		}
	}
	if strings.EqualFold(c.q.Get("monitor"), "true") {
		switch op.Status {
		case opStatusInProgress:
			return armResult{status: http.StatusAccepted, header: map[string]string{
				"Location": operationURL(c, op) + "&monitor=true", "Retry-After": "1", "retry-after-ms": retryAfterMS,
			}}
		case opStatusFailed:
			return fail(&armError{Status: http.StatusBadRequest, Code: op.Error.Code, Message: op.Error.Message})
		}
		return reply(http.StatusOK, sharingUpdateJSON(op.Update))
	}
	body := map[string]any{"name": op.ID, "status": op.Status, "startTime": armTime(op.StartedAt)}
	if op.Status != opStatusInProgress {
		body["endTime"] = armTime(op.EndedAt)
	}
	if op.Error != nil {
		body["error"] = map[string]any{"code": op.Error.Code, "message": op.Error.Message}
	}
	res := reply(http.StatusOK, body)
	if op.Status == opStatusInProgress {
		res.header = map[string]string{"Retry-After": "1", "retry-after-ms": retryAfterMS}
	}
	return res
}
