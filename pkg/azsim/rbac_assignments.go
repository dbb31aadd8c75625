package azsim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Actions ARM checks for role assignments.
const (
	actRARead   = "Microsoft.Authorization/roleAssignments/read"
	actRAWrite  = "Microsoft.Authorization/roleAssignments/write"
	actRADelete = "Microsoft.Authorization/roleAssignments/delete"
)

const roleAssignmentsPath = "/providers/Microsoft.Authorization/roleAssignments/"

// scopeSubscription returns the subscription id of an ARM scope, "" for tenant-level scopes.
func scopeSubscription(scope string) string {
	segs := strings.Split(strings.Trim(scope, "/"), "/")
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		return segs[1]
	}
	return ""
}

func roleAssignmentJSON(ra *roleAssignment) map[string]any {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	scope := ra.Scope
	if scope == "" {
		scope = "/"
	}
	idScope := strings.TrimRight(scope, "/")
	return map[string]any{
		"id":   idScope + roleAssignmentsPath + ra.Name,
		"name": ra.Name,
		"type": "Microsoft.Authorization/roleAssignments",
		"properties": map[string]any{
			"roleDefinitionId":                   roleDefinitionIDAt(scopeSubscription(scope), ra.RoleDefinitionGUID),
			"principalId":                        ra.PrincipalID,
			"principalType":                      ra.PrincipalType,
			"scope":                              scope,
			"condition":                          opt(ra.Condition),
			"conditionVersion":                   opt(ra.ConditionVersion),
			"createdOn":                          armTime(ra.CreatedOn),
			"updatedOn":                          armTime(ra.UpdatedOn),
			"createdBy":                          opt(ra.CreatedBy),
			"updatedBy":                          opt(ra.UpdatedBy),
			"delegatedManagedIdentityResourceId": nil,
			"description":                        opt(ra.Description),
		},
	}
}

// scopeTenant is the tenant whose directory a scope's principals live in: the subscription's, or the caller's
// for tenant-level scopes.
func scopeTenant(c *armCtx) string {
	if c.sub != nil {
		return c.sub.Tenant
	}
	return c.caller.Tenant
}

// findAssignment returns the assignment with this name at exactly this scope.
func (a *armWorld) findAssignment(name, scope string) *roleAssignment {
	ra := a.RoleAssignments[strings.ToLower(name)]
	if ra == nil || normScope(ra.Scope) != normScope(scope) {
		return nil
	}
	return ra
}

func errRoleAssignmentNotFound(name string) *armError {
	return newARMError(http.StatusNotFound, "RoleAssignmentNotFound", "The role assignment '%s' is not found.", name)
}

// getRoleAssignment serves GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}.
func (s *Server) getRoleAssignment(c *armCtx) armResult {
	if e := s.check(c, actRARead, c.rt.Scope); e != nil {
		return fail(e)
	}
	ra := s.arm().findAssignment(c.rt.Name, c.rt.Scope)
	if ra == nil {
		return fail(errRoleAssignmentNotFound(c.rt.Name))
	}
	return reply(http.StatusOK, roleAssignmentJSON(ra))
}

// deleteRoleAssignment answers 200 with the deleted assignment, or 204 when there was none.
func (s *Server) deleteRoleAssignment(c *armCtx) armResult {
	if e := s.check(c, actRADelete, c.rt.Scope); e != nil {
		return fail(e)
	}
	a := s.arm()
	ra := a.findAssignment(c.rt.Name, c.rt.Scope)
	if ra == nil {
		return reply(http.StatusNoContent, nil)
	}
	a.deleteAssignment(strings.ToLower(ra.Name))
	s.changed()
	return reply(http.StatusOK, roleAssignmentJSON(ra))
}

// listRoleAssignments lists assignments for a scope with ARM's $filter semantics (see assignmentFilter).
func (s *Server) listRoleAssignments(c *armCtx) armResult {
	if e := s.check(c, actRARead, c.rt.Scope); e != nil {
		return fail(e)
	}
	// Like every request under a resource group, a list at a group (or gallery) that does not exist is 404.
	if e := s.checkScopeExists(c); e != nil {
		return fail(e)
	}
	f, err := parseAssignmentFilter(c.q.Get("$filter"))
	if err != nil {
		return fail(newARMError(http.StatusBadRequest, "UnsupportedQuery",
			"The filter '%s' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{value}' "+
				"or assignedTo('{value}')'.", c.q.Get("$filter")))
	}
	a := s.arm()
	tenant := scopeTenant(c)
	out := []map[string]any{}
	keys := sortedAssignments(a.listCandidates(f, tenant, c.rt.Scope), func(ra *roleAssignment) bool {
		return strings.EqualFold(ra.Tenant, tenant) && f.matches(ra, c.rt.Scope)
	})
	for _, k := range keys {
		out = append(out, roleAssignmentJSON(a.RoleAssignments[k]))
	}
	return reply(http.StatusOK, page(c, out))
}

