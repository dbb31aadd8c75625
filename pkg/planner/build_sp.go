package planner

import (
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

func spAttrs(tenant, appID, objectID string) map[string]string {
	if appID == "" {
		appID = KnownAfterApply
	}
	if objectID == "" {
		objectID = KnownAfterApply
	}
	return map[string]string{"tenant": tenant, "appId": appID, "objectId": objectID}
}

// buildServicePrincipal plans the app's service principal in one tenant:
// galshare creates it where it manages the tenant; in a manual tenant (or
// one it cannot read) an admin consents and the plan says how.
func (b *builder) buildServicePrincipal(key, tenant string, access spec.Access) {
	appAddr := AppAddress(b.m.Publisher.App.DisplayName)
	app := b.byAddr[appAddr]
	addr := SPAddress(key)
	want := &ServicePrincipalPayload{Consumer: key, AppAddress: appAddr, AppID: app.App.AppID}
	c := &Change{Address: addr, Tenant: tenant, ServicePrincipal: want, DependsOn: []Address{appAddr}}
	rec, inState := b.stateRes(addr)
	manual := access == spec.AccessManual
	tobs := b.snap.tenant(tenant)
	label := "consumer " + key
	if key == PublisherKey {
		label = "the publisher tenant"
	}
	manualWhy := "consumer " + key + " is manual: an administrator of tenant " + tenant + " must consent to the app"

	if app.App.AppID == "" {
		switch {
		case manual:
			c.Action, c.Blocked = Blocked, b.consentBlock(tenant, manualWhy)
		case !tobs.Readable:
			c.Action, c.Blocked = Blocked, b.consentBlock(tenant, "galshare cannot work in "+label+": "+tobs.Note)
		case app.Action == Blocked:
			c.Action = Blocked // details from propagateBlocked
		default:
			c.Action = Create
			c.Origin = OriginCreated
			c.Reason = b.missingReason(addr, inState)
			want.Tags = []string{MarkerTag(b.m.Name)}
		}
		c.After = spAttrs(tenant, "", "")
		b.add(c)
		return
	}

	obs := b.snap.SPs[TenantKey(tenant)]
	switch obs.Status {
	case Found:
		sp := obs.SP
		var recp *state.Resource
		if inState {
			recp = &rec
		}
		c.Origin = b.originOf(recp, addr, containsFold(sp.Tags, MarkerTag(b.m.Name)))
		c.Adopt = !inState
		c.Action = NoOp
		c.Fingerprint = FingerprintServicePrincipal(sp)
		want.ObjectID = sp.ObjectID
		want.Tags = sp.Tags
		c.Before = spAttrs(tenant, sp.AppID, sp.ObjectID)
		c.After = c.Before
		if c.Adopt {
			what := "objectId " + sp.ObjectID
			if manual {
				what = "consented by an administrator"
			}
			if obs.Note != "" {
				what += "; " + obs.Note
			}
			c.Reason = b.adoptReason(addr, c.Origin, what)
		} else if !strings.EqualFold(rec.ID, sp.ObjectID) {
			// Someone deleted and re-created it: judge the new object afresh.
			c.Origin = b.originOf(nil, addr, containsFold(sp.Tags, MarkerTag(b.m.Name)))
			c.Reason = "re-created outside galshare; recording the new object id"
			c.Adopt = true
		}
	case Missing:
		if manual {
			c.Action, c.Blocked = Blocked, b.consentBlock(tenant, manualWhy)
		} else {
			c.Action = Create
			c.Origin = OriginCreated
			c.Reason = b.missingReason(addr, inState)
			want.Tags = []string{MarkerTag(b.m.Name)}
			c.After = spAttrs(tenant, want.AppID, "")
		}
	default: // Denied, NotRead
		why := manualWhy
		switch {
		case obs.Err != nil:
			why = obs.Err.Error()
		case !manual && obs.Note != "":
			why = "galshare cannot work in " + label + ": " + obs.Note
		case !manual:
			why = "galshare cannot work in " + label + ": " + tobs.Note
		}
		c.Action, c.Blocked = Blocked, b.consentBlock(tenant, why)
	}
	if c.After == nil && c.Action != Blocked {
		c.After = spAttrs(tenant, want.AppID, want.ObjectID)
	}
	b.add(c)
}

func raAttrs(p *RoleAssignmentPayload, id string) map[string]string {
	pid, rid := p.PrincipalID, id
	if pid == "" {
		pid = KnownAfterApply
	}
	if rid == "" {
		rid = KnownAfterApply
	}
	role := p.RoleName
	if role == "" {
		role = p.RoleGUID
	}
	return map[string]string{
		"scope":              p.Scope,
		"role":               role,
		"roleDefinitionGuid": p.RoleGUID,
		"principalId":        pid,
		"principalFrom":      p.PrincipalFrom.String(),
		"id":                 rid,
	}
}

func liveRAAttrs(ra *azure.RoleAssignment, from Address) map[string]string {
	return map[string]string{
		"scope":              ra.Scope,
		"roleDefinitionGuid": ra.RoleDefinitionGUID,
		"principalId":        ra.PrincipalID,
		"principalFrom":      from.String(),
		"id":                 ra.ID,
		"description":        ra.Description,
	}
}

// buildGalleryRole plans the publisher SP's role on a gallery (step 3).
func (b *builder) buildGalleryRole(g spec.Gallery) {
	addr := GalleryRoleAddress(g.Name, g.Role.String())
	spAddr := SPAddress(PublisherKey)
	c := &Change{Address: addr, Tenant: b.m.Publisher.Tenant, DependsOn: []Address{spAddr}}
	c.RoleAssignment = &RoleAssignmentPayload{Scope: g.ID, RoleGUID: g.Role.DefinitionGUID, RoleName: g.Role.Name,
		PrincipalFrom: spAddr, Description: MarkerDescription(b.m.Name)}
	gobs := b.snap.Galleries[IDKey(g.ID)]
	switch gobs.Status {
	case Missing:
		c.Action = Blocked
		c.Blocked = &BlockedInfo{Why: "gallery " + g.ID + " does not exist in tenant " + b.m.Publisher.Tenant,
			Instructions: []string{"Create the gallery, or fix publisher.galleries[].id in the manifest."}}
		b.add(c)
		return
	case Denied:
		c.Action = Blocked
		c.Blocked = deniedBlock(gobs.Obs, "read gallery "+g.ID,
			"Give the operator Reader (plan) and Owner or User Access Administrator (apply) on the gallery.")
		b.add(c)
		return
	}
	b.planAssignment(c, g.Role.String(), false, "")
}

// buildConsumerRole plans one grant in a consumer tenant (step 5).
func (b *builder) buildConsumerRole(cons spec.Consumer, gr spec.Grant) {
	addr := ConsumerRoleAddress(cons.Name, gr.Scope, gr.Role.String())
	spAddr := SPAddress(cons.Name)
	c := &Change{Address: addr, Tenant: cons.Tenant, DependsOn: []Address{spAddr}}
	c.RoleAssignment = &RoleAssignmentPayload{Scope: gr.Scope, RoleGUID: gr.Role.DefinitionGUID, RoleName: gr.Role.Name,
		PrincipalFrom: spAddr, Description: MarkerDescription(b.m.Name)}
	manual := cons.Access == spec.AccessManual
	why := ""
	if manual {
		why = "consumer " + cons.Name + " is manual: an administrator of tenant " + cons.Tenant + " must grant the role"
	}
	b.planAssignment(c, gr.Role.String(), manual, why)
}

// planAssignment decides a role assignment once its principal's change is
// known: create, adopt, keep, or replace (new principal, or the grant's role
// changed on the same scope). Manual tenants never get writes: what would be
// a create is a blocked action with the exact az command.
func (b *builder) planAssignment(c *Change, role string, manual bool, manualWhy string) {
	want := c.RoleAssignment
	sp := b.byAddr[want.PrincipalFrom]
	want.PrincipalID = sp.ServicePrincipal.ObjectID
	addr := c.Address

	rec, inState := b.stateRes(addr)
	prev, hasPrev := state.Resource{}, false
	if !inState {
		prev, hasPrev = b.previousAssignment(addr)
	}
	block := func(why string) {
		c.Action, c.Blocked = Blocked, b.grantBlock(c.Tenant, role, want.Scope, why)
		c.After = raAttrs(want, "")
		b.add(c)
	}
	create := func(reason string) {
		c.Origin = OriginCreated
		c.After = raAttrs(want, "")
		switch {
		case hasPrev:
			c.Action = Replace
			c.PreviousAddress = MustParseAddress(prev.Address)
			want.ExistingID = prev.ID
			c.Before = map[string]string{"id": prev.ID, "roleDefinitionGuid": prev.Attributes[AttrRoleDefinitionGUID],
				"scope": prev.Attributes[AttrScope], "principalId": prev.Attributes[AttrPrincipalID]}
			c.Reason = "role changed: " + prev.Address + " becomes " + addr.String()
		case inState && (sp.Action == Create || principalChanged(rec, want.PrincipalID)):
			c.Action = Replace
			want.ExistingID = rec.ID
			c.Before = map[string]string{"id": rec.ID, "principalId": rec.Attributes[AttrPrincipalID]}
			c.Reason = "its service principal is re-created"
		default:
			c.Action = Create
			c.Reason = reason
		}
		b.add(c)
	}

	if manual && sp.Action != NoOp {
		block(manualWhy)
		return
	}
	switch sp.Action {
	case Blocked:
		block("needs " + sp.Address.String() + " first")
		return
	case Create:
		if so, ok := b.snap.Scopes[IDKey(want.Scope)]; ok {
			switch so.Status {
			case Missing:
				block("scope " + want.Scope + " does not exist; create it or fix the grant's scope")
				return
			case Denied:
				block(so.Err.Error())
				return
			}
		}
		create(b.missingReason(addr, inState))
		return
	}

	list := b.snap.Assignments[AssignmentsKey(want.Scope, want.PrincipalID)]
	switch list.Status {
	case Missing:
		block("scope " + want.Scope + " does not exist; create it or fix the grant's scope")
		return
	case Denied:
		if manual {
			block(manualWhy + " (the app cannot list its role assignments at the scope yet)")
			return
		}
		block(list.Err.Error())
		return
	case NotRead:
		note := list.Note
		if note == "" {
			note = b.snap.tenant(c.Tenant).Note
		}
		if manual {
			note = manualWhy
		}
		block("could not read role assignments at " + want.Scope + ": " + note)
		return
	}
	recID := ""
	if inState {
		recID = rec.ID
	}
	match := pickAssignment(list.Assignments, want, recID)
	if match == nil {
		if manual {
			block(manualWhy)
			return
		}
		create(b.missingReason(addr, inState))
		return
	}
	var recp *state.Resource
	if inState {
		recp = &rec
	}
	marked := match.Description == want.Description
	c.Origin = b.originOf(recp, addr, marked)
	c.Adopt = !inState
	if inState && IDKey(rec.ID) != IDKey(match.ID) {
		// Another assignment grants the same role now: judge it afresh.
		c.Adopt = true
		c.Origin = b.originOf(nil, addr, marked)
	}
	c.Action = NoOp
	c.Fingerprint = FingerprintRoleAssignment(match)
	want.ExistingID = match.ID
	c.Before = liveRAAttrs(match, want.PrincipalFrom)
	c.After = c.Before
	if c.Adopt {
		c.Reason = b.adoptReason(addr, c.Origin, "assignment "+match.Name)
	}
	b.add(c)
}

// principalChanged reports whether state recorded the assignment for
// another principal than the service principal that exists now.
func principalChanged(rec state.Resource, principalID string) bool {
	old := rec.Attributes[AttrPrincipalID]
	return old != "" && principalID != "" && !strings.EqualFold(old, principalID)
}

// previousAssignment finds a state record for the same grant (same kind,
// consumer or gallery, and scope) under another role that the manifest no
// longer asks for: the grant's role changed and the old one is replaced.
func (b *builder) previousAssignment(addr Address) (state.Resource, bool) {
	for _, r := range b.st.Resources {
		if r.Type != string(TypeRoleAssignment) || b.consumed[r.Address] {
			continue
		}
		a, err := ParseAddress(r.Address)
		if err != nil || a.Kind != addr.Kind || a == addr || a.Role == addr.Role {
			continue
		}
		same := false
		switch a.Kind {
		case AddrGalleryRole:
			same = a.Gallery == addr.Gallery
		case AddrConsumerRole:
			same = a.Consumer == addr.Consumer && IDKey(a.Scope) == IDKey(addr.Scope)
		}
		if !same || b.desiredAddress(a) {
			continue
		}
		return r, true
	}
	return state.Resource{}, false
}

// desiredAddress reports whether the manifest asks for an object at a.
func (b *builder) desiredAddress(a Address) bool {
	switch a.Kind {
	case AddrGalleryRole:
		for _, g := range b.m.Publisher.Galleries {
			if g.Name == a.Gallery && g.Role.String() == a.Role {
				return true
			}
		}
	case AddrConsumerRole:
		for _, c := range b.m.Consumers {
			if c.Name != a.Consumer {
				continue
			}
			for _, gr := range c.Grants {
				if IDKey(gr.Scope) == IDKey(a.Scope) && gr.Role.String() == a.Role {
					return true
				}
			}
		}
	}
	return false
}

// pickAssignment chooses which of the live assignments granting the wanted
// role to adopt. An admin may have made a duplicate by hand (same role,
// principal and scope under another name); adopting whichever is listed first
// would let destroy leave galshare's own assignment behind. So it prefers, in
// order: the ID recorded in state, galshare's deterministic name, galshare's
// marker description, then any other (the first listed). Nil when none
// grants the role.
func pickAssignment(list []azure.RoleAssignment, want *RoleAssignmentPayload, stateID string) *azure.RoleAssignment {
	name := azure.RoleAssignmentName(want.Scope, want.PrincipalID, want.RoleGUID)
	best, bestRank := -1, 0
	for i, ra := range list {
		if !strings.EqualFold(ra.RoleDefinitionGUID, want.RoleGUID) {
			continue
		}
		rank := 1
		switch {
		case stateID != "" && IDKey(ra.ID) == IDKey(stateID):
			rank = 4
		case strings.EqualFold(ra.Name, name):
			rank = 3
		case want.Description != "" && ra.Description == want.Description:
			rank = 2
		}
		if rank > bestRank {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		return nil
	}
	return &list[best]
}
