package planner

import (
	"context"
	"errors"
	"strings"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// The reads refresh makes, one function per kind of object. Each records
// its observation in the snapshot under the refresher's lock and counts its
// calls; failures are classified by refresher.classify.

func (r *refresher) dir(ctx context.Context, tenant string) (azure.Directory, Obs, bool) {
	if ok, note := r.readable(tenant); !ok {
		return nil, Obs{Note: note}, false
	}
	d, err := r.conn.Directory(ctx, tenant)
	if err != nil {
		return nil, r.classify(tenant, err), false
	}
	return d, Obs{}, true
}

func (r *refresher) res(ctx context.Context, tenant string) (azure.Resources, Obs, bool) {
	r.mu.Lock()
	probed := r.probed[TenantKey(tenant)]
	r.mu.Unlock()
	if probed {
		x, err := r.probe.Resources(ctx, tenant)
		if err != nil {
			return nil, r.classifyProbe(tenant, err), false
		}
		return x, Obs{}, true
	}
	if ok, note := r.readable(tenant); !ok {
		return nil, Obs{Note: note}, false
	}
	x, err := r.conn.Resources(ctx, tenant)
	if err != nil {
		return nil, r.classify(tenant, err), false
	}
	return x, Obs{}, true
}

// stateAppID is the appId state recorded for the app, if any.
func (r *refresher) stateAppID() string {
	for _, res := range r.st.Resources {
		if res.Type == string(TypeApplication) && res.Attributes[AttrAppID] != "" {
			return res.Attributes[AttrAppID]
		}
	}
	return ""
}

func (r *refresher) readApp(ctx context.Context) {
	tenant := r.m.Publisher.Tenant
	set := func(o AppObs) {
		r.mu.Lock()
		r.snap.App = o
		r.mu.Unlock()
	}
	d, o, ok := r.dir(ctx, tenant)
	if !ok {
		set(AppObs{Obs: o})
		return
	}
	app := r.m.Publisher.App
	found := func(a *azure.Application, by string) { set(AppObs{Obs: Obs{Status: Found}, App: a, FoundBy: by}) }
	fail := func(err error) bool {
		if azure.IsNotFound(err) {
			return false
		}
		set(AppObs{Obs: r.classify(tenant, err)})
		return true
	}

	if app.UniqueName != "" {
		r.call()
		a, err := d.GetApplicationByUniqueName(ctx, app.UniqueName)
		if err == nil {
			found(a, "uniqueName")
			return
		}
		if fail(err) {
			return
		}
	}
	if id := r.stateAppID(); id != "" {
		r.call()
		a, err := d.GetApplicationByAppID(ctx, id)
		if err == nil {
			found(a, "appId")
			return
		}
		if fail(err) {
			return
		}
	}
	r.call()
	tagged, err := d.ListApplicationsByTag(ctx, MarkerTag(r.m.Name))
	if err != nil {
		if fail(err) {
			return
		}
	}
	if len(tagged) == 1 {
		found(&tagged[0], "tag")
		return
	}
	if ad := app.Adopt; ad != nil {
		// The manifest names the hand-made app to take over; nothing else
		// is looked for (Build checks it is not another manifest's).
		r.call()
		a, err := d.GetApplicationByAppID(ctx, ad.AppID)
		if err == nil {
			found(a, FoundByAdopt)
			return
		}
		if !fail(err) {
			set(AppObs{Obs: Obs{Status: Missing}})
		}
		return
	}
	if app.UniqueNameSet {
		// The operator chose the key: an app that merely shares the
		// displayName is not this manifest's business.
		set(AppObs{Obs: Obs{Status: Missing}})
		return
	}
	// Only to report a conflict: an app found by displayName is never
	// adopted (Build blocks on a hand-made one and names the fix).
	r.call()
	named, err := d.ListApplicationsByDisplayName(ctx, app.DisplayName)
	if err != nil {
		if fail(err) {
			return
		}
	}
	set(AppObs{Obs: Obs{Status: Missing}, SameName: named})
}

func (r *refresher) readGallery(ctx context.Context, id string) {
	x, o, ok := r.res(ctx, r.m.Publisher.Tenant)
	if ok {
		r.call()
		g, err := x.GetGallery(ctx, id)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(r.m.Publisher.Tenant, err)
		}
		r.mu.Lock()
		r.snap.Galleries[IDKey(id)] = GalleryObs{Obs: o, Gallery: g}
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	r.snap.Galleries[IDKey(id)] = GalleryObs{Obs: o}
	r.mu.Unlock()
}

func (r *refresher) readVersion(ctx context.Context, galleryID string, w spec.ImageVersionRef) {
	key := VersionKey(galleryID, w.Image, w.Version)
	x, o, ok := r.res(ctx, r.m.Publisher.Tenant)
	var v *azure.ImageVersion
	if ok {
		r.call()
		var err error
		v, err = x.GetImageVersion(ctx, galleryID, w.Image, w.Version)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(r.m.Publisher.Tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.Versions[key] = VersionObs{Obs: o, Version: v}
	r.mu.Unlock()
}

// orphanAssignments are role assignments state records at addresses the
// manifest no longer asks for: read by id so Build can delete or forget them.
func (r *refresher) orphanAssignments() []state.Resource {
	want := map[string]bool{}
	for _, g := range r.m.Publisher.Galleries {
		want[GalleryRoleAddress(g.Name, g.Role.String()).String()] = true
	}
	for _, c := range r.m.Consumers {
		for _, gr := range c.Grants {
			want[ConsumerRoleAddress(c.Name, gr.Scope, gr.Role.String()).String()] = true
		}
	}
	var out []state.Resource
	seen := map[string]bool{}
	for _, res := range r.st.Resources {
		if res.Type != string(TypeRoleAssignment) || want[res.Address] || res.ID == "" || seen[IDKey(res.ID)] {
			continue
		}
		seen[IDKey(res.ID)] = true
		out = append(out, res)
	}
	return out
}

func (r *refresher) readAssignmentByID(ctx context.Context, tenant, id string) {
	x, o, ok := r.res(ctx, tenant)
	var ra *azure.RoleAssignment
	if ok {
		r.call()
		var err error
		ra, err = x.GetRoleAssignment(ctx, id)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.AssignmentsByID[IDKey(id)] = AssignmentObs{Obs: o, Assignment: ra}
	r.mu.Unlock()
}

type spRead struct{ tenant, appID string }

// spTenants lists the tenants whose service principal to read: the
// publisher, every consumer and every tenant state remembers an SP in, once
// each, with the appId to look for.
func (r *refresher) spTenants() []spRead {
	appID := ""
	if r.snap.App.Status == Found {
		appID = r.snap.App.App.AppID
	}
	var out []spRead
	seen := map[string]bool{}
	add := func(t, id string) {
		if id == "" || seen[TenantKey(t)] {
			return
		}
		seen[TenantKey(t)] = true
		out = append(out, spRead{t, id})
	}
	add(r.m.Publisher.Tenant, appID)
	for _, c := range r.m.Consumers {
		add(c.Tenant, appID)
	}
	for _, res := range r.st.Resources {
		if res.Type == string(TypeServicePrincipal) {
			id := appID
			if id == "" {
				id = res.Attributes[AttrAppID]
			}
			add(res.Tenant, id)
		}
	}
	return out
}

func (r *refresher) readSP(ctx context.Context, tenant, appID string) {
	if r.canProbe(tenant, appID) {
		r.probeSP(ctx, tenant)
		return
	}
	d, o, ok := r.dir(ctx, tenant)
	var sp *azure.ServicePrincipal
	if ok {
		r.call()
		var err error
		sp, err = d.GetServicePrincipal(ctx, appID)
		if err == nil {
			o = Obs{Status: Found}
		} else {
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.SPs[TenantKey(tenant)] = SPObs{Obs: o, SP: sp}
	r.mu.Unlock()
}

// readScopes starts phase 3: one assignment list per (scope, principal) for
// principals that exist, one existence check per consumer scope otherwise.
func (r *refresher) readScopes() {
	type scopeRead struct{ tenant, scope string }
	var lists, checks []scopeRead
	seenList, seenCheck := map[string]bool{}, map[string]bool{}
	principal := func(tenant string) string {
		if o := r.snap.SPs[TenantKey(tenant)]; o.Status == Found {
			return o.SP.ObjectID
		}
		return ""
	}
	add := func(tenant, scope string, check bool) {
		if p := principal(tenant); p != "" {
			if k := AssignmentsKey(scope, p); !seenList[k] {
				seenList[k] = true
				lists = append(lists, scopeRead{tenant, scope})
			}
			return
		}
		if k := IDKey(scope); check && !seenCheck[k] {
			seenCheck[k] = true
			checks = append(checks, scopeRead{tenant, scope})
		}
	}
	for _, g := range r.m.Publisher.Galleries {
		add(r.m.Publisher.Tenant, g.ID, false) // the gallery read already checks it
	}
	for _, c := range r.m.Consumers {
		for _, gr := range c.Grants {
			add(c.Tenant, gr.Scope, true)
		}
	}
	for _, l := range lists {
		p := principal(l.tenant)
		r.goReadAs(l.tenant, apiARM, func(ctx context.Context) { r.readAssignments(ctx, l.tenant, l.scope, p) })
	}
	for _, c := range checks {
		if r.rightsAnswerExistence(c.tenant, c.scope) {
			r.goReadAs(c.tenant, apiARM, func(ctx context.Context) { r.readScopeRights(ctx, c.tenant, c.scope) })
			continue
		}
		r.goReadAs(c.tenant, apiARM, func(ctx context.Context) { r.readScope(ctx, c.tenant, c.scope) })
	}
}

func (r *refresher) readAssignments(ctx context.Context, tenant, scope, principalID string) {
	x, o, ok := r.res(ctx, tenant)
	var list []azure.RoleAssignment
	if ok {
		r.call()
		var err error
		list, err = x.ListRoleAssignments(ctx, scope, principalID)
		switch {
		case err == nil:
			o = Obs{Status: Found}
		case r.isProbed(tenant):
			o = r.classifyProbe(tenant, err)
		default:
			o = r.classify(tenant, err)
		}
	}
	r.mu.Lock()
	r.snap.Assignments[AssignmentsKey(scope, principalID)] = AssignmentsObs{Obs: o, Assignments: list}
	r.mu.Unlock()
}

func (r *refresher) readScope(ctx context.Context, tenant, scope string) {
	x, o, ok := r.res(ctx, tenant)
	if ok {
		o = r.checkScope(ctx, x, tenant, scope)
	}
	r.setScope(scope, o)
}

// checkScope reads whether scope exists (one call).
func (r *refresher) checkScope(ctx context.Context, x azure.Resources, tenant, scope string) Obs {
	r.call()
	if err := x.CheckScope(ctx, scope); err != nil {
		return r.classify(tenant, err)
	}
	return Obs{Status: Found}
}

func (r *refresher) setScope(scope string, o Obs) {
	r.mu.Lock()
	r.snap.Scopes[IDKey(scope)] = ScopeObs{Obs: o}
	r.mu.Unlock()
}

// canProbe reports whether tenant is a manual tenant galshare cannot read
// itself but may check as the app.
func (r *refresher) canProbe(tenant, appID string) bool {
	if r.probe == nil || appID == "" || !strings.EqualFold(appID, r.probeAppID) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := TenantKey(tenant)
	return r.manual[k] && !r.snap.tenant(tenant).Readable
}

func (r *refresher) isProbed(tenant string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.probed[TenantKey(tenant)]
}

// probeSP signs in as the app in a manual tenant: a token proves the
// service principal exists (an administrator consented) and names its object
// id; AADSTS700016 means no consent yet. Nothing here is fatal: at worst the
// tenant stays unread and its actions blocked.
func (r *refresher) probeSP(ctx context.Context, tenant string) {
	r.call()
	id, err := r.probe.SignInIdentity(ctx, tenant)
	var o SPObs
	switch {
	case err == nil:
		o = SPObs{Obs: Obs{Status: Found, Note: "verified by signing in as the app"},
			SP: &azure.ServicePrincipal{Tenant: tenant, ObjectID: id.ObjectID, AppID: id.AppID}}
	default:
		var ae *azure.Error
		if errors.As(err, &ae) && ae.Code == "AADSTS700016" {
			o = SPObs{Obs: Obs{Status: Missing, Note: "the app cannot sign in there yet: no consent"}}
		} else {
			o = SPObs{Obs: r.classifyProbe(tenant, err)}
		}
	}
	r.mu.Lock()
	r.snap.SPs[TenantKey(tenant)] = o
	if o.Status == Found {
		r.probed[TenantKey(tenant)] = true
		r.snap.Tenants[TenantKey(tenant)] = TenantObs{Readable: true,
			Note: "read as the app (galshare has no credentials there)"}
	}
	r.mu.Unlock()
}

// classifyProbe is classify for calls made as the app: a 404 is still
// "missing" and a 403 still "denied" (the app cannot read: the grant is not
// there), anything else only leaves the object unread.
func (r *refresher) classifyProbe(tenant string, err error) Obs {
	switch azure.KindOf(err) {
	case azure.KindNotFound:
		return Obs{Status: Missing}
	case azure.KindPermissionDenied:
		var ae *azure.Error
		if !errors.As(err, &ae) {
			ae = azure.Classify(tenant, "", "", err)
		}
		return Obs{Status: Denied, Err: ae}
	}
	return Obs{Status: NotRead, Note: "checking as the app failed: " + err.Error()}
}
