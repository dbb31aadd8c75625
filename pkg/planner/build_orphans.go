package planner

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/state"
)

// buildOrphans plans what state records but the manifest no longer asks
// for: objects galshare created are deleted, adopted ones only leave state
// (galshare never deletes what it did not create), and objects already gone
// are forgotten.
func (b *builder) buildOrphans() {
	b.desiredCount = len(b.changes)
	for _, r := range b.st.Resources {
		if b.consumed[r.Address] {
			continue
		}
		a, err := ParseAddress(r.Address)
		if err != nil || a.ResourceType() != ResourceType(r.Type) {
			continue // not galshare's address form; leave it alone
		}
		c := &Change{Address: a, Tenant: r.Tenant, Origin: string(r.Origin), Reason: "no longer in manifest"}
		b.removals[a] = true
		c.Before = maps.Clone(r.Attributes)
		if c.Before == nil {
			c.Before = map[string]string{}
		}
		c.Before["id"] = r.ID
		b.orphanPayload(c, r)

		if other := b.holderOf(r.ID); other != nil {
			c.Action, c.Forget = NoOp, true
			c.Reason = "now managed as " + other.Address.String() + "; removing the old record"
			b.add(c)
			continue
		}
		live, obs := b.orphanLive(a, r)
		notOurs := ""
		if live {
			notOurs = b.orphanNotOurs(a, r)
		}
		switch {
		case a.Kind == AddrWait:
			c.Action, c.Forget = NoOp, true
		case obs.Status == Missing || (obs.Status == Found && !live):
			c.Action, c.Forget = NoOp, true
			c.Reason = "no longer in manifest; already deleted outside galshare"
		case r.Origin == state.OriginAdopted:
			c.Action, c.Forget = NoOp, true
			c.Reason = "no longer in manifest; adopted, so it stays in Azure and only leaves state"
		case notOurs != "":
			c.Action, c.Forget = NoOp, true
			c.Reason = refusedDelete(notOurs)
		case obs.Status == Denied || (obs.Status == NotRead && obs.Note != ""):
			c.Action = Blocked
			c.Blocked = b.deleteBlock(c, r, obs)
		default:
			c.Action = Delete
		}
		b.add(c)
	}
}

// refusedDelete is the reason of a delete state asked for but the live
// object refused: it is not galshare's, so it stays in Azure and only the
// record leaves state.
func refusedDelete(why string) string {
	return "refusing to delete: " + why + "; state's record is wrong (edited by hand?), so the object stays in Azure " +
		"and only the record leaves state"
}

// orphanNotOurs says why the live object a state-only record points at is
// not galshare's ("" when it is). State alone is not trusted for a delete:
// a hand-added record "origin: created" pointing at the operator's own User
// Access Administrator assignment must not make apply delete it (issue 12,
// item 6). galshare's role assignments are of its app's service principal
// in that tenant and carry its marker description; its service principals
// carry its marker tag; its passwords keep the displayName and hint state
// recorded when it made them.
func (b *builder) orphanNotOurs(a Address, r state.Resource) string {
	switch a.Kind {
	case AddrGalleryRole, AddrConsumerRole:
		if o := b.snap.AssignmentsByID[IDKey(r.ID)]; o.Assignment != nil {
			return b.assignmentNotOurs(o.Assignment, r.Tenant)
		}
	case AddrServicePrincipal:
		if o := b.snap.SPs[TenantKey(r.Tenant)]; o.SP != nil && !containsFold(o.SP.Tags, MarkerTag(b.m.Name)) {
			return "service principal " + o.SP.ObjectID + " carries no galshare marker tag " + MarkerTag(b.m.Name)
		}
	case AddrPassword:
		if o := b.snap.App; o.App != nil {
			pw := findPassword(o.App.Passwords, func(p azure.PasswordCredential) bool { return strings.EqualFold(p.KeyID, r.ID) })
			if pw == nil {
				return ""
			}
			if want := r.Attributes[AttrDisplayName]; want != "" && pw.DisplayName != want {
				return "password " + pw.KeyID + " is named " + strconv.Quote(pw.DisplayName) + ", not " + strconv.Quote(want) + " as galshare recorded"
			}
			if want := r.Attributes["hint"]; want != "" && pw.Hint != "" && pw.Hint != want {
				return "password " + pw.KeyID + " has hint " + pw.Hint + ", not " + want + " as galshare recorded"
			}
		}
	}
	return ""
}

