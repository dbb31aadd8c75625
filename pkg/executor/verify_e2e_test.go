package executor_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// verify runs executor.Verify against the world as `galshare verify` does.
func (w *simWorld) verify(mutate func(*executor.VerifyOptions)) *executor.VerifyReport {
	w.t.Helper()
	opts := executor.VerifyOptions{
		AsApp: func(appID string, secret azure.Secret) executor.AppClients {
			return w.conn.AppClients(appID, secret)
		},
		Operator:      w.conn,
		Vaults:        w.conn,
		AuthorityHost: w.conn.Environment().AuthorityHost,
		Logger:        hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: w.logs}),
	}
	if mutate != nil {
		mutate(&opts)
	}
	rep, err := executor.Verify(context.Background(), w.load(), opts)
	if err != nil {
		w.t.Fatalf("verify: %v", err)
	}
	return rep
}

// rowKey names a row for comparisons: "party check object".
func rowKey(c executor.Check) string { return c.Party + " " + c.Kind + " " + c.Object }

// results maps each row to its result, failing the test on duplicate rows.
func results(t *testing.T, rep *executor.VerifyReport) map[string]executor.Check {
	t.Helper()
	out := map[string]executor.Check{}
	for _, c := range rep.Checks {
		k := rowKey(c)
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate row %q", k)
		}
		out[k] = c
	}
	return out
}

func dumpReport(rep *executor.VerifyReport) string {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}

// deliveredSecret reads the secret value apply delivered, to scan outputs for it.
func (w *simWorld) deliveredSecret() string {
	w.t.Helper()
	m := w.load()
	d := m.Publisher.App.Secret.DeliverTo
	var doc azure.DeliveredSecret
	var err error
	if d.Kind == spec.DeliveryKeyVault {
		var kv azure.SecretVault
		if kv, err = w.conn.KeyVault(w.t.Context(), m.Publisher.Tenant, d.VaultURL); err == nil {
			doc, err = kv.GetClientSecret(w.t.Context(), d.SecretName)
		}
	} else {
		doc, err = azure.ReadDeliveredSecret(d.Path)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	if doc.Secret.IsZero() {
		w.t.Fatal("delivered secret is empty")
	}
	return doc.Secret.Reveal()
}

func TestVerifyAfterApplyAllOK(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each world waits seconds for replication
			w := newSimWorld(t, name)
			w.converge()
			rep := w.verify(nil)
			if !rep.OK {
				t.Fatalf("verify after apply is not OK:\n%s", dumpReport(rep))
			}
			m := w.load()
			// secret + per tenant sign-in + publisher role per gallery +
			// per consumer: one read per waitFor (or gallery) and one per grant.
			want := 1 + 1 + len(m.Publisher.Galleries)
			reads := 0
			for _, g := range m.Publisher.Galleries {
				reads += max(1, len(g.WaitFor))
			}
			for _, c := range m.Consumers {
				want += 1 + reads + len(c.Grants)
			}
			if rep.Summary.Total != want || rep.Summary.OK != want || len(rep.Checks) != want {
				t.Fatalf("got %+v (%d rows), want %d checks all ok:\n%s", rep.Summary, len(rep.Checks), want, dumpReport(rep))
			}
			for _, c := range rep.Checks {
				if c.Kind != executor.CheckSecret && c.Via != "app" {
					t.Errorf("%s was read via %q, want the app's own token", rowKey(c), c.Via)
				}
			}
			b, _ := json.Marshal(rep)
			if secret := w.deliveredSecret(); strings.Contains(string(b), secret) || strings.Contains(string(w.logs.Bytes()), secret) {
				t.Fatal("the secret value appears in the verify report or logs")
			}
		})
	}
}

