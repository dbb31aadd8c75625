package planner

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// simEnv is an in-process simulator and a connector that reads its cloud
// file exactly as `galshare plan --cloud FILE` does.
type simEnv struct {
	sim  *azsim.Sim
	conn *azure.Connector
	env  azure.Environment
}

func startSim(t *testing.T, seed *azsim.Seed, lookupEnv func(string) (string, bool)) *simEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	sim, err := azsim.Start(ctx, azsim.Options{Seed: seed})
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	path := filepath.Join(t.TempDir(), "cloud.json")
	if err := sim.WriteCloudFile(path); err != nil {
		t.Fatal(err)
	}
	env, err := azure.LoadCloudFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	conn, err := azure.NewConnector(azure.Options{Env: env, LookupEnv: lookupEnv,
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		_ = sim.Close(context.Background())
	})
	return &simEnv{sim: sim, conn: conn, env: env}
}

func loadSeed(t *testing.T, name string) *azsim.Seed {
	t.Helper()
	s, err := azsim.LoadSeedFile(filepath.Join("..", "..", "examples", "sim", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadManifest(t *testing.T, name string) *spec.Manifest {
	t.Helper()
	m, diags, err := spec.Load(t.Context(), filepath.Join("..", "..", "examples", name+".yaml"))
	if err != nil || diags.HasErrors() {
		t.Fatalf("load %s: %v %v", name, err, diags)
	}
	return m
}

// plan refreshes against the simulator and builds, returning the plan, the
// snapshot and the simulator's counts for the refresh alone.
func (e *simEnv) plan(t *testing.T, m *spec.Manifest, st *state.State, opts Options) (*Plan, *Snapshot, azsim.Stats) {
	t.Helper()
	return e.planWith(t, m, st, RefreshOptions{Destroy: opts.Destroy}, opts)
}

// refreshOnly refreshes m like planWith without building a plan, for tests
// of what refresh read where Build refuses the world (world.go).
func (e *simEnv) refreshOnly(t *testing.T, m *spec.Manifest, st *state.State, ropts RefreshOptions) (*Snapshot, azsim.Stats) {
	t.Helper()
	e.sim.ResetStats()
	snap, err := Refresh(t.Context(), m, st, e.conn, ropts)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return snap, e.sim.Stats()
}

// planWith is plan with explicit refresh options.
func (e *simEnv) planWith(t *testing.T, m *spec.Manifest, st *state.State, ropts RefreshOptions, opts Options) (*Plan, *Snapshot, azsim.Stats) {
	t.Helper()
	e.sim.ResetStats()
	snap, err := Refresh(t.Context(), m, st, e.conn, ropts)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	stats := e.sim.Stats()
	opts.AuthorityHost = e.env.AuthorityHost
	p, err := Build(m, snap, st, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return p, snap, stats
}

// apiCalls is the simulator's count without sign-in traffic (token and
// OpenID discovery), which azidentity caches per credential.
func apiCalls(s azsim.Stats) int64 {
	n := s.Total
	for route, c := range s.Routes {
		switch route {
		case "POST token", "GET openid-configuration":
			n -= c
		}
	}
	return n
}

// byHand performs steps of the procedure directly through pkg/azure, the way
// a person in the portal would, optionally with galshare's markers (as if
// galshare had made them and the state was lost).
type byHand struct {
	t      *testing.T
	e      *simEnv
	m      *spec.Manifest
	marked bool
	app    *azure.Application
	// delivered is the secret addSecret made, as a delivered document would
	// name it (a plan after lost state still has the delivery file).
	delivered *DeliveredKey
}

func (h *byHand) registerApp(uniqueName string) {
	d, err := h.e.conn.Directory(h.t.Context(), h.m.Publisher.Tenant)
	if err != nil {
		h.t.Fatal(err)
	}
	a := h.m.Publisher.App
	spec := azure.ApplicationSpec{UniqueName: uniqueName, DisplayName: a.DisplayName, SignInAudience: a.SignInAudience,
		RedirectURIs: a.RedirectURIs}
	if h.marked {
		spec.Tags = []string{MarkerTag(h.m.Name)}
	}
	app, _, err := d.UpsertApplication(h.t.Context(), spec)
	if err != nil {
		h.t.Fatal(err)
	}
	h.app = app
}

func (h *byHand) addSecret() azure.Secret {
	d, _ := h.e.conn.Directory(h.t.Context(), h.m.Publisher.Tenant)
	np, err := d.AddPassword(h.t.Context(), h.app.ObjectID, h.m.Publisher.App.Secret.Description, time.Now().Add(300*24*time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	h.delivered = &DeliveredKey{AppID: h.app.AppID, KeyID: np.KeyID}
	return np.Secret
}

func (h *byHand) servicePrincipal(tenant string) *azure.ServicePrincipal {
	d, err := h.e.conn.Directory(h.t.Context(), tenant)
	if err != nil {
		h.t.Fatal(err)
	}
	var tags []string
	if h.marked {
		tags = []string{MarkerTag(h.m.Name)}
	}
	sp, _, err := d.CreateServicePrincipal(h.t.Context(), h.app.AppID, tags)
	if err != nil {
		h.t.Fatal(err)
	}
	return sp
}

func (h *byHand) grant(tenant, scope, roleGUID, principal string) *azure.RoleAssignment {
	r, err := h.e.conn.Resources(h.t.Context(), tenant)
	if err != nil {
		h.t.Fatal(err)
	}
	desc := ""
	if h.marked {
		desc = MarkerDescription(h.m.Name)
	}
	ra, _, err := r.CreateRoleAssignment(h.t.Context(), azure.RoleAssignmentSpec{Scope: scope, RoleDefinitionGUID: roleGUID,
		PrincipalID: principal, Description: desc})
	if err != nil {
		h.t.Fatal(err)
	}
	return ra
}

// everything does the whole procedure for m.
func (h *byHand) everything() map[string]string {
	ids := map[string]string{}
	h.registerApp(h.m.Publisher.App.UniqueName)
	h.addSecret()
	pub := h.servicePrincipal(h.m.Publisher.Tenant)
	ids["sp[publisher]"] = pub.ObjectID
	for _, g := range h.m.Publisher.Galleries {
		ra := h.grant(h.m.Publisher.Tenant, g.ID, g.Role.DefinitionGUID, pub.ObjectID)
		ids[GalleryRoleAddress(g.Name, g.Role.String()).String()] = ra.ID
	}
	for _, c := range h.m.Consumers {
		if c.Access == spec.AccessManual {
			continue
		}
		sp := h.servicePrincipal(c.Tenant)
		ids[SPAddress(c.Name).String()] = sp.ObjectID
		for _, gr := range c.Grants {
			ra := h.grant(c.Tenant, gr.Scope, gr.Role.DefinitionGUID, sp.ObjectID)
			ids[ConsumerRoleAddress(c.Name, gr.Scope, gr.Role.String()).String()] = ra.ID
		}
	}
	return ids
}

// stateFrom records the live objects of a plan as an apply would have.
func stateFrom(p *Plan) *state.State {
	st := &state.State{Version: 1, Lineage: "11111111-2222-4333-8444-555555555555", Serial: 3}
	for _, c := range p.Changes {
		if c.Type == TypeWait || existingID(&c) == "" {
			continue
		}
		r := state.Resource{Address: c.Address.String(), Type: string(c.Type), Tenant: c.Tenant, ID: existingID(&c),
			Origin: state.Origin(c.Origin), Attributes: map[string]string{}}
		switch {
		case c.App != nil:
			r.Attributes[AttrAppID] = c.App.AppID
		case c.Password != nil:
			r.Attributes[AttrAppObjectID] = c.Password.AppObjectID
		case c.ServicePrincipal != nil:
			r.Attributes[AttrAppID] = c.ServicePrincipal.AppID
		case c.RoleAssignment != nil:
			r.Attributes[AttrScope] = c.RoleAssignment.Scope
			r.Attributes[AttrRoleDefinitionGUID] = c.RoleAssignment.RoleGUID
			r.Attributes[AttrPrincipalID] = c.RoleAssignment.PrincipalID
		}
		st.Resources = append(st.Resources, r)
	}
	return st
}

func wantActions(t *testing.T, p *Plan, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, s := range actions(p) {
		addr, rest := splitAction(s)
		got[addr] = rest
	}
	for a, w := range want {
		if got[a] != w {
			t.Errorf("%s: got %q, want %q (plan: %v)", a, got[a], w, actions(p))
		}
	}
	if len(got) != len(want) {
		t.Errorf("plan has %d changes, want %d: %v", len(got), len(want), actions(p))
	}
}

// splitAction splits an actions() line after the address (addresses may
// contain spaces only inside role names, which end with "]").
func splitAction(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && (s[i-1] == ']' || !containsBracket(s[:i])) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func containsBracket(s string) bool {
	for _, r := range s {
		if r == '[' {
			return true
		}
	}
	return false
}