// assignmentNotOurs says why a live role assignment is not galshare's: its
// principal is not galshare's service principal in the tenant, or it lacks
// galshare's marker description ("" when it is galshare's).
func (b *builder) assignmentNotOurs(ra *azure.RoleAssignment, tenant string) string {
	ours := b.galsharePrincipals(tenant)
	if !ours[strings.ToLower(ra.PrincipalID)] {
		want := "none known"
		if len(ours) > 0 {
			want = strings.Join(slices.Sorted(maps.Keys(ours)), ", ")
		}
		return "role assignment " + ra.ID + " is of principal " + ra.PrincipalID +
			", not of galshare's service principal in tenant " + tenant + " (" + want + ")"
	}
	if want := MarkerDescription(b.m.Name); ra.Description != want {
		return "role assignment " + ra.ID + " has description " + strconv.Quote(ra.Description) +
			", not galshare's marker " + strconv.Quote(want)
	}
	return ""
}

// galsharePrincipals are the object ids (lower case) of the app's service
// principal in tenant: the one refresh read, and any state records.
func (b *builder) galsharePrincipals(tenant string) map[string]bool {
	out := map[string]bool{}
	if o := b.snap.SPs[TenantKey(tenant)]; o.SP != nil && o.SP.ObjectID != "" {
		out[strings.ToLower(o.SP.ObjectID)] = true
	}
	for _, r := range b.st.Resources {
		if r.Type == string(TypeServicePrincipal) && TenantKey(r.Tenant) == TenantKey(tenant) && r.ID != "" {
			out[strings.ToLower(r.ID)] = true
		}
	}
	return out
}

// destroyNotOurs says why the live object a destroy would delete is not
// galshare's although state says it created it ("" when it is, or when
// refresh did not read it): the app and its service principals must carry
// galshare's marker tag, role assignments galshare's principal and marker.
func (b *builder) destroyNotOurs(c *Change) string {
	switch {
	case c.App != nil:
		if o := b.snap.App; o.App != nil && strings.EqualFold(o.App.ObjectID, c.App.ObjectID) && !containsFold(o.App.Tags, MarkerTag(b.m.Name)) {
			return "app " + o.App.AppID + " carries no galshare marker tag " + MarkerTag(b.m.Name)
		}
	case c.ServicePrincipal != nil:
		if o := b.snap.SPs[TenantKey(c.Tenant)]; o.SP != nil && strings.EqualFold(o.SP.ObjectID, c.ServicePrincipal.ObjectID) &&
			!containsFold(o.SP.Tags, MarkerTag(b.m.Name)) {
			return "service principal " + o.SP.ObjectID + " carries no galshare marker tag " + MarkerTag(b.m.Name)
		}
	case c.RoleAssignment != nil:
		if ra := b.liveAssignment(c.RoleAssignment.ExistingID); ra != nil {
			return b.assignmentNotOurs(ra, c.Tenant)
		}
	}
	return ""
}

// liveAssignment is the role assignment with this id among those refresh
// read (nil when none).
func (b *builder) liveAssignment(id string) *azure.RoleAssignment {
	if id == "" {
		return nil
	}
	if o := b.snap.AssignmentsByID[IDKey(id)]; o.Assignment != nil {
		return o.Assignment
	}
	for _, o := range b.snap.Assignments {
		for i := range o.Assignments {
			if IDKey(o.Assignments[i].ID) == IDKey(id) {
				return &o.Assignments[i]
			}
		}
	}
	return nil
}

// holderOf returns a desired change that now holds the object with this id
// (a consumer renamed in the manifest keeps its service principal).
func (b *builder) holderOf(id string) *Change {
	if id == "" {
		return nil
	}
	for _, c := range b.changes[:b.desiredCount] {
		if c.Action == Blocked {
			continue
		}
		if existingID(c) != "" && strings.EqualFold(existingID(c), id) {
			return c
		}
	}
	return nil
}

// existingID is the Azure id of the live object a change acts on, if any.
func existingID(c *Change) string {
	switch {
	case c.App != nil:
		return c.App.ObjectID
	case c.Password != nil:
		if c.Password.ReplacesKeyID != "" {
			return c.Password.ReplacesKeyID
		}
		return c.Password.KeyID
	case c.ServicePrincipal != nil:
		return c.ServicePrincipal.ObjectID
	case c.RoleAssignment != nil:
		return c.RoleAssignment.ExistingID
	}
	return ""
}

