package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/state"
)

// The demo's second part: a consumer whose own administrator acts
// (access: manual). galshare never signs in there; apply stops with exit 3
// and prints the consent URL and the role grant; the demo then plays that
// administrator in the simulator, and the next apply records what the
// administrator made and finishes.
const (
	demoManualName   = "northwind"
	demoManualTenant = "33333333-3333-3333-3333-333333333333"
	demoManualSub    = "cccccccc-cccc-cccc-cccc-cccccccccccc"
	demoManualScope  = "/subscriptions/" + demoManualSub + "/resourceGroups/vm-rg"
)

// addManualTenant adds Northwind, the manual consumer's tenant, to the
// demo's world: an administrator account and a resource group, and no
// operator for galshare.
func addManualTenant(seed *azsim.Seed) {
	seed.Tenants = append(seed.Tenants, azsim.TenantSeed{
		ID: demoManualTenant, Domain: "northwind.onmicrosoft.com", DisplayName: "Northwind",
		Users: []azsim.UserSeed{{UPN: "admin@northwind.onmicrosoft.com", DisplayName: "Northwind Admin",
			Password: "Northwind-Admin-1", DirectoryRoles: []string{"Global Administrator"}}},
	})
	seed.Subscriptions = append(seed.Subscriptions, azsim.SubscriptionSeed{
		ID: demoManualSub, Tenant: demoManualTenant, DisplayName: "Northwind Workloads",
		ResourceGroups: []azsim.ResourceGroupSeed{{Name: "vm-rg", Location: "eastus"}},
	})
}

// demoManualConsumer is the manifest entry the demo appends.
const demoManualConsumer = `  # Added by the demo: a consumer whose own administrator consents and grants.
  - name: ` + demoManualName + `
    tenant: ` + demoManualTenant + `
    access: manual
    grants:
      - scope: ` + demoManualScope + `
        role: Contributor
`

// manualSteps are the CLI steps of the second part, around the
// administrator's actions.
func manualSteps(d *demoRun) []demoStep {
	return []demoStep{
		{"apply manual", "a consumer whose administrator acts: apply does its part, stops (exit 3) and prints the consent URL and role grant",
			[]string{"apply", "--auto-approve", "--cloud", d.cloud, "--state", d.state, "--wait-timeout", "2m", d.manifest}, exitBlocked},
		{"apply again", "after the administrator consented and granted: apply records their objects and finishes",
			[]string{"apply", "--auto-approve", "--cloud", d.cloud, "--state", d.state, "--wait-timeout", "2m", d.manifest}, exitOK},
		{"verify all", "sign in as the app in every tenant, the manual one too", []string{"verify", "--cloud", d.cloud, d.manifest}, exitOK},
	}
}

// manualPart adds the manual consumer to the manifest, runs apply until it
// blocks, acts as Northwind's administrator, then applies and verifies.
func (d *demoRun) manualPart(ctx context.Context, done, total int) error {
	f, err := os.OpenFile(d.manifest, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("adding the manual consumer to the demo manifest: %w", err)
	}
	_, err = f.WriteString(demoManualConsumer)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("adding the manual consumer to the demo manifest: %w", err)
	}
	w := d.a.stdout
	fmt.Fprintf(w, "\n==> The demo adds a consumer whose own administrator acts to quickstart.yaml:\n\n%s", demoManualConsumer)
	steps := manualSteps(d)
	if err := d.step(ctx, done+1, total, steps[0]); err != nil {
		return err
	}
	if err := d.actAsAdmin(); err != nil {
		return err
	}
	for i, s := range steps[1:] {
		if err := d.step(ctx, done+2+i, total, s); err != nil {
			return err
		}
	}
	return nil
}

// actAsAdmin does in the simulator what Northwind's administrator does
// with the printed instructions: open the consent URL and accept (this
// creates the app's service principal), then run the printed
// az role assignment create.
func (d *demoRun) actAsAdmin() error {
	st, err := state.Read(d.state)
	if err != nil {
		return fmt.Errorf("reading the demo state: %w", err)
	}
	var appID string
	for _, r := range st.Resources {
		if r.Type == "application" {
			appID = r.Attributes["appId"]
		}
	}
	if appID == "" {
		return fmt.Errorf("the demo state has no app")
	}
	spID, err := d.sim.ConsentAsAdmin(demoManualTenant, appID)
	if err != nil {
		return fmt.Errorf("consenting as Northwind's administrator: %w", err)
	}
	if _, err := d.sim.GrantRole(demoManualScope, "Contributor", spID); err != nil {
		return fmt.Errorf("granting Contributor as Northwind's administrator: %w", err)
	}
	fmt.Fprintf(d.a.stdout, "\n==> The demo plays Northwind's administrator: opens the consent URL above and accepts\n"+
		"    (this creates the app's service principal), then runs the printed role grant:\n"+
		"    az role assignment create --assignee %s --role \"Contributor\" --scope %s\n",
		appID, strings.TrimSpace(demoManualScope))
	return nil
}
