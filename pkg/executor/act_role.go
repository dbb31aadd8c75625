package executor

import (
	"context"
	"fmt"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

// applyRoleAssignment creates (deterministic name, principalType
// ServicePrincipal, adopt on RoleAssignmentExists), replaces, deletes or
// records one role assignment.
func (r *run) applyRoleAssignment(ctx context.Context, c *planner.Change) error {
	p := c.RoleAssignment
	if c.Action == planner.NoOp || c.Action == planner.Read {
		// Nothing to write, so no sign-in (see applyServicePrincipal).
		if p.ExistingID == "" {
			return nil
		}
		principal := firstNonEmpty(p.PrincipalID, r.out.get(p.PrincipalFrom).ObjectID)
		return r.record(ctx, c, roleResource(c, p.ExistingID, principal, originFor(c)))
	}
	if err := r.checkFresh(ctx, c); err != nil {
		return err
	}
	res, err := r.opts.Clients.Resources(ctx, c.Tenant)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Address, err)
	}
	switch c.Action {
	case planner.Create, planner.Replace:
		principal, err := pick(p.PrincipalID, r.out.get(p.PrincipalFrom).ObjectID, "the service principal's object id", p.PrincipalFrom)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Address, err)
		}
		// Whether the superseded assignment was made by hand must be read
		// before the new record takes its address.
		oldAdopted := r.refuseAdoptedDelete(c) != nil
		if err := r.createRoleAssignment(ctx, c, res, principal); err != nil {
			return err
		}
		if c.Action == planner.Replace {
			return r.removeReplacedAssignment(ctx, c, res, principal, oldAdopted)
		}
		return nil
	case planner.Delete:
		owned := func(ctx context.Context, id string) (bool, error) {
			return r.ownedAssignment(ctx, c, res, id, r.assignmentPrincipal(c))
		}
		return r.deleteRecorded(ctx, c, c.RoleAssignment.ExistingID, "id", "DELETE roleAssignment", owned, res.DeleteRoleAssignment)
	}
	return unsupported(c)
}

func (r *run) createRoleAssignment(ctx context.Context, c *planner.Change, res azure.Resources, principal string) error {
	p := c.RoleAssignment
	name := azure.RoleAssignmentName(p.Scope, principal, p.RoleGUID)
	jid, err := r.begin(ctx, c, state.OpCreate, map[string]string{
		"scope": p.Scope, "roleDefinitionGuid": p.RoleGUID, "principalId": principal, "name": name,
	})
	if err != nil {
		return err
	}
	var ra *azure.RoleAssignment
	var adopted bool
	// A PUT with a deterministic name is idempotent; PrincipalNotFound while
	// a new service principal replicates is retried.
	err = r.retry(ctx, c, p.PrincipalID == "", "PUT roleAssignment", func(ctx context.Context) error {
		a, ad, err := res.CreateRoleAssignment(ctx, azure.RoleAssignmentSpec{
			Scope: p.Scope, RoleDefinitionGUID: p.RoleGUID, PrincipalID: principal, Description: p.Description,
		})
		if err != nil {
			return err
		}
		if a == nil || a.ID == "" {
			// pkg/azure refuses such an answer (ErrIncompleteAnswer); this
			// keeps any Resources from recording a grant with no id.
			return &azure.Error{Tenant: c.Tenant, Object: c.Address.String(), Op: "PUT roleAssignment", Kind: azure.KindTransient,
				Message: "the answer carries no assignment id", Err: azure.ErrIncompleteAnswer}
		}
		ra, adopted = a, adopted || ad
		return nil
	})
	if err != nil {
		r.abandon(ctx, c, jid, err)
		return err
	}
	r.afterCall(c)
	origin := originFor(c)
	if adopted {
		// The same grant existed under another name: made by hand, so it is
		// recorded but never deleted.
		origin = state.OriginAdopted
		r.progress(c, "the same role assignment already existed as "+ra.Name+"; adopted, never deleted by galshare")
	}
	// No read-back here, unlike the Entra creates (visible.go): the PUT's
	// 200/201 answer is ARM's authoritative record of the assignment, which
	// has no Entra-style replication lag to wait out, and its name is
	// deterministic, so even a next plan that somehow missed it would only
	// plan the same idempotent PUT again, never a duplicate. Reading it back
	// cost one GET per assignment (403 of ~1,000 calls at 200 consumers) and
	// guarded nothing: with `--faults lag=…` the no-op plan after apply is
	// still empty without it (bench/fleet, TestRoleAssignmentNoReadBack).
	return r.commit(ctx, c, jid, func(s *state.State) error { return s.Put(roleResource(c, ra.ID, principal, origin)) })
}

// removeReplacedAssignment removes the assignment a Replace supersedes, after
// the new one exists, unless it was adopted (made by hand).
func (r *run) removeReplacedAssignment(ctx context.Context, c *planner.Change, res azure.Resources, principal string, oldAdopted bool) error {
	old := c.RoleAssignment.ExistingID
	if old == "" || strings.EqualFold(planner.IDKey(old), planner.IDKey(roleAssignmentID(c.RoleAssignment.Scope, principal, c.RoleAssignment.RoleGUID))) {
		return nil
	}
	if oldAdopted {
		r.progress(c, "the replaced assignment "+old+" was not made by galshare; left in place")
		return nil
	}
	// The replaced assignment may be of another principal (the service
	// principal was recreated), so only galshare's marker is checked.
	gone, err := r.ownedAssignment(ctx, c, res, old, "")
	if err != nil {
		return fmt.Errorf("%s: the new assignment exists, but the replaced one was left in place: %w", c.Address, err)
	}
	if gone {
		return nil
	}
	jid, err := r.begin(ctx, c, state.OpDelete, map[string]string{"id": old})
	if err != nil {
		return err
	}
	err = r.retry(ctx, c, false, "DELETE roleAssignment", func(ctx context.Context) error {
		return res.DeleteRoleAssignment(ctx, old)
	})
	if err != nil {
		r.abandon(ctx, c, jid, err)
		return fmt.Errorf("%s: the new assignment exists, but removing the replaced one %s failed: %w", c.Address, old, err)
	}
	r.afterCall(c)
	return r.commit(ctx, c, jid, nil)
}

// roleAssignmentID is the full ARM id of the deterministic assignment.
func roleAssignmentID(scope, principal, roleGUID string) string {
	return strings.TrimSuffix(scope, "/") + "/providers/Microsoft.Authorization/roleAssignments/" +
		azure.RoleAssignmentName(scope, principal, roleGUID)
}

func roleResource(c *planner.Change, id, principal string, origin state.Origin) state.Resource {
	p := c.RoleAssignment
	return state.Resource{
		Address: c.Address.String(), Type: state.TypeRoleAssignment, Tenant: c.Tenant,
		ID: id, Origin: origin,
		Attributes: map[string]string{
			"scope": p.Scope, "roleDefinitionGuid": p.RoleGUID, "roleName": p.RoleName, "principalId": principal,
		},
	}
}
