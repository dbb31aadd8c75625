package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sync/errgroup"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// VerifyFormatVersion is the version of the JSON document `galshare verify
// --json` prints (VerifyReport). It changes only when a field changes meaning.
const VerifyFormatVersion = "1.0"

// Result is the outcome of one verify check.
type Result string

// The outcomes of a check. Only a report whose every check is ResultOK passes.
const (
	// ResultOK means the check proved that part of the sharing works.
	ResultOK Result = "ok"
	// ResultFail means it does not work; the check says why and what to do.
	ResultFail Result = "fail"
	// ResultSkip means the check could not run because one it needs failed
	// (e.g. no token in that tenant).
	ResultSkip Result = "skip"
)

// Check kinds, the CHECK column of the table.
const (
	CheckSecret = "secret"
	CheckSignIn = "sign-in"
	CheckRole   = "role"
	CheckImage  = "image"
	CheckRead   = "gallery"
)

// Check is one row of the verify report: one thing the consumer's path
// depends on, in one tenant, and whether it works.
type Check struct {
	// Party is "publisher" or the consumer's name.
	Party string `json:"party"`
	// Tenant is the tenant the check ran in.
	Tenant string `json:"tenant"`
	// Kind is one of the Check* constants.
	Kind string `json:"check"`
	// Object is what was checked: the secret file, a role on a scope, an
	// image version.
	Object string `json:"object"`
	// Scope is the full ARM id the check is about (a role's scope, a
	// gallery), when Object shortens it.
	Scope string `json:"scope,omitempty"`
	// Address is the plan/state address of the object this check proves,
	// when it has one (sp[fabrikam], wait[myGallery/ubuntu-2204/1.0.0], …).
	Address string `json:"address,omitempty"`
	Result  Result `json:"result"`
	// Detail says what was found (ok) or what fails and why (fail, skip).
	Detail string `json:"detail"`
	// Error is the full failure: tenant, object, call and Azure's answer.
	Error string `json:"error,omitempty"`
	// Code is Azure's error or AADSTS code, when there is one.
	Code string `json:"code,omitempty"`
	// Fix says what to do about a failure.
	Fix string `json:"fix,omitempty"`
	// Via says whose token read the object: "app" (the consumer's own path)
	// or "operator" (galshare's credentials, when the app may not read it).
	Via string `json:"via,omitempty"`
}

// VerifySummary counts the checks by result.
type VerifySummary struct {
	Total   int `json:"total"`
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// VerifyReport is everything `galshare verify` found, in table order:
// the publisher's checks, then each consumer's in manifest order.
type VerifyReport struct {
	FormatVersion string        `json:"format_version"`
	Manifest      string        `json:"manifest"`
	AppID         string        `json:"app_id,omitempty"`
	OK            bool          `json:"ok"`
	Checks        []Check       `json:"checks"`
	Summary       VerifySummary `json:"summary"`
	DurationMS    int64         `json:"duration_ms"`
}

// AppClients is what verify needs to act as the shared app itself:
// *azure.Connector from (*Connector).AppClients implements it.
type AppClients interface {
	// SignInIdentity gets a token in tenant and says whom it names (the
	// app's service principal object id there).
	SignInIdentity(ctx context.Context, tenant string) (azure.TokenIdentity, error)
	// Resources is ARM in tenant with the app's token.
	Resources(ctx context.Context, tenant string) (azure.Resources, error)
	// ResourcesWithAuxiliary is ARM in tenant with the app's token plus
	// x-ms-authorization-auxiliary tokens for the auxiliary tenants.
	ResourcesWithAuxiliary(ctx context.Context, tenant string, auxiliaryTenants ...string) (azure.Resources, error)
}

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// AsApp returns clients that sign in as the shared app with the
	// delivered secret. Required.
	AsApp func(appID string, secret azure.Secret) AppClients
	// Operator are galshare's own credentials (nil: none). Verify uses them
	// only to read role assignments the app is not allowed to read.
	Operator azure.Clients
	// SecretFile overrides the manifest's secret delivery target.
	SecretFile string
	// SecretFrom, when set, is a keyvault:https://VAULT/secrets/NAME to read
	// the secret from instead of the manifest's target (--secret-from).
	SecretFrom *planner.Delivery
	// Vaults reads a secret delivered to Key Vault (with the operator's
	// credentials in the publisher tenant); nil: such a delivery cannot be
	// verified.
	Vaults azure.KeyVaults
	// AuthorityHost builds consent URLs in fixes (default: public cloud).
	AuthorityHost string
	// Parallelism bounds concurrent checks (default 10).
	Parallelism int
	// RetryFor retries failures that may be replication lag (a secret, service
	// principal or role assignment made moments ago) for up to this long
	// (0: no retries, report at once).
	RetryFor time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Logger gets debug lines (nil: none). It never sees the secret.
	Logger hclog.Logger
	// Plan is the plan `galshare plan` would make now (nil: not known).
	// With it, a fix only says "run galshare apply" when that plan has
	// something for apply to do about the row (see followPlan).
	Plan *planner.Plan

	// retryInitial overrides the first retry backoff (tests).
	retryInitial time.Duration
}

