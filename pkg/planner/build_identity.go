package planner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
)

// IdentityError is a live object that contradicts what state recorded about
// a field Azure never changes: an app's or service principal's appId, a
// role assignment's principal, scope or role. The answer (or the state
// file) is wrong, and planning on it would move grants to another
// principal, so Build refuses. The command exits 1.
type IdentityError struct {
	// Address is the object's address in state.
	Address string
	// ID is the object's id (object id or ARM id) both sides agree on.
	ID string
	// Field is the immutable field that differs ("appId", "principalId",
	// "scope", "roleDefinitionGuid").
	Field string
	// State and Live are the recorded and the observed values.
	State, Live string
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("%s: Azure reports %s %s for object %s, but state recorded %s; an object's %s never changes "+
		"in Azure, so the answer or the state file is wrong and galshare will not plan on it. Check the object in the "+
		"portal; if the state file is wrong, restore its .backup or move it aside (plan re-discovers galshare's objects)",
		e.Address, e.Field, e.Live, e.ID, e.State, e.Field)
}

// checkIdentity compares every live object refresh read with the state
// record of the same id, for the fields Azure never changes, and returns
// one *IdentityError per difference (joined, in address order; nil when
// all agree). It runs before anything is planned, so no plan is ever built
// on such an answer.
func (b *builder) checkIdentity() error {
	var errs []*IdentityError
	differ := func(addr, id, field, stateV, liveV string) {
		if stateV != "" && liveV != "" && !strings.EqualFold(stateV, liveV) {
			errs = append(errs, &IdentityError{Address: addr, ID: id, Field: field, State: stateV, Live: liveV})
		}
	}
	lists := map[string]*azure.RoleAssignment{}
	for _, o := range b.snap.Assignments {
		if o.Status != Found {
			continue
		}
		for i := range o.Assignments {
			lists[IDKey(o.Assignments[i].ID)] = &o.Assignments[i]
		}
	}
	for _, o := range b.snap.AssignmentsByID {
		if o.Status == Found && o.Assignment != nil {
			lists[IDKey(o.Assignment.ID)] = o.Assignment
		}
	}
	for _, r := range b.st.Resources {
		if r.ID == "" {
			continue
		}
		switch ResourceType(r.Type) {
		case TypeApplication:
			if o := b.snap.App; o.Status == Found && strings.EqualFold(o.App.ObjectID, r.ID) {
				differ(r.Address, r.ID, AttrAppID, r.Attributes[AttrAppID], o.App.AppID)
			}
		case TypeServicePrincipal:
			if o, ok := b.snap.SPs[TenantKey(r.Tenant)]; ok && o.Status == Found && strings.EqualFold(o.SP.ObjectID, r.ID) {
				differ(r.Address, r.ID, AttrAppID, r.Attributes[AttrAppID], o.SP.AppID)
			}
		case TypeRoleAssignment:
			ra := lists[IDKey(r.ID)]
			if ra == nil {
				continue
			}
			differ(r.Address, r.ID, AttrPrincipalID, r.Attributes[AttrPrincipalID], ra.PrincipalID)
			if sc := r.Attributes[AttrScope]; sc != "" && ra.Scope != "" && IDKey(sc) != IDKey(ra.Scope) {
				errs = append(errs, &IdentityError{Address: r.Address, ID: r.ID, Field: AttrScope, State: sc, Live: ra.Scope})
			}
			differ(r.Address, r.ID, AttrRoleDefinitionGUID, r.Attributes[AttrRoleDefinitionGUID], ra.RoleDefinitionGUID)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Address < errs[j].Address })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
