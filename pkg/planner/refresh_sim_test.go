package planner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/spec"
)

// The quickstart against its simulator world, from nothing to done by hand.
func TestSimQuickstart(t *testing.T) {
	e := startSim(t, loadSeed(t, "quickstart"), nil)
	m := loadManifest(t, "quickstart")
	role := "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg:Contributor]"
	wait := "wait[myGallery/ubuntu-2204/1.0.0]"

	// Empty world: every step of the procedure, in a valid order.
	p, snap, stats := e.plan(t, m, nil, Options{})
	waitAction := mustChange(p, wait).Action.String() // wait or no-op depending on replication progress
	wantActions(t, p, map[string]string{
		"app.myGalleryApp": "create", "app.myGalleryApp.secret[primary]": "create", "sp[publisher]": "create",
		"gallery[myGallery].role[Reader]": "create", wait: waitAction, "sp[fabrikam]": "create", role: "create",
	})
	if stats.Writes != 0 {
		t.Errorf("plan wrote to Azure: %+v", stats)
	}
	// 1 GET app by uniqueName, 2 lists (tag, displayName), 1 gallery,
	// 1 image version, and the write preflight's 2 effective-permission
	// reads (the gallery, vm-rg); the one at vm-rg also tells that the
	// resource group exists, so it is not read on its own.
	if got := apiCalls(stats); got != 7 || snap.Calls != 7 || stats.Routes["GET permissions"] != 2 || stats.Routes["GET resourceGroup"] != 0 {
		t.Errorf("empty-world refresh made %d API calls (snapshot says %d), want 7: %v", got, snap.Calls, stats.Routes)
	}
	if p.IsBlocked() {
		t.Errorf("the seeded operators hold every right, yet the plan is blocked: %v", actions(p))
	}
	t.Logf("quickstart empty world: %d API calls, %d in total with sign-in: %v", apiCalls(stats), stats.Total, stats.Routes)

	// Everything done (with galshare's markers, state lost): adopted as created, nothing duplicated.
	h := &byHand{t: t, e: e, m: m, marked: true}
	h.everything()
	p, snap, stats = e.planWith(t, m, nil, RefreshOptions{Delivered: h.delivered}, Options{})
	if snap.App.FoundBy != "uniqueName" {
		t.Errorf("app found by %q, want uniqueName", snap.App.FoundBy)
	}
	for _, c := range p.Changes {
		if c.Type == TypeWait {
			continue
		}
		if c.Action != NoOp || !c.Adopt || c.Origin != OriginCreated {
			t.Errorf("%s: %s adopt=%v origin=%s; want a no-op adoption as created", c.Address, c.Action, c.Adopt, c.Origin)
		}
	}
	// 1 app, 1 gallery, 1 version, 2 SPs, 2 assignment lists; no write, so
	// no preflight read.
	if got := apiCalls(stats); got != 7 || stats.Writes != 0 || stats.Routes["GET permissions"] != 0 {
		t.Errorf("converged refresh made %d API calls, %d writes; want 7, 0: %v", got, stats.Writes, stats.Routes)
	}
	t.Logf("quickstart converged: %d API calls, %d in total: %v", apiCalls(stats), stats.Total, stats.Routes)

	// With the state apply would have written: no changes at all.
	st := stateFrom(p)
	p, _, _ = e.plan(t, m, st, Options{})
	if p.HasChanges() && mustChange(p, wait).Action != Wait {
		t.Errorf("converged world with state still has changes: %v", actions(p))
	}

	// A removed consumer plans its deletions, role assignment first.
	less := loadManifest(t, "quickstart")
	less.Consumers = nil
	p, snap, _ = e.plan(t, less, st, Options{})
	if c := mustChange(p, "sp[fabrikam]"); c.Action != Delete || len(c.DependsOn) != 1 || c.DependsOn[0].String() != role {
		t.Errorf("sp[fabrikam] = %s deps %v", c.Action, c.DependsOn)
	}
	if c := mustChange(p, role); c.Action != Delete {
		t.Errorf("%s = %s", role, c.Action)
	}
	if snap.SPs[TenantKey("22222222-2222-2222-2222-222222222222")].Status != Found {
		t.Error("refresh did not read the removed consumer's service principal")
	}

	// --destroy: reverse order.
	p, _, _ = e.plan(t, m, st, Options{Destroy: true})
	pos := map[string]int{}
	for i, c := range p.Changes {
		if c.Action != Delete {
			t.Errorf("destroy: %s is %s", c.Address, c.Action)
		}
		pos[c.Address.String()] = i
	}
	for _, before := range [][2]string{{role, "sp[fabrikam]"}, {"sp[fabrikam]", "app.myGalleryApp"},
		{"gallery[myGallery].role[Reader]", "sp[publisher]"}, {"sp[publisher]", "app.myGalleryApp"},
		{"app.myGalleryApp.secret[primary]", "app.myGalleryApp"}} {
		if pos[before[0]] >= pos[before[1]] {
			t.Errorf("destroy deletes %s before %s", before[1], before[0])
		}
	}
}