// ErrVerifyNoSecret is wrapped by the secret check's error when the manifest
// has no secret to verify with and no secret file was given.
var ErrVerifyNoSecret = errors.New("no delivered secret to verify with")

// Verify proves that the sharing a manifest describes works the way a
// consumer will use it: with the delivered secret it signs in as the app in
// the publisher tenant and in every consumer tenant, reads each gallery's
// image versions from each consumer tenant with the publisher token as
// x-ms-authorization-auxiliary, and checks each granted role. It never
// changes anything. Failures are rows of the report, not errors: the error
// return is only for misuse (no AsApp) or a cancelled context.
func Verify(ctx context.Context, m *spec.Manifest, opts VerifyOptions) (*VerifyReport, error) {
	if opts.AsApp == nil {
		return nil, errors.New("verify: VerifyOptions.AsApp is required")
	}
	v := newVerifier(m, opts)
	start := v.now()
	v.run(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify interrupted: %w", err)
	}
	v.followPlan()
	rep := &VerifyReport{FormatVersion: VerifyFormatVersion, Manifest: m.Path, AppID: v.appID, Checks: v.checks}
	for _, c := range v.checks {
		rep.Summary.Total++
		switch c.Result {
		case ResultOK:
			rep.Summary.OK++
		case ResultFail:
			rep.Summary.Failed++
		default:
			rep.Summary.Skipped++
		}
	}
	rep.OK = rep.Summary.Total > 0 && rep.Summary.OK == rep.Summary.Total
	rep.DurationMS = v.now().Sub(start).Milliseconds()
	return rep, nil
}

// verifier holds one Verify run.
type verifier struct {
	m     *spec.Manifest
	opts  VerifyOptions
	log   hclog.Logger
	appID string
	app   AppClients

	mu     sync.Mutex
	checks []Check
}

func newVerifier(m *spec.Manifest, opts VerifyOptions) *verifier {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 10
	}
	if opts.AuthorityHost == "" {
		opts.AuthorityHost = azure.PublicCloud().AuthorityHost
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &verifier{m: m, opts: opts, log: log.Named("verify")}
}

func (v *verifier) now() time.Time {
	if v.opts.Now != nil {
		return v.opts.Now()
	}
	return time.Now()
}

// add appends a check row and returns its index, so concurrent checks can
// fill their own row while the table keeps a fixed order.
func (v *verifier) add(c Check) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.checks = append(v.checks, c)
	return len(v.checks) - 1
}

func (v *verifier) set(i int, c Check) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.checks[i] = c
}

// party is one tenant in the table: the publisher or a consumer.
type party struct {
	name     string
	tenant   string
	consumer *spec.Consumer // nil for the publisher
	// identity is the app's identity in this tenant after sign-in.
	identity azure.TokenIdentity
	signedIn bool
}

// run does every check: the secret, then sign-in in every tenant at once,
// then every role and image check at once.
func (v *verifier) run(ctx context.Context) {
	pub := &party{name: planner.PublisherKey, tenant: v.m.Publisher.Tenant}
	secret, ok := v.checkSecret(ctx, pub)
	parties := []*party{pub}
	for i := range v.m.Consumers {
		c := &v.m.Consumers[i]
		parties = append(parties, &party{name: c.Name, tenant: c.Tenant, consumer: c})
	}

	// Rows are laid out up front, per party, so the table's order does not
	// depend on which call answers first.
	type job struct {
		row int
		fn  func(ctx context.Context) Check
	}
	signIns := make([]job, len(parties))
	var later []job
	for i, p := range parties {
		signIns[i] = job{row: v.add(v.pending(p, CheckSignIn, signInObject, planner.SPAddress(p.name).String()))}
		for _, j := range v.partyJobs(p, pub) {
			later = append(later, job{row: v.add(j.pending), fn: j.fn})
		}
	}
	if !ok {
		v.skipAll("needs the delivered secret (see the secret check)")
		return
	}
	v.app = v.opts.AsApp(v.appID, secret)

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.opts.Parallelism)
	for i, p := range parties {
		row := signIns[i].row
		g.Go(func() error {
			v.set(row, v.signIn(gctx, p))
			return nil
		})
	}
	_ = g.Wait()

	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(v.opts.Parallelism)
	for _, j := range later {
		g.Go(func() error {
			v.set(j.row, j.fn(gctx))
			return nil
		})
	}
	_ = g.Wait()
}