// sortedAssignmentKeys orders assignments by scope then name so lists and pages are stable.
func sortedAssignmentKeys(a *armWorld) []string {
	return sortedAssignmentKeysWhere(a, nil)
}

// sortedAssignmentKeysWhere is sortedAssignmentKeys restricted to the assignments keep accepts (nil: all). It walks
// the whole world; request handlers draw their candidates from the index instead (see rbac_index.go).
func sortedAssignmentKeysWhere(a *armWorld, keep func(*roleAssignment) bool) []string {
	return sortedAssignments(a.RoleAssignments, keep)
}

// roleAssignmentRequest is the PUT body.
type roleAssignmentRequest struct {
	Properties struct {
		RoleDefinitionID string `json:"roleDefinitionId"`
		PrincipalID      string `json:"principalId"`
		PrincipalType    string `json:"principalType"`
		Description      string `json:"description"`
		Condition        string `json:"condition"`
		ConditionVersion string `json:"conditionVersion"`
	} `json:"properties"`
}

// putRoleAssignment creates (201) or re-PUTs (200) a role assignment with ARM's validation and errors:
// InvalidRoleAssignmentId for non-GUID names, RoleDefinitionDoesNotExist, PrincipalNotFound (see
// principalVisibleForAssignment), RoleAssignmentUpdateNotPermitted when the name is reused for another
// principal/role/scope, and 409 RoleAssignmentExists when the same principal+role+scope exists under another name.
func (s *Server) putRoleAssignment(c *armCtx) armResult {
	name := c.rt.Name
	if _, err := uuid.Parse(name); err != nil || len(name) != 36 {
		return fail(newARMError(http.StatusBadRequest, "InvalidRoleAssignmentId",
			"The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", name))
	}
	var in roleAssignmentRequest
	if e := decodeBody(c, &in); e != nil {
		return fail(e)
	}
	p := in.Properties
	roleGUID := p.RoleDefinitionID[strings.LastIndex(p.RoleDefinitionID, "/")+1:]
	role, found := roleByID(roleGUID)
	if p.RoleDefinitionID == "" || !found {
		return fail(newARMError(http.StatusBadRequest, "RoleDefinitionDoesNotExist",
			"The specified role definition with ID '%s' does not exist.", roleGUID))
	}
	if e := s.checkAssign(c, role); e != nil {
		return fail(e)
	}
	// Like ARM, existence is only revealed to callers allowed to write there.
	if e := s.checkScopeExists(c); e != nil {
		return fail(e)
	}
	if _, err := uuid.Parse(p.PrincipalID); err != nil {
		return fail(newARMError(http.StatusBadRequest, "InvalidPrincipalId",
			"A valid principal ID must be provided for role assignment."))
	}
	tenant := scopeTenant(c)
	if e := s.principalVisibleForAssignment(tenant, p.PrincipalID, p.PrincipalType); e != nil {
		return fail(e)
	}
	ptype := p.PrincipalType
	if ptype == "" {
		ptype = s.principalType(tenant, p.PrincipalID)
	}

	a := s.arm()
	if ra := a.RoleAssignments[strings.ToLower(name)]; ra != nil {
		same := normScope(ra.Scope) == normScope(c.rt.Scope) && strings.EqualFold(ra.PrincipalID, p.PrincipalID) &&
			strings.EqualFold(ra.RoleDefinitionGUID, role.ID) && strings.EqualFold(ra.Tenant, tenant)
		if !same {
			return fail(newARMError(http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted",
				"Tenant ID, application ID, principal ID, and scope are not allowed to be updated."))
		}
		ra.Description, ra.Condition, ra.ConditionVersion = p.Description, p.Condition, p.ConditionVersion
		ra.UpdatedOn, ra.UpdatedBy = c.now, c.caller.ObjectID
		s.changed()
		return reply(http.StatusOK, roleAssignmentJSON(ra))
	}
	for _, ra := range a.assignments().byPrincipalScope[principalScopeKey{
		lowerPrincipal(principalKey{Tenant: tenant, ObjectID: p.PrincipalID}), normScope(c.rt.Scope)}] {
		if strings.EqualFold(ra.RoleDefinitionGUID, role.ID) {
			return fail(newARMError(http.StatusConflict, "RoleAssignmentExists",
				"The role assignment already exists. The ID of the existing role assignment is %s.",
				strings.ReplaceAll(ra.Name, "-", "")))
		}
	}
	ra := &roleAssignment{
		Name: strings.ToLower(name), Scope: c.rt.Scope, RoleDefinitionGUID: role.ID, PrincipalID: strings.ToLower(p.PrincipalID),
		PrincipalType: ptype, Tenant: tenant, Description: p.Description, Condition: p.Condition,
		ConditionVersion: p.ConditionVersion, CreatedOn: c.now, UpdatedOn: c.now,
		CreatedBy: c.caller.ObjectID, UpdatedBy: c.caller.ObjectID,
	}
	a.putAssignment(ra.Name, ra)
	s.changed()
	return reply(http.StatusCreated, roleAssignmentJSON(ra))
}