// orphanLive says whether the recorded object is still there. obs.Status is
// NotRead with an empty note when refresh had no way to look (deletes are
// then planned and apply treats "not found" as done).
func (b *builder) orphanLive(a Address, r state.Resource) (bool, Obs) {
	switch a.Kind {
	case AddrPassword:
		o := b.snap.App
		if o.Status != Found || !strings.EqualFold(o.App.ObjectID, r.Attributes[AttrAppObjectID]) {
			return false, Obs{}
		}
		return findPassword(o.App.Passwords, func(p azure.PasswordCredential) bool { return strings.EqualFold(p.KeyID, r.ID) }) != nil, o.Obs
	case AddrServicePrincipal:
		o, ok := b.snap.SPs[TenantKey(r.Tenant)]
		if !ok {
			return false, Obs{}
		}
		return o.Status == Found && strings.EqualFold(o.SP.ObjectID, r.ID), o.Obs
	case AddrGalleryRole, AddrConsumerRole:
		o, ok := b.snap.AssignmentsByID[IDKey(r.ID)]
		if !ok {
			return false, Obs{}
		}
		return o.Status == Found, o.Obs
	}
	return false, Obs{}
}

// orphanPayload fills the payload a delete needs from the state record.
func (b *builder) orphanPayload(c *Change, r state.Resource) {
	a := c.Address
	switch a.Kind {
	case AddrApp:
		c.App = &AppPayload{DisplayName: a.App, UniqueName: r.Attributes[AttrUniqueName], ObjectID: r.ID,
			AppID: r.Attributes[AttrAppID]}
	case AddrPassword:
		appObj := r.Attributes[AttrAppObjectID]
		if appObj == "" && b.snap.App.Status == Found {
			appObj = b.snap.App.App.ObjectID
		}
		c.Password = &PasswordPayload{AppAddress: AppAddress(a.App), AppObjectID: appObj, KeyID: r.ID,
			DisplayName: r.Attributes[AttrDisplayName]}
	case AddrServicePrincipal:
		c.ServicePrincipal = &ServicePrincipalPayload{Consumer: a.Consumer, AppAddress: AppAddress(b.m.Publisher.App.DisplayName),
			AppID: r.Attributes[AttrAppID], ObjectID: r.ID}
	case AddrGalleryRole, AddrConsumerRole:
		scope := r.Attributes[AttrScope]
		if scope == "" && a.Kind == AddrConsumerRole {
			scope = a.Scope
		}
		c.RoleAssignment = &RoleAssignmentPayload{Scope: scope, RoleGUID: r.Attributes[AttrRoleDefinitionGUID],
			RoleName: a.Role, PrincipalFrom: a.Owner(), PrincipalID: r.Attributes[AttrPrincipalID], ExistingID: r.ID}
	case AddrWait:
		c.Wait = &WaitPayload{Image: a.Image, Version: a.Version}
	}
}

// deleteBlock is the blocked detail for a delete galshare cannot do itself.
func (b *builder) deleteBlock(c *Change, r state.Resource, o Obs) *BlockedInfo {
	why := "cannot read tenant " + r.Tenant
	if o.Err != nil {
		why = o.Err.Error()
	} else if o.Note != "" {
		why += ": " + o.Note
	}
	bi := &BlockedInfo{Why: why}
	switch c.Address.Kind {
	case AddrServicePrincipal:
		bi.Command = "az ad sp delete --id " + r.ID
	case AddrGalleryRole, AddrConsumerRole:
		bi.Command = "az role assignment delete --ids " + r.ID
	}
	bi.Instructions = []string{"Someone with rights in tenant " + r.Tenant + " removes it (command above), " +
		"or gives galshare credentials there; then plan again."}
	return bi
}