// Part of the procedure done by hand in the portal: adopted, not duplicated.
func TestSimQuickstartPartlyByHand(t *testing.T) {
	e := startSim(t, loadSeed(t, "quickstart"), nil)
	m := loadManifest(t, "quickstart")
	h := &byHand{t: t, e: e, m: m}
	h.registerApp("registered-in-the-portal") // not galshare's key, no marker
	pub := h.servicePrincipal(m.Publisher.Tenant)
	h.grant(m.Publisher.Tenant, m.Publisher.Galleries[0].ID, m.Publisher.Galleries[0].Role.DefinitionGUID, pub.ObjectID)

	// Found only by displayName: a conflict, never an adoption.
	p, _, _ := e.plan(t, m, nil, Options{})
	if c := mustChange(p, "app.myGalleryApp"); c.Action != Blocked || !strings.Contains(c.Blocked.Why, h.app.AppID) ||
		!strings.Contains(strings.Join(c.Blocked.Instructions, " "), "adopt: {appId: "+h.app.AppID+"}") {
		t.Errorf("app found by display name: %s %+v, want blocked naming the appId and the adopt fix", c.Action, c.Blocked)
	}
	for _, c := range p.Changes {
		if c.Adopt {
			t.Errorf("%s adopted without publisher.app.adopt", c.Address)
		}
	}

	// Adopted explicitly: the app and what hangs off it are adopted.
	m.Publisher.App.Adopt = &spec.Adopt{AppID: h.app.AppID}
	p, snap, _ := e.plan(t, m, nil, Options{})
	if snap.App.FoundBy != FoundByAdopt {
		t.Errorf("app found by %q", snap.App.FoundBy)
	}
	role := "role[fabrikam:/subscriptions/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb/resourceGroups/vm-rg:Contributor]"
	wait := "wait[myGallery/ubuntu-2204/1.0.0]"
	wantActions(t, p, map[string]string{
		"app.myGalleryApp": "no-op adopt:adopted", "app.myGalleryApp.secret[primary]": "create",
		"sp[publisher]": "no-op adopt:adopted", "gallery[myGallery].role[Reader]": "no-op adopt:adopted",
		wait: mustChange(p, wait).Action.String(), "sp[fabrikam]": "create", role: "create",
	})
	if c := mustChange(p, "sp[fabrikam]"); c.ServicePrincipal.AppID != h.app.AppID {
		t.Errorf("consumer SP would be created for appId %q, want the adopted app's %q", c.ServicePrincipal.AppID, h.app.AppID)
	}
}

// A manual consumer: blocked with the simulator's consent URLs, the rest plans.
func TestSimPartnerMSPManualConsumer(t *testing.T) {
	e := startSim(t, loadSeed(t, "partner-msp"), nil)
	m := loadManifest(t, "partner-msp")
	h := &byHand{t: t, e: e, m: m, marked: true}
	h.registerApp(m.Publisher.App.UniqueName)

	p, snap, _ := e.plan(t, m, nil, Options{})
	if !p.IsBlocked() {
		t.Fatalf("not blocked: %v", actions(p))
	}
	var gamma *spec.Consumer
	for i := range m.Consumers {
		if m.Consumers[i].Access == spec.AccessManual {
			gamma = &m.Consumers[i]
		}
	}
	sp := mustChange(p, "sp["+gamma.Name+"]")
	authority := strings.TrimSuffix(e.env.AuthorityHost, "/")
	want := authority + "/" + gamma.Tenant + "/oauth2/authorize?client_id=" + h.app.AppID +
		"&response_type=code&redirect_uri=" + "https%3A%2F%2Fwww.microsoft.com"
	if sp.Action != Blocked || sp.Blocked.ConsentURL != want {
		t.Errorf("sp[%s] = %s, consent URL\n got %s\nwant %s", gamma.Name, sp.Action, sp.Blocked.ConsentURL, want)
	}
	grant := mustChange(p, ConsumerRoleAddress(gamma.Name, gamma.Grants[0].Scope, gamma.Grants[0].Role.String()).String())
	if !strings.Contains(grant.Blocked.Command, "--assignee "+h.app.AppID) {
		t.Errorf("grant command %q", grant.Blocked.Command)
	}
	for _, c := range m.Consumers {
		if c.Access == spec.AccessManaged && mustChange(p, "sp["+c.Name+"]").Action != Create {
			t.Errorf("managed consumer %s not planned", c.Name)
		}
	}
	// The manual tenant (no credentials) was not read at all.
	if o := snap.Tenants[TenantKey(gamma.Tenant)]; o.Readable {
		t.Errorf("manual tenant without credentials marked readable")
	}
	if o, ok := snap.SPs[TenantKey(gamma.Tenant)]; ok && o.Status != NotRead {
		t.Errorf("manual tenant's service principal was read: %+v", o)
	}
}

