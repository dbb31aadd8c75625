package planner

import (
	"strings"

	"github.com/galshare/galshare/pkg/azure"
)

// The write preflight: a plan names a right the operator lacks before apply
// starts, instead of apply failing half-way with a 403. Refresh reads what
// the operator may do (its Graph token's app roles per tenant, ARM's
// effective permissions per scope) only for the writes a first Build
// planned; Build then blocks each write those rights do not allow. Nothing is
// checked where nothing was read (fakes, a user's delegated token, a failed
// read): the preflight only ever adds certainty, apply still reports a 403.

// Microsoft Graph application permissions the writes need.
const (
	graphAppReadWriteAll   = "Application.ReadWrite.All"
	graphAppReadWriteOwned = "Application.ReadWrite.OwnedBy"
)

// RBAC actions the role-assignment writes need.
const (
	actRoleAssignmentWrite  = "Microsoft.Authorization/roleAssignments/write"
	actRoleAssignmentDelete = "Microsoft.Authorization/roleAssignments/delete"
)

// rightNeed is one right a planned write needs: a Graph application
// permission (any of GraphAnyOf) in Tenant, or an RBAC Action at Scope.
type rightNeed struct {
	Tenant     string
	GraphAnyOf []string
	Scope      string
	Action     string
}

// isWrite reports whether apply writes to Azure for the change (adoption
// and forgetting only touch state).
func isWrite(c *Change) bool {
	switch c.Action {
	case Create, Update, Delete, Replace:
		return true
	}
	return false
}

// rightsNeeded lists the rights a write change needs (nil for other changes).
// publisher is the publisher tenant: the app's own service principal there
// may be managed with Application.ReadWrite.OwnedBy, a foreign app's (in a
// consumer tenant) needs Application.ReadWrite.All.
func rightsNeeded(c *Change, publisher string) []rightNeed {
	if !isWrite(c) {
		return nil
	}
	switch c.Type {
	case TypeApplication, TypePassword:
		return []rightNeed{{Tenant: c.Tenant, GraphAnyOf: []string{graphAppReadWriteAll, graphAppReadWriteOwned}}}
	case TypeServicePrincipal:
		if strings.EqualFold(c.Tenant, publisher) {
			return []rightNeed{{Tenant: c.Tenant, GraphAnyOf: []string{graphAppReadWriteAll, graphAppReadWriteOwned}}}
		}
		return []rightNeed{{Tenant: c.Tenant, GraphAnyOf: []string{graphAppReadWriteAll}}}
	case TypeRoleAssignment:
		ra := c.RoleAssignment
		if ra == nil {
			return nil
		}
		scope := ra.Scope
		if scope == "" {
			scope = assignmentScope(ra.ExistingID)
		}
		if scope == "" {
			return nil
		}
		var out []rightNeed
		if c.Action == Create || c.Action == Replace {
			out = append(out, rightNeed{Tenant: c.Tenant, Scope: scope, Action: actRoleAssignmentWrite})
		}
		if c.Action == Delete || c.Action == Replace {
			out = append(out, rightNeed{Tenant: c.Tenant, Scope: scope, Action: actRoleAssignmentDelete})
		}
		return out
	}
	return nil
}

// assignmentScope is the scope part of a role assignment's ARM id.
func assignmentScope(id string) string {
	if i := strings.Index(strings.ToLower(id), "/providers/microsoft.authorization/roleassignments/"); i > 0 {
		return id[:i]
	}
	return ""
}

// checkRights blocks every write whose right the preflight found missing.
// It runs before propagateBlocked, so dependants follow.
func (b *builder) checkRights() {
	for _, c := range b.changes {
		if c.Password != nil && (c.Action == Create || c.Action == Replace) && b.snap.DeliveryProblem != "" {
			why := "the new secret could not be delivered to " + c.Password.DeliverTo.String() + ": " + b.snap.DeliveryProblem
			c.Action, c.Reason = Blocked, why
			c.Blocked = &BlockedInfo{Why: why, Instructions: []string{"Make that location writable for the user galshare runs as, " +
				"or point publisher.app.secret.deliverTo elsewhere, then plan again. (apply would otherwise create the password and " +
				"have to remove it again at once.)"}}
			continue
		}
		for _, n := range rightsNeeded(c, b.m.Publisher.Tenant) {
			if bi := b.missingRight(c, n); bi != nil {
				c.Action, c.Blocked, c.Reason = Blocked, bi, bi.Why
				break
			}
		}
	}
}

// missingRight returns the blocked detail when the snapshot proves the
// operator lacks the right n, else nil.
func (b *builder) missingRight(c *Change, n rightNeed) *BlockedInfo {
	verb := strings.ToLower(c.Action.String())
	what := verb + " " + c.Address.String()
	if n.Action == "" {
		o := b.snap.GraphRights[TenantKey(n.Tenant)]
		if o.Status != Found || !o.Known || hasAnyFold(o.Roles, n.GraphAnyOf) {
			return nil
		}
		held := "none"
		if len(o.Roles) > 0 {
			held = strings.Join(o.Roles, ", ")
		}
		why := "tenant " + n.Tenant + ": the operator identity lacks the Microsoft Graph application permission " +
			strings.Join(n.GraphAnyOf, " or ") + " to " + what + " (its token grants: " + held + ")"
		fix := "Grant the operator's app the Microsoft Graph application permission " + n.GraphAnyOf[0] +
			" in tenant " + n.Tenant + " (admin consent required), then plan again."
		if c.Type == TypeServicePrincipal && c.Action == Create && !strings.EqualFold(n.Tenant, b.m.Publisher.Tenant) {
			bi := b.consentBlock(n.Tenant, why)
			bi.Instructions = append([]string{fix + " Or mark the consumer access: manual and let its administrator consent:"},
				bi.Instructions...)
			return bi
		}
		return &BlockedInfo{Why: why, Instructions: []string{fix}}
	}
	o := b.snap.ARMRights[RightsKey(n.Tenant, n.Scope)]
	if o.Status != Found || azure.Allows(o.Permissions, n.Action) {
		return nil
	}
	why := "tenant " + n.Tenant + ": the operator identity lacks " + n.Action + " at " + n.Scope +
		" to " + what + " (preflight: its effective permissions there)"
	fix := "Grant the operator Role Based Access Control Administrator or User Access Administrator on " +
		n.Scope + ", then plan again."
	if n.Action == actRoleAssignmentWrite && c.RoleAssignment != nil {
		role := c.RoleAssignment.RoleName
		if role == "" {
			role = c.RoleAssignment.RoleGUID
		}
		bi := b.grantBlock(n.Tenant, role, n.Scope, why)
		bi.Instructions = append([]string{fix + " Or have someone with that right run the command; plan then adopts the assignment."},
			bi.Instructions[1:]...)
		return bi
	}
	return &BlockedInfo{Why: why, Instructions: []string{fix}}
}

func hasAnyFold(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}
