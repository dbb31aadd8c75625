package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/state"
)

func TestApplyQuickstartFromEmpty(t *testing.T) {
	h := newHarness(t)
	rep := h.apply(quickstartPlan(h.deliverTo), nil)
	if rep.ExitCode() != ExitOK || rep.Summary.Succeeded != 7 {
		t.Fatalf("exit %d, summary %+v", rep.ExitCode(), rep.Summary)
	}

	// Azure side: exactly one of everything.
	if len(h.fake.apps) != 1 || len(h.fake.sps) != 2 || len(h.fake.ras) != 2 {
		t.Fatalf("apps=%d sps=%d ras=%d", len(h.fake.apps), len(h.fake.sps), len(h.fake.ras))
	}
	var app *azure.Application
	for _, a := range h.fake.apps {
		app = a
	}
	if len(app.Passwords) != 1 {
		t.Fatalf("app has %d passwords", len(app.Passwords))
	}
	pw := app.Passwords[0]
	if want := h.clock.t.Add(8760 * time.Hour); !pw.End.Equal(want) {
		t.Errorf("endDateTime = %v, want now+lifetime %v", pw.End, want)
	}
	// Role assignments went to the SP object id of the tenant owning the
	// scope, with the deterministic name.
	for _, ra := range h.fake.ras {
		tenant := tPub
		if strings.HasPrefix(ra.Scope, rgID) {
			tenant = tCons
		}
		sp := h.fake.sps[tenant+"|"+app.AppID]
		if ra.PrincipalID != sp.ObjectID {
			t.Errorf("assignment at %s has principal %s, want the %s SP %s", ra.Scope, ra.PrincipalID, tenant, sp.ObjectID)
		}
		if ra.Name != azure.RoleAssignmentName(ra.Scope, sp.ObjectID, ra.RoleDefinitionGUID) {
			t.Errorf("assignment name %s is not deterministic", ra.Name)
		}
	}

	// Delivery: 0600, the value, the keyId, the client id.
	fi, err := os.Stat(h.deliverTo)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("delivered file mode %v, want 0600", fi.Mode().Perm())
	}
	d := readDelivered(t, h.deliverTo)
	if d.Secret.Reveal() != h.fake.secrets[pw.KeyID] || d.KeyID != pw.KeyID || d.ClientID != app.AppID || d.Tenant != tPub {
		t.Errorf("delivered %+v (secret empty? %v)", d, d.Secret.IsZero())
	}

	// State: every object with its id and origin, no journal left, no wait.
	st := h.state()
	want := map[string]string{
		addrApp.String():     app.ObjectID,
		addrPwd.String():     pw.KeyID,
		addrSPPub.String():   h.fake.sps[tPub+"|"+app.AppID].ObjectID,
		addrSPCons.String():  h.fake.sps[tCons+"|"+app.AppID].ObjectID,
		addrGalRole.String(): roleAssignmentID(galID, h.fake.sps[tPub+"|"+app.AppID].ObjectID, readerGUID),
		addrConRole.String(): roleAssignmentID(rgID, h.fake.sps[tCons+"|"+app.AppID].ObjectID, contributorGUID),
	}
	got := map[string]string{}
	for _, r := range st.Resources {
		got[r.Address] = r.ID
		if r.Origin != state.OriginCreated {
			t.Errorf("%s origin %s, want created", r.Address, r.Origin)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state resources (-want +got):\n%s", diff)
	}
	if len(st.Journal) != 0 {
		t.Errorf("journal not empty: %+v", st.Journal)
	}
	if r, _ := st.Get(addrPwd.String()); r.Attributes["hint"] != pw.Hint || r.Attributes["endDateTime"] == "" {
		t.Errorf("password attributes %v", r.Attributes)
	}
	h.scanForSecrets()
}