// signInObject is the object of every sign-in row: the report names the app.
const signInObject = "as the app"

// pending is a row not run yet; it stays a skip when something it needs failed.
func (v *verifier) pending(p *party, kind, object, address string) Check {
	return Check{Party: p.name, Tenant: p.tenant, Kind: kind, Object: object, Address: address,
		Result: ResultSkip, Detail: "not run"}
}

func (v *verifier) skipAll(why string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.checks {
		if v.checks[i].Kind != CheckSecret {
			v.checks[i].Result, v.checks[i].Detail = ResultSkip, why
		}
	}
}

// partyJob is a check after sign-in: its row as laid out, and the work.
type partyJob struct {
	pending Check
	fn      func(ctx context.Context) Check
}

// partyJobs lists the checks of one tenant after sign-in: for the publisher
// the role on each gallery; for a consumer the cross-tenant reads of each
// gallery's image versions (or of the gallery when it has none to wait for)
// and each granted role.
func (v *verifier) partyJobs(p, pub *party) []partyJob {
	var out []partyJob
	if p.consumer == nil {
		for _, g := range v.m.Publisher.Galleries {
			c := v.pending(p, CheckRole, g.Role.String()+" on gallery "+g.Name,
				planner.GalleryRoleAddress(g.Name, g.Role.String()).String())
			c.Scope = g.ID
			out = append(out, partyJob{pending: c, fn: func(ctx context.Context) Check {
				return v.checkRole(ctx, p, c, g.ID, g.Role)
			}})
		}
		return out
	}
	for _, g := range v.m.Publisher.Galleries {
		if len(g.WaitFor) == 0 {
			c := v.pending(p, CheckRead, g.Name+" (cross-tenant)", "")
			c.Scope = g.ID
			out = append(out, partyJob{pending: c, fn: func(ctx context.Context) Check {
				return v.checkGalleryRead(ctx, p, pub, c, g)
			}})
			continue
		}
		for _, w := range g.WaitFor {
			c := v.pending(p, CheckImage, g.Name+"/"+w.Image+"/"+w.Version+" (cross-tenant)",
				planner.WaitAddress(g.Name, w.Image, w.Version).String())
			c.Scope = g.ID
			out = append(out, partyJob{pending: c, fn: func(ctx context.Context) Check {
				return v.checkImageRead(ctx, p, pub, c, g, w)
			}})
		}
	}
	for _, gr := range p.consumer.Grants {
		c := v.pending(p, CheckRole, gr.Role.String()+" on "+verifyScopeLabel(gr.Scope),
			planner.ConsumerRoleAddress(p.name, gr.Scope, gr.Role.String()).String())
		c.Scope = gr.Scope
		out = append(out, partyJob{pending: c, fn: func(ctx context.Context) Check {
			return v.checkRole(ctx, p, c, gr.Scope, gr.Role)
		}})
	}
	return out
}

// retry runs fn, repeating failures that may be replication lag for up to
// RetryFor.
func (v *verifier) retry(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	if v.opts.RetryFor <= 0 {
		return fn(ctx)
	}
	initial := 2 * time.Second
	if v.opts.retryInitial > 0 {
		initial = v.opts.retryInitial
	}
	r := Retrier{
		Initial: initial, Max: 15 * time.Second, Deadline: v.opts.RetryFor,
		Classify: func(err error) Decision {
			return Decision{Retry: azure.MaybeLag(err) || verifyRoleMissing(err), RetryAfter: azure.RetryAfterOf(err)}
		},
		OnRetry: func(e RetryEvent) {
			v.log.Debug("retrying, may be replication lag", "check", what, "attempt", e.Attempt, "wait", e.Wait, "error", e.Err)
		},
	}
	return r.Do(ctx, fn)
}

// errVerifyRoleMissing marks a role check that found no matching assignment; it is
// retried under RetryFor because a new assignment takes a moment to list.
var errVerifyRoleMissing = errors.New("role assignment not found")

func verifyRoleMissing(err error) bool { return errors.Is(err, errVerifyRoleMissing) }

// verifyScopeLabel is a short name for a grant scope in the table; the full
// id stays in Check.Scope.
func verifyScopeLabel(scope string) string {
	parts := strings.Split(strings.Trim(scope, "/"), "/")
	switch {
	case len(parts) == 4 && strings.EqualFold(parts[2], "resourceGroups"):
		return "resource group " + parts[3] + " (subscription " + verifyShortID(parts[1]) + ")"
	case len(parts) == 2 && strings.EqualFold(parts[0], "subscriptions"):
		return "subscription " + parts[1]
	}
	return scope
}

// verifyShortID shortens a GUID-heavy id for the table.
func verifyShortID(s string) string {
	if len(s) > 13 && strings.Count(s, "-") == 4 {
		return s[:8] + "…"
	}
	return s
}