// TestVerifyDetectsBreakage breaks one thing in the simulator after a
// converged apply and checks that exactly the right rows fail, with the
// right reason, and the rest still pass or are skipped.
func TestVerifyDetectsBreakage(t *testing.T) {
	const consumer = "22222222-2222-2222-2222-222222222222"
	cases := []struct {
		name   string
		break_ func(t *testing.T, w *simWorld, appID string)
		opts   func(*executor.VerifyOptions)
		// fail lists the row-key prefixes that must fail, with a detail substring.
		fail map[string]string
		// code is the error code expected on the first failing row ("" = any).
		code string
		// skip lists row-key prefixes that must be skipped.
		skip []string
	}{
		{
			name:   "consumer role assignment removed",
			break_: removeConsumerRole,
			fail:   map[string]string{"fabrikam role Contributor on": "Contributor is not assigned"},
		},
		{
			// Without galshare's own credentials the app's 403 is all there is.
			name:   "consumer role assignment removed, no operator",
			break_: removeConsumerRole,
			opts:   func(o *executor.VerifyOptions) { o.Operator = nil },
			fail:   map[string]string{"fabrikam role Contributor on": "may not read role assignments"},
			code:   "AuthorizationFailed",
		},
		{
			name: "consumer service principal deleted",
			break_: func(t *testing.T, w *simWorld, appID string) {
				dir, err := w.conn.Directory(context.Background(), consumer)
				if err != nil {
					t.Fatal(err)
				}
				sp, err := dir.GetServicePrincipal(context.Background(), appID)
				if err != nil {
					t.Fatal(err)
				}
				if err := dir.DeleteServicePrincipal(context.Background(), sp.ObjectID); err != nil {
					t.Fatal(err)
				}
			},
			fail: map[string]string{"fabrikam sign-in": "consent missing"},
			code: "AADSTS700016",
			skip: []string{"fabrikam image", "fabrikam role"},
		},
		{
			name: "secret file missing",
			break_: func(t *testing.T, w *simWorld, appID string) {
				if err := os.Remove(w.load().Publisher.App.Secret.DeliverTo.Path); err != nil {
					t.Fatal(err)
				}
			},
			fail: map[string]string{"publisher secret": "does not exist"},
			skip: []string{"publisher sign-in", "publisher role", "fabrikam sign-in", "fabrikam image", "fabrikam role"},
		},
		{
			name: "wrong secret",
			break_: func(t *testing.T, w *simWorld, appID string) {
				path := w.load().Publisher.App.Secret.DeliverTo.Path
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				if err := json.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				doc["secret"] = "not-the-secret-value-0123456789"
				raw, _ = json.Marshal(doc)
				if err := os.WriteFile(path, raw, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			fail: map[string]string{"publisher sign-in": "not valid", "fabrikam sign-in": "not valid"},
			code: "AADSTS7000215",
			skip: []string{"publisher role", "fabrikam image", "fabrikam role"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each world waits seconds for replication
			w := newSimWorld(t, "quickstart")
			w.converge()
			before := w.verify(nil)
			if !before.OK {
				t.Fatalf("verify before breaking is not OK:\n%s", dumpReport(before))
			}
			tc.break_(t, w, before.AppID)
			rep := w.verify(tc.opts)
			t.Logf("report after %s:\n%s", tc.name, dumpReport(rep))
			if rep.OK || rep.Summary.Failed == 0 {
				t.Fatalf("verify passed after %s:\n%s", tc.name, dumpReport(rep))
			}
			rows := results(t, rep)
			failing := 0
			for k, c := range rows {
				var wantFail, wantSkip bool
				var detail string
				for prefix, d := range tc.fail {
					if strings.HasPrefix(k, prefix) {
						wantFail, detail = true, d
					}
				}
				for _, prefix := range tc.skip {
					if strings.HasPrefix(k, prefix) {
						wantSkip = true
					}
				}
				switch {
				case wantFail:
					failing++
					if c.Result != executor.ResultFail || !strings.Contains(c.Detail, detail) {
						t.Errorf("%s: got %s %q, want fail with %q", k, c.Result, c.Detail, detail)
					}
					if c.Fix == "" || c.Error == "" {
						t.Errorf("%s: a failure needs an error and a fix: %+v", k, c)
					}
					if !strings.Contains(c.Error, c.Tenant) && c.Kind != executor.CheckSecret {
						t.Errorf("%s: error %q does not name the tenant", k, c.Error)
					}
					if tc.code != "" && c.Code != tc.code {
						t.Errorf("%s: code %q, want %q", k, c.Code, tc.code)
					}
				case wantSkip:
					if c.Result != executor.ResultSkip {
						t.Errorf("%s: got %s %q, want skip", k, c.Result, c.Detail)
					}
				default:
					if c.Result != executor.ResultOK {
						t.Errorf("%s: got %s %q, want ok", k, c.Result, c.Detail)
					}
				}
			}
			if failing != len(tc.fail) {
				t.Errorf("matched %d failing rows, want %d:\n%s", failing, len(tc.fail), dumpReport(rep))
			}
		})
	}
}

// removeConsumerRole deletes the app's role assignment in the quickstart's
// consumer tenant, as an administrator there would, with galshare's operator.
func removeConsumerRole(t *testing.T, w *simWorld, appID string) {
	const consumer = "22222222-2222-2222-2222-222222222222"
	sp, ok := w.sim.ServicePrincipal(consumer, appID)
	if !ok {
		t.Fatal("no consumer SP after apply")
	}
	removed := 0
	for _, ra := range w.sim.RoleAssignments() {
		if ra.PrincipalID == sp.ID {
			res, err := w.conn.Resources(context.Background(), consumer)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.DeleteRoleAssignment(context.Background(), ra.ID); err != nil {
				t.Fatal(err)
			}
			removed++
		}
	}
	if removed != 1 {
		t.Fatalf("removed %d consumer role assignments, want 1", removed)
	}
}

// verifyPlanned is verify as the command runs it: with the plan a
// `galshare plan` would make now, so its fixes follow what apply would do.
func (w *simWorld) verifyPlanned(p *planner.Plan) *executor.VerifyReport {
	w.t.Helper()
	return w.verify(func(o *executor.VerifyOptions) { o.Plan = p })
}