func TestApplyFailureSkipsDependentsOnly(t *testing.T) {
	h := newHarness(t)
	h.fake.fail["CreateServicePrincipal"] = nil
	// The consumer's SP create is denied; the publisher's is not. Which
	// runs first is up to the scheduler, so fail by tenant via a wrapper.
	plan := quickstartPlan(h.deliverTo)
	plan.Changes[3].Tenant = "33333333-3333-3333-3333-333333333333"
	plan.Changes[5].Tenant = plan.Changes[3].Tenant
	rep := h.apply(plan, func(o *Options) {
		o.Clients = failingTenant{Clients: h.fake.clients(), tenant: plan.Changes[3].Tenant, err: denied()}
	})
	if rep.ExitCode() != ExitFailure {
		t.Fatalf("exit %d, want 1", rep.ExitCode())
	}
	s := rep.Summary
	if s.Failed != 1 || s.Skipped != 1 || s.Succeeded != 5 {
		t.Fatalf("summary %+v", s)
	}
	f := s.Failures[0]
	if f.Address != addrSPCons.String() || f.Fix == "" || !cmp.Equal(f.Skipped, []string{addrConRole.String()}) {
		t.Errorf("failure %+v", f)
	}
	r, _ := h.state().Get(addrSPCons.String())
	if r.ID != "" {
		t.Errorf("failed SP recorded in state: %+v", r)
	}
	if len(h.state().Journal) != 0 {
		t.Errorf("a definite 403 left a journal entry: %+v", h.state().Journal)
	}
}

// failingTenant makes every Graph call in one tenant fail.
type failingTenant struct {
	azure.Clients
	tenant string
	err    error
}

func (f failingTenant) Directory(ctx context.Context, tenant string) (azure.Directory, error) {
	d, err := f.Clients.Directory(ctx, tenant)
	if tenant == f.tenant {
		return failingDir{Directory: d, err: f.err}, err
	}
	return d, err
}

type failingDir struct {
	azure.Directory
	err error
}

func (f failingDir) CreateServicePrincipal(context.Context, string, []string) (*azure.ServicePrincipal, bool, error) {
	return nil, false, f.err
}

func TestApplyRetriesConsistencyLagAndThrottling(t *testing.T) {
	h := newHarness(t)
	h.fake.fail["CreateServicePrincipal"] = []error{lagErr("NoBackingApplicationObject")}
	h.fake.fail["CreateRoleAssignment"] = []error{lagErr("PrincipalNotFound"), throttled(20 * time.Second)}
	// A fresh app answers 404 to addPassword for a moment.
	h.fake.fail["AddPassword"] = []error{notFound("application")}
	rep := h.apply(quickstartPlan(h.deliverTo), func(o *Options) { o.Parallelism = 1 })
	if rep.ExitCode() != ExitOK {
		t.Fatalf("exit %d: %+v", rep.ExitCode(), rep.Summary.Failures)
	}
	if n := h.fake.count("CreateRoleAssignment"); n != 4 {
		t.Errorf("CreateRoleAssignment called %d times, want 4 (2 retried)", n)
	}
	if n := h.fake.count("AddPassword"); n != 2 {
		t.Errorf("AddPassword called %d times, want 2 (404 after create retried)", n)
	}
	// Retry-After 20s honoured (+10% of jitter 0.5 = 21s).
	found := false
	for _, w := range h.clock.waits {
		if w == 21*time.Second {
			found = true
		}
	}
	if !found {
		t.Errorf("no wait honouring Retry-After in %v", h.clock.waits)
	}
	var msgs []string
	for _, a := range []planner.Address{addrGalRole, addrConRole} {
		msgs = append(msgs, h.progressFor(a)...)
	}
	if len(msgs) < 2 || !strings.Contains(strings.Join(msgs, "\n"), "retrying in") {
		t.Errorf("retries not reported as progress: %q", msgs)
	}
	if len(h.fake.apps) != 1 || len(h.fake.ras) != 2 {
		t.Errorf("duplicates after retries: apps=%d ras=%d", len(h.fake.apps), len(h.fake.ras))
	}
}

