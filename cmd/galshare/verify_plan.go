package main

import (
	"context"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
)

// planForVerify makes the plan `galshare plan` would make now (read-only,
// without the write preflight), so that verify only advises "run galshare
// apply" where apply has something to do. Nil when no plan can be made
// (the reason is logged): verify's fixes then stay generic.
func planForVerify(ctx context.Context, a *app, az *azureFlags, conn *azure.Connector, m *spec.Manifest) *planner.Plan {
	st, err := az.readState(ctx, a, m)
	if err != nil {
		a.log.Debug("verify: no plan to follow", "reason", err)
		return nil
	}
	ropts, done := az.refreshOptions(ctx, a, conn, m)
	defer done()
	ropts.NoPreflight = true
	snap, err := planner.Refresh(ctx, m, st, conn, ropts)
	if err != nil {
		a.log.Debug("verify: no plan to follow", "reason", err)
		return nil
	}
	p, err := planner.Build(m, snap, st, planner.Options{AuthorityHost: conn.Environment().AuthorityHost, GalshareVersion: version})
	if err != nil {
		a.log.Debug("verify: no plan to follow", "reason", err)
		return nil
	}
	return p
}