// consumersWorld extends the quickstart seed and manifest to n managed
// consumers, each with an operator and a resource group.
func consumersWorld(t *testing.T, n int) (*azsim.Seed, *spec.Manifest) {
	seed := loadSeed(t, "quickstart")
	m := loadManifest(t, "quickstart")
	for i := 1; i < n; i++ {
		tenant := fmt.Sprintf("c0%06d-0000-4000-8000-000000000000", i)
		sub := fmt.Sprintf("d0%06d-0000-4000-8000-000000000000", i)
		seed.Tenants = append(seed.Tenants, azsim.TenantSeed{ID: tenant, Domain: fmt.Sprintf("customer%d.example", i),
			DisplayName: fmt.Sprintf("Customer %d", i),
			Operators: []azsim.OperatorSeed{{Name: "galshare", ClientID: fmt.Sprintf("e0%06d-0000-4000-8000-000000000000", i),
				ClientSecret: fmt.Sprintf("sim-operator-secret-%06d", i), GraphPermissions: []string{"Application.ReadWrite.All"}}}})
		seed.Subscriptions = append(seed.Subscriptions, azsim.SubscriptionSeed{ID: sub, Tenant: tenant,
			ResourceGroups: []azsim.ResourceGroupSeed{{Name: "vm-rg", Location: "eastus"}}})
		seed.RoleAssignments = append(seed.RoleAssignments, azsim.RoleAssignmentSeed{Scope: "/subscriptions/" + sub,
			Role: "User Access Administrator", Principal: azsim.PrincipalSeed{Tenant: tenant, Operator: "galshare"}})
		m.Consumers = append(m.Consumers, spec.Consumer{Name: fmt.Sprintf("customer-%02d", i), Tenant: tenant,
			Access: spec.AccessManaged, Grants: []spec.Grant{{Scope: "/subscriptions/" + sub + "/resourceGroups/vm-rg",
				Role: m.Consumers[0].Grants[0].Role}}})
	}
	return seed, m
}

// Refresh cost grows with the objects, one read each: the figures for the
// report come from here.
func TestSimTwentyConsumersCallCount(t *testing.T) {
	seed, m := consumersWorld(t, 20)
	e := startSim(t, seed, nil)

	p, _, stats := e.plan(t, m, nil, Options{})
	if s := p.Summary(); s.Add != 4+2*20 || p.IsBlocked() {
		t.Errorf("summary %+v: %v", s, actions(p))
	}
	// app (3 lookups) + gallery + version + the preflight's effective
	// permissions at the gallery and at each consumer's resource group (which
	// is also that group's existence check).
	if got, want := apiCalls(stats), int64(3+1+1+21); got != want || stats.Writes != 0 || stats.Routes["GET resourceGroup"] != 0 {
		t.Errorf("empty world: %d API calls, %d writes; want %d, 0: %v", got, stats.Writes, want, stats.Routes)
	}
	t.Logf("20 consumers, empty world: %d API calls, %d with sign-in", apiCalls(stats), stats.Total)

	h := &byHand{t: t, e: e, m: m, marked: true}
	h.everything()
	p, _, stats = e.planWith(t, m, nil, RefreshOptions{Delivered: h.delivered}, Options{})
	// app + gallery + version + 21 SPs + 21 assignment lists.
	if got, want := apiCalls(stats), int64(1+1+1+21+21); got != want || stats.Writes != 0 {
		t.Errorf("converged: %d API calls, %d writes; want %d, 0: %v", got, stats.Writes, want, stats.Routes)
	}
	if s := p.Summary(); s.Add != 0 || s.Adopt != 4+2*20 {
		t.Errorf("converged summary %+v", s)
	}
	t.Logf("20 consumers, converged: %d API calls, %d with sign-in: %v", apiCalls(stats), stats.Total, stats.Routes)
}