func TestApplyNonRetryableOnExistingObjectIsNotRetried(t *testing.T) {
	h := newHarness(t)
	h.fake.fail["CreateRoleAssignment"] = []error{denied(), denied()}
	rep := h.apply(quickstartPlan(h.deliverTo), nil)
	if rep.Summary.Failed != 2 {
		t.Fatalf("summary %+v", rep.Summary)
	}
	if n := h.fake.count("CreateRoleAssignment"); n != 2 {
		t.Errorf("CreateRoleAssignment called %d times, want 2 (no retries of 403)", n)
	}
}

func TestApplyDeliveryFailureRemovesNewPassword(t *testing.T) {
	h := newHarness(t)
	// A regular file where the directory should be makes delivery fail.
	blocker := filepath.Join(h.dir, "secrets")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := h.apply(quickstartPlan(h.deliverTo), nil)
	res := resultOf(t, rep, addrPwd)
	if res.Status != StatusFailed || !strings.Contains(res.Err.Error(), "new password was removed") {
		t.Fatalf("password result %v: %v", res.Status, res.Err)
	}
	for _, a := range h.fake.apps {
		if len(a.Passwords) != 0 {
			t.Errorf("undelivered password left on the app: %+v", a.Passwords)
		}
	}
	st := h.state()
	if _, ok := st.Get(addrPwd.String()); ok {
		t.Error("undelivered password recorded in state")
	}
	if len(st.Journal) != 0 {
		t.Errorf("journal not settled: %+v", st.Journal)
	}
	for k := range h.fake.secrets {
		if strings.Contains(res.Err.Error(), h.fake.secrets[k]) {
			t.Error("secret value in the error")
		}
	}
	h.scanForSecrets()
}

func TestApplyRotation(t *testing.T) {
	h := newHarness(t)
	h.apply(quickstartPlan(h.deliverTo), nil)
	var app *azure.Application
	for _, a := range h.fake.apps {
		app = a
	}
	old := app.Passwords[0]
	h.clock.t = h.clock.t.Add(8000 * time.Hour) // inside renewBefore
	plan := rotationPlan(h, app, old)
	rep := h.apply(plan, nil)
	if rep.ExitCode() != ExitOK {
		t.Fatalf("exit %d: %+v", rep.ExitCode(), rep.Summary.Failures)
	}
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID == old.KeyID {
		t.Fatalf("after rotation passwords = %+v", app.Passwords)
	}
	// add → remove, never the other way round.
	var order []string
	for _, c := range h.fake.calls {
		if c == "AddPassword" || c == "RemovePassword" {
			order = append(order, c)
		}
	}
	if !cmp.Equal(order, []string{"AddPassword", "AddPassword", "RemovePassword"}) {
		t.Errorf("password call order %v", order)
	}
	if d := readDelivered(t, h.deliverTo); d.KeyID != app.Passwords[0].KeyID {
		t.Errorf("delivered keyId %s, want the new %s", d.KeyID, app.Passwords[0].KeyID)
	}
	r, _ := h.state().Get(addrPwd.String())
	if r.ID != app.Passwords[0].KeyID || len(h.state().Journal) != 0 {
		t.Errorf("state %+v journal %+v", r, h.state().Journal)
	}
	h.scanForSecrets()
}

// rotationPlan replaces the current password of app.
func rotationPlan(h *harness, app *azure.Application, old azure.PasswordCredential) *planner.Plan {
	p := quickstartPlan(h.deliverTo)
	pc := p.Changes[1]
	pc.Action = planner.Replace
	pc.DependsOn = nil
	pc.Fingerprint = planner.FingerprintPassword(&old)
	pc.Password.AppObjectID, pc.Password.AppID, pc.Password.ReplacesKeyID = app.ObjectID, app.AppID, old.KeyID
	return &planner.Plan{FormatVersion: planner.FormatVersion, Tenants: p.Tenants, Changes: []planner.Change{pc}}
}