// toDestroy turns the desired changes into the removal of everything
// galshare created; adopted objects only leave state. Orphans are already
// deletes or forgets.
func (b *builder) toDestroy() {
	kept := make([]*Change, 0, len(b.changes))
	for i, c := range b.changes {
		if i >= b.desiredCount {
			kept = append(kept, c)
			continue
		}
		id := existingID(c)
		_, inState := b.stateRes(c.Address)
		if !c.PreviousAddress.IsZero() {
			inState = true
		}
		if c.Password != nil && c.Action == Replace {
			c.Password.KeyID, c.Password.ReplacesKeyID = c.Password.ReplacesKeyID, ""
		}
		if c.RoleAssignment != nil && c.Action == Replace {
			// The new assignment was never made; the recorded one goes.
			inState = true
		}
		c.DependsOn, c.After, c.Adopt = nil, nil, false
		switch {
		case c.Wait != nil:
			continue
		case id != "" && c.Action != Blocked && c.Origin == OriginCreated && b.destroyNotOurs(c) != "":
			c.Action, c.Forget, c.Blocked = NoOp, true, nil
			c.Reason = refusedDelete(b.destroyNotOurs(c))
		case id != "" && c.Action != Blocked && c.Origin == OriginCreated:
			b.removals[c.Address] = true
			c.Action, c.Reason, c.Blocked = Delete, "created by galshare; destroy removes it", nil
		case id != "" && c.Action != Blocked && inState:
			c.Action, c.Forget, c.Blocked = NoOp, true, nil
			c.Reason = "destroy: adopted, so it stays in Azure and only leaves state"
		case c.Action == Blocked && inState:
			rec, _ := b.stateRes(c.Address)
			if rec.Origin != state.OriginCreated {
				c.Action, c.Forget, c.Blocked = NoOp, true, nil
				c.Reason = "destroy: adopted, so it only leaves state"
				break
			}
			c.Reason = "created by galshare; destroy removes it"
			b.removals[c.Address] = true
			c.Blocked = b.deleteBlock(c, rec, Obs{Note: c.Blocked.Why})
		case inState:
			c.Action, c.Forget, c.Blocked = NoOp, true, nil
			c.Reason = "destroy: already deleted outside galshare"
		default:
			continue
		}
		kept = append(kept, c)
	}
	b.changes = kept
	b.byAddr = make(map[Address]*Change, len(kept))
	for _, c := range kept {
		b.byAddr[c.Address] = c
	}
}

// parentAddress is the object a deleted object's parent must outlive:
// role assignments before their service principal, secrets and service
// principals before the app.
func (b *builder) parentAddress(a Address) Address {
	switch a.Kind {
	case AddrPassword:
		return AppAddress(a.App)
	case AddrServicePrincipal:
		if app := b.findKind(AddrApp); app != nil {
			return app.Address
		}
	case AddrGalleryRole, AddrConsumerRole:
		return a.Owner()
	}
	return Address{}
}

func (b *builder) findKind(k AddressKind) *Change {
	for _, c := range b.changes {
		if c.Address.Kind == k && b.isRemoval(c) {
			return c
		}
	}
	return nil
}

// isRemoval reports whether c deletes an object (or would, once a human
// unblocks it).
func (b *builder) isRemoval(c *Change) bool {
	return c.Action == Delete || (c.Action == Blocked && b.removals[c.Address])
}

// linkDeletes adds the reverse edges: a delete waits for the deletes of
// everything that hangs off the object.
func (b *builder) linkDeletes() {
	for _, child := range b.changes {
		if !b.isRemoval(child) {
			continue
		}
		p := b.byAddr[b.parentAddress(child.Address)]
		if p == nil || !b.isRemoval(p) {
			continue
		}
		p.DependsOn = appendUnique(p.DependsOn, child.Address)
	}
}

// propagateBlocked blocks every write whose dependency is blocked, saying
// which one, so that everything not depending on a human still plans.
func (b *builder) propagateBlocked() {
	for changed := true; changed; {
		changed = false
		for _, c := range b.changes {
			var dep *Change
			for _, d := range c.DependsOn {
				if dc := b.byAddr[d]; dc != nil && dc.Action == Blocked {
					dep = dc
					break
				}
			}
			if c.Action == Blocked && c.Blocked == nil && dep == nil {
				dep = b.byAddr[c.Address.Owner()]
			}
			if dep == nil || (c.Action == Blocked && c.Blocked != nil) || c.Action == NoOp {
				continue
			}
			why := "needs " + dep.Address.String() + " first, which is blocked"
			c.Action = Blocked
			switch {
			case c.RoleAssignment != nil && c.Password == nil && !b.opts.Destroy:
				c.Blocked = b.grantBlock(c.Tenant, c.Address.Role, c.RoleAssignment.Scope, why)
			case c.ServicePrincipal != nil && !b.opts.Destroy:
				c.Blocked = b.consentBlock(c.Tenant, why)
			default:
				c.Blocked = &BlockedInfo{Why: why, Instructions: []string{"Resolve " + dep.Address.String() + " first."}}
			}
			changed = true
		}
	}
}

func appendUnique(xs []Address, a Address) []Address {
	for _, x := range xs {
		if x == a {
			return xs
		}
	}
	return append(xs, a)
}
