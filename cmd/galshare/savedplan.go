package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// Apply of a saved plan executes the file only when it equals the plan its
// inputs give now (planner.VerifyRederived): the manifest it names (which
// must still be there, with the same sha256), the locked state (same lineage
// and serial), and a fresh refresh made with the options the file records.
// So what `galshare show` renders is what apply does, and a file edited by
// hand (a role's scope, a delivery path) is refused with nothing written.

// maxPlanClockSkew is how far in the future a plan's created_at may be: the
// plan may come from another machine whose clock runs a little ahead.
const maxPlanClockSkew = 10 * time.Minute

// isPlanFile sniffs a saved plan so apply takes either a manifest or a plan
// file without a flag: a JSON object with a top-level "kind" or
// "format_version" key, wherever the key is (no manifest has either). The
// plan --json view has format_version, so apply reads it as a plan file and
// says which command writes one, instead of listing it as a manifest's
// errors. A path that is not a regular file (a FIFO would block the open) is
// not sniffed; the manifest loader then refuses it by name.
func isPlanFile(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, planner.MaxPlanFileSize+1))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if key == "kind" || key == "format_version" {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}

// verifySavedPlan refuses a saved plan unless it equals the plan re-derived
// from its manifest, the locked state and Azure now, naming each change and
// field that differs. It writes nothing. Its refresh replaces the separate
// fingerprint re-reads apply used to make (executor.CheckPlanFresh): the
// re-derived plan carries the live fingerprints.
func verifySavedPlan(ctx context.Context, a *app, az *azureFlags, conn *azure.Connector, hd *state.Handle, p *planner.Plan) error {
	m, err := loadPlanManifest(ctx, a, p)
	if err != nil {
		return err
	}
	planned := state.Ref{Lineage: p.State.Lineage, Serial: p.State.Serial, Exists: p.State.Exists}
	if err := planned.Check(hd.State().Ref()); err != nil {
		return fmt.Errorf("the saved plan is stale: %w", err)
	}
	if p.CreatedAt.IsZero() || p.CreatedAt.After(time.Now().Add(maxPlanClockSkew)) {
		return fmt.Errorf("the plan file was edited or is corrupt: created_at %s is not a time the plan can have been made; make a new plan",
			p.CreatedAt.Format(time.RFC3339))
	}
	st := hd.State()
	ropts, done := az.refreshOptions(ctx, a, conn, m)
	defer done()
	ropts.Destroy, ropts.NoPreflight = p.Destroy, p.NoPreflight
	stopProgress := startRefreshProgress(a, &ropts)
	snap, err := planner.Refresh(ctx, m, st, conn, ropts)
	stopProgress()
	if err != nil {
		if interrupted(ctx) {
			return planInterrupted(a)
		}
		return refreshError(a.stderr, err, conn.CredentialSource)
	}
	derived, err := planner.Build(m, snap, st, planner.Options{
		Destroy:         p.Destroy,
		Targets:         p.Targets,
		NoPreflight:     p.NoPreflight,
		Now:             p.CreatedAt,
		AuthorityHost:   conn.Environment().AuthorityHost,
		GalshareVersion: p.GalshareVersion,
	})
	if err != nil {
		return fmt.Errorf("the saved plan cannot be re-derived from %s: %w; make a new plan", p.Manifest.Path, err)
	}
	return planner.VerifyRederived(p, derived)
}

// loadPlanManifest loads the manifest a saved plan names and checks its
// hash. The plan records the manifest's absolute path, so a manifest moved
// (or a plan applied from another checkout) is reported as not found there.
func loadPlanManifest(ctx context.Context, a *app, p *planner.Plan) (*spec.Manifest, error) {
	path := p.Manifest.Path
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the saved plan was made from the manifest %s, which is not found there now; "+
			"apply the plan where it was made (the plan file records the manifest's absolute path), or make a new plan", path)
	}
	m, diags, err := spec.Load(ctx, path)
	if err != nil {
		writeDiagnosticsText(a.stderr, diags, a.stderrColor())
		return nil, fmt.Errorf("the saved plan was made from %s, which cannot be loaded now: %w", path, err)
	}
	if m.SHA256 != p.Manifest.SHA256 {
		return nil, fmt.Errorf("the saved plan is stale: manifest %s changed since the plan was made (sha256 %s, now %s); make a new plan",
			path, short(p.Manifest.SHA256), short(m.SHA256))
	}
	return m, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