func TestApplyRefusesStaleChange(t *testing.T) {
	h := newHarness(t)
	h.apply(quickstartPlan(h.deliverTo), nil)
	var app *azure.Application
	for _, a := range h.fake.apps {
		app = a
	}
	plan := rotationPlan(h, app, app.Passwords[0])
	// Someone rotates by hand after the plan was made.
	app.Passwords[0].End = app.Passwords[0].End.Add(time.Hour)
	rep := h.apply(plan, nil)
	res := resultOf(t, rep, addrPwd)
	var se *StaleError
	if !errors.As(res.Err, &se) || !strings.Contains(se.Error(), "changed since plan") {
		t.Fatalf("err = %v, want a StaleError", res.Err)
	}
	if n := h.fake.count("AddPassword"); n != 1 {
		t.Errorf("a stale rotation still added a password (%d calls)", n)
	}
	if rep.Summary.Failures[0].Fix == "" {
		t.Error("stale failure has no fix")
	}
}

func TestApplyBlockedConsumer(t *testing.T) {
	h := newHarness(t)
	plan := quickstartPlan(h.deliverTo)
	info := planner.BlockedInfo{Why: "consumer fabrikam is manual",
		ConsentURL: "https://login.microsoftonline.com/" + tCons + "/oauth2/authorize?client_id=<appId>&response_type=code&redirect_uri=https%3A%2F%2Fwww.microsoft.com%2F"}
	plan.Changes[3].Action, plan.Changes[3].Blocked = planner.Blocked, &info
	grant := planner.BlockedInfo{Why: "consumer fabrikam is manual", Command: `az role assignment create --assignee x --role "Contributor" --scope ` + rgID}
	plan.Changes[5].Action, plan.Changes[5].Blocked = planner.Blocked, &grant
	rep := h.apply(plan, nil)
	if rep.ExitCode() != ExitBlocked {
		t.Fatalf("exit %d, want 3: %+v", rep.ExitCode(), rep.Summary)
	}
	if len(rep.Summary.BlockedActions) != 2 || rep.Summary.Blocked != 1 || rep.Summary.Skipped != 1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	if n := h.fake.count("CreateServicePrincipal"); n != 1 {
		t.Errorf("CreateServicePrincipal called %d times, want only the publisher's", n)
	}
	// The app was created by this apply: the admin gets its real appId.
	appID := onlyApp(t, h.fake).AppID
	if got := rep.Summary.BlockedActions[0].Info.ConsentURL; !strings.Contains(got, "client_id="+appID+"&") {
		t.Errorf("consent URL %s does not carry the new appId %s", got, appID)
	}
	if !strings.Contains(resultOf(t, rep, addrSPCons).Err.Error(), "manual") {
		t.Errorf("blocked error %v", resultOf(t, rep, addrSPCons).Err)
	}
}