// plan works with read-only rights (a CI dry-run): Application.Read.All and
// Reader everywhere.
func TestSimReadOnlyCredentials(t *testing.T) {
	seed := loadSeed(t, "quickstart")
	for i := range seed.Tenants {
		for j := range seed.Tenants[i].Operators {
			seed.Tenants[i].Operators[j].GraphPermissions = []string{"Application.Read.All"}
		}
	}
	for i := range seed.RoleAssignments {
		seed.RoleAssignments[i].Role = "Reader"
	}
	e := startSim(t, seed, nil)
	m := loadManifest(t, "quickstart")
	p, _, stats := e.planWith(t, m, nil, RefreshOptions{NoPreflight: true}, Options{})
	if p.IsBlocked() || p.Summary().Add != 6 || stats.Writes != 0 {
		t.Errorf("read-only plan: blocked=%v summary=%+v writes=%d: %v", p.IsBlocked(), p.Summary(), stats.Writes, actions(p))
	}
	// With the preflight, every write such credentials cannot make is blocked.
	p, _, stats = e.plan(t, m, nil, Options{})
	if s := p.Summary(); s.Add != 0 || s.Blocked != 6 || stats.Writes != 0 {
		t.Errorf("read-only plan with preflight: summary=%+v writes=%d: %v", s, stats.Writes, actions(p))
	}
	for addr, want := range map[string]string{
		"app.myGalleryApp":                "Application.ReadWrite.All or Application.ReadWrite.OwnedBy",
		"sp[fabrikam]":                    "Application.ReadWrite.All",
		"gallery[myGallery].role[Reader]": "Microsoft.Authorization/roleAssignments/write at /subscriptions/aaaaaaaa",
	} {
		if c := mustChange(p, addr); c.Blocked == nil || !strings.Contains(c.Blocked.Why, want) {
			t.Errorf("%s = %s %+v; want blocked naming %q", addr, c.Action, c.Blocked, want)
		}
	}
}

// A manual consumer without galshare credentials: with the delivered secret,
// refresh checks consent and grant as the app, so once the administrator has
// acted the plan is no longer blocked.
func TestSimManualConsumerFollowUp(t *testing.T) {
	e := startSim(t, loadSeed(t, "partner-msp"), nil)
	m := loadManifest(t, "partner-msp")
	h := &byHand{t: t, e: e, m: m, marked: true}
	h.everything()
	secret := h.addSecret()
	probe := e.conn.AppClients(h.app.AppID, secret)
	t.Cleanup(probe.Close)
	var gamma spec.Consumer
	for _, c := range m.Consumers {
		if c.Access == spec.AccessManual {
			gamma = c
		}
	}
	spAddr := "sp[" + gamma.Name + "]"
	grantAddr := ConsumerRoleAddress(gamma.Name, gamma.Grants[0].Scope, gamma.Grants[0].Role.String()).String()
	plan := func() *Plan {
		t.Helper()
		snap, err := Refresh(t.Context(), m, nil, e.conn, RefreshOptions{AppProbe: probe, AppProbeAppID: h.app.AppID})
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		p, err := Build(m, snap, nil, Options{AuthorityHost: e.env.AuthorityHost})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// No consent yet: the app cannot sign in there.
	p := plan()
	if c := mustChange(p, spAddr); c.Action != Blocked || c.Blocked.ConsentURL == "" {
		t.Fatalf("before consent: %s = %s", spAddr, c.Action)
	}

	// Consent given, role not granted yet.
	spID, err := e.sim.ConsentAsAdmin(gamma.Tenant, h.app.AppID)
	if err != nil {
		t.Fatal(err)
	}
	p = plan()
	if c := mustChange(p, spAddr); c.Action != NoOp || !c.Adopt || c.Origin != OriginAdopted ||
		!strings.Contains(c.Reason, "signing in as the app") {
		t.Errorf("after consent: %s = %s adopt=%v origin=%s reason=%q", spAddr, c.Action, c.Adopt, c.Origin, c.Reason)
	}
	if c := mustChange(p, grantAddr); c.Action != Blocked || !strings.Contains(c.Blocked.Command, "--assignee "+h.app.AppID) {
		t.Errorf("before the grant: %s = %s %+v", grantAddr, c.Action, c.Blocked)
	}

	// The administrator ran the az command: nothing is blocked any more.
	if _, err := e.sim.GrantRole(gamma.Grants[0].Scope, gamma.Grants[0].Role.Name, spID); err != nil {
		t.Fatal(err)
	}
	p = plan()
	if p.IsBlocked() {
		t.Errorf("still blocked after consent and grant: %v", actions(p))
	}
	if c := mustChange(p, grantAddr); c.Action != NoOp || !c.Adopt || c.Origin != OriginAdopted {
		t.Errorf("after the grant: %s = %s adopt=%v origin=%s", grantAddr, c.Action, c.Adopt, c.Origin)
	}
}