// checkAssign is the RBAC gate for writing an assignment of role at the request scope: the caller needs
// roleAssignments/write there, and if every role granting it carries RBAC Administrator's condition, the role being
// assigned must not be one the condition excludes.
func (s *Server) checkAssign(c *armCtx, role *roleDefinition) *armError {
	a := s.arm()
	granted, unconditional := false, false
	a.forPrincipalAbove(c.caller, c.rt.Scope, func(_ string, ra *roleAssignment) bool {
		r, found := roleByID(ra.RoleDefinitionGUID)
		if !found || !rolePermits(r, actRAWrite) {
			return true
		}
		granted = true
		if !slices.Contains(r.DeniedAssignableRoles, role.ID) {
			unconditional = true
		}
		return true
	})
	switch {
	case !granted:
		return errAuthorizationFailed(c.caller.ObjectID, actRAWrite, c.rt.Scope)
	case !unconditional:
		return errConditionNotFulfilled(c.caller.ObjectID, actRAWrite, c.rt.Scope)
	}
	return nil
}

// principalVisibleForAssignment models how ARM resolves a role assignment's principal. Without principalType ARM
// looks the object up in the directory, which lags behind Entra writes, so a new service principal gives
// PrincipalNotFound until the replication lag has passed. With principalType set, ARM skips that lookup and the
// principal is accepted as soon as it exists at all (it must still exist, and its type must match). Callers hold s.mu.
func (s *Server) principalVisibleForAssignment(tenant, objectID, principalType string) *armError {
	var found bool
	if principalType != "" {
		found = s.principalExists(tenant, objectID)
	} else {
		found = s.principalVisibleToARM(tenant, objectID)
	}
	if !found {
		return newARMError(http.StatusBadRequest, "PrincipalNotFound",
			"Principal %s does not exist in the directory %s. Check that you have the correct principal ID. If you "+
				"are creating this principal and then immediately assigning a role, this error might be related to a "+
				"replication delay. In this case, set the role assignment principalType property to a value, such as "+
				"ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
			strings.ReplaceAll(objectID, "-", ""), tenant)
	}
	if principalType != "" {
		if actual := s.principalType(tenant, objectID); actual != "" && !strings.EqualFold(actual, principalType) {
			return newARMError(http.StatusBadRequest, "UnmatchedPrincipalType",
				"The PrincipalId '%s' has type '%s' , which is different from specified PrincipalType '%s'.",
				strings.ReplaceAll(objectID, "-", ""), actual, principalType)
		}
	}
	return nil
}

// checkScopeExists rejects assignments on resource groups or galleries that do not exist. Callers hold s.mu.
func (s *Server) checkScopeExists(c *armCtx) *armError {
	if c.sub == nil {
		return nil
	}
	inner := parseARMPath(c.rt.Scope)
	if inner.RG == "" {
		return nil
	}
	rg := c.sub.group(inner.RG)
	if rg == nil {
		return errResourceGroupNotFound(inner.RG)
	}
	if inner.Gallery != "" {
		g := rg.gallery(inner.Gallery)
		if g == nil {
			return errResourceNotFound("Microsoft.Compute/galleries/"+inner.Gallery, inner.RG)
		}
		if inner.Image != "" && g.image(inner.Image) == nil {
			return errResourceNotFound("Microsoft.Compute/galleries/"+inner.Gallery+"/images/"+inner.Image, inner.RG)
		}
	}
	return nil
}