func TestApplyDestroyNeverDeletesAdopted(t *testing.T) {
	h := newHarness(t)
	h.apply(quickstartPlan(h.deliverTo), nil)
	// Pretend the consumer SP was adopted (made by an admin's consent).
	hd, err := state.Open(t.Context(), h.statePath, state.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = hd.Update(t.Context(), func(s *state.State) error {
		r, _ := s.Get(addrSPCons.String())
		r.Origin = state.OriginAdopted
		return s.Put(r)
	})
	if cerr := hd.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	st := h.state()
	var changes []planner.Change
	for _, a := range []planner.Address{addrConRole, addrGalRole, addrSPCons, addrSPPub, addrPwd, addrApp} {
		r, _ := st.Get(a.String())
		c := planner.Change{Address: a, Type: a.ResourceType(), Tenant: r.Tenant, Action: planner.Delete, Reason: "destroy"}
		switch a.Kind {
		case planner.AddrApp:
			c.App = &planner.AppPayload{DisplayName: a.App, ObjectID: r.ID}
		case planner.AddrPassword:
			c.Password = &planner.PasswordPayload{AppAddress: addrApp, AppObjectID: r.Attributes["appObjectId"], KeyID: r.ID}
		case planner.AddrServicePrincipal:
			c.ServicePrincipal = &planner.ServicePrincipalPayload{Consumer: a.Consumer, AppAddress: addrApp, ObjectID: r.ID}
		default:
			c.RoleAssignment = &planner.RoleAssignmentPayload{Scope: r.Attributes["scope"], RoleGUID: r.Attributes["roleDefinitionGuid"], ExistingID: r.ID}
		}
		changes = append(changes, c)
	}
	rep := h.apply(&planner.Plan{FormatVersion: planner.FormatVersion, Changes: changes}, nil)
	res := resultOf(t, rep, addrSPCons)
	if res.Status != StatusFailed || !strings.Contains(res.Err.Error(), "refusing to delete") {
		t.Fatalf("adopted SP delete: %v %v", res.Status, res.Err)
	}
	if len(h.fake.sps) != 1 || len(h.fake.apps) != 0 || len(h.fake.ras) != 0 {
		t.Errorf("after destroy apps=%d sps=%d ras=%d, want 0 1 0", len(h.fake.apps), len(h.fake.sps), len(h.fake.ras))
	}
	left := h.state().Addresses()
	if !cmp.Equal(left, []string{addrSPCons.String()}) {
		t.Errorf("state after destroy: %v", left)
	}
}

func TestApplyWait(t *testing.T) {
	tests := []struct {
		name    string
		seq     []*azure.ImageVersion
		wantErr error
		polls   int
		lines   int // progress lines: one per poll that did not end the wait, one for "ready"
	}{
		{"ready at once", []*azure.ImageVersion{version("Succeeded", "Completed", "Completed")}, nil, 1, 1},
		{"replicating then ready", []*azure.ImageVersion{
			version("Succeeded", "InProgress", "Replicating"), version("Succeeded", "InProgress", "Replicating"),
			version("Succeeded", "Completed", "Completed")}, nil, 3, 3},
		{"replication failed", []*azure.ImageVersion{version("Succeeded", "InProgress", "Replicating"), version("Succeeded", "Failed", "Failed")},
			ErrReplicationFailed, 2, 1},
		// 1 minute timeout, interval 1 s doubling to 10 s: polls at
		// 0, 1, 3, 7, 17, 27, 37, 47, 57 s.
		{"never ready", []*azure.ImageVersion{version("Creating", "InProgress", "Replicating")}, ErrWaitTimeout, 9, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.vers[planner.VersionKey(galID, "ubuntu-2204", "1.0.0")] = tt.seq
			plan := quickstartPlan(h.deliverTo)
			plan.Changes = plan.Changes[6:]
			rep := h.apply(plan, nil)
			res := resultOf(t, rep, addrWait)
			if tt.wantErr == nil && res.Err != nil || tt.wantErr != nil && !errors.Is(res.Err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", res.Err, tt.wantErr)
			}
			if n := h.fake.count("GetImageVersion"); n != tt.polls {
				t.Errorf("polled %d times, want %d", n, tt.polls)
			}
			if len(h.progressFor(addrWait)) != tt.lines {
				t.Errorf("progress lines %q", h.progressFor(addrWait))
			}
			if errors.Is(tt.wantErr, ErrReplicationFailed) && !strings.Contains(res.Err.Error(), "eastus Failed") {
				t.Errorf("failure does not name the region: %v", res.Err)
			}
		})
	}
}

func resultOf(t *testing.T, rep *Report, a planner.Address) ActionResult {
	t.Helper()
	for _, r := range rep.Results {
		if r.Address == a.String() {
			return r
		}
	}
	t.Fatalf("no result for %s", a)
	return ActionResult{}
}

// TestNoOpApplyKeepsStateAsIs: applying a plan of no-ops (what a re-plan of
// a converged world gives) neither rewrites state nor loses attributes.
func TestNoOpApplyKeepsStateAsIs(t *testing.T) {
	h := newHarness(t)
	h.apply(quickstartPlan(h.deliverTo), nil)
	before := h.state()
	app := onlyApp(t, h.fake)
	var changes []planner.Change
	for _, c := range quickstartPlan(h.deliverTo).Changes {
		c.Action = planner.NoOp
		rec, _ := before.Get(c.Address.String())
		switch c.Type {
		case planner.TypeApplication:
			c.App.ObjectID, c.App.AppID = app.ObjectID, app.AppID
		case planner.TypePassword:
			c.Password.AppObjectID, c.Password.AppID, c.Password.KeyID = app.ObjectID, app.AppID, rec.ID
		case planner.TypeServicePrincipal:
			c.ServicePrincipal.AppID, c.ServicePrincipal.ObjectID = app.AppID, rec.ID
		case planner.TypeRoleAssignment:
			c.RoleAssignment.PrincipalID, c.RoleAssignment.ExistingID = rec.Attributes["principalId"], rec.ID
		}
		changes = append(changes, c)
	}
	callsBefore := len(h.fake.calls)
	rep := h.apply(&planner.Plan{FormatVersion: planner.FormatVersion, Changes: changes}, nil)
	if rep.ExitCode() != ExitOK {
		t.Fatalf("%+v", rep.Summary.Failures)
	}
	for _, c := range h.fake.calls[callsBefore:] {
		if !strings.HasPrefix(c, "Get") {
			t.Errorf("a no-op apply made the write call %s", c)
		}
	}
	after := h.state()
	if after.Serial != before.Serial {
		t.Errorf("a no-op apply bumped the serial %d -> %d", before.Serial, after.Serial)
	}
	if diff := cmp.Diff(before.Resources, after.Resources); diff != "" {
		t.Errorf("a no-op apply changed state (-before +after):\n%s", diff)
	}
}

// TestForgetAndPreviousAddress: a Forget change only drops the record (no
// Azure call); a change whose object moved address re-keys its record.
func TestForgetAndPreviousAddress(t *testing.T) {
	h := newHarness(t)
	h.apply(quickstartPlan(h.deliverTo), nil)
	app := onlyApp(t, h.fake)
	st := h.state()
	spRec, _ := st.Get(addrSPCons.String())
	renamed := planner.AppAddress("renamedApp")
	plan := &planner.Plan{FormatVersion: planner.FormatVersion, Changes: []planner.Change{
		{Address: addrSPCons, Type: planner.TypeServicePrincipal, Tenant: tCons, Action: planner.NoOp, Forget: true,
			ServicePrincipal: &planner.ServicePrincipalPayload{Consumer: "fabrikam", AppAddress: addrApp, ObjectID: spRec.ID}},
		{Address: renamed, Type: planner.TypeApplication, Tenant: tPub, Action: planner.NoOp, Origin: planner.OriginCreated,
			PreviousAddress: addrApp,
			App:             &planner.AppPayload{UniqueName: app.UniqueName, DisplayName: "renamedApp", ObjectID: app.ObjectID, AppID: app.AppID}},
	}}
	callsBefore := len(h.fake.calls)
	if rep := h.apply(plan, nil); rep.ExitCode() != ExitOK {
		t.Fatalf("%+v", rep.Summary.Failures)
	}
	if calls := h.fake.calls[callsBefore:]; len(calls) != 0 {
		t.Errorf("forget/re-key made Azure calls: %v", calls)
	}
	if len(h.fake.sps) != 2 {
		t.Errorf("forget deleted the SP in Azure")
	}
	after := h.state()
	if _, ok := after.Get(addrSPCons.String()); ok {
		t.Error("forgotten SP still in state")
	}
	if _, ok := after.Get(addrApp.String()); ok {
		t.Error("the app's old address is still in state")
	}
	if r, ok := after.Get(renamed.String()); !ok || r.ID != app.ObjectID || r.Origin != state.OriginCreated {
		t.Errorf("re-keyed app record %+v %v", r, ok)
	}
}
