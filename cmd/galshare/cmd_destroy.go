package main

import (
	"github.com/spf13/cobra"
)

func newDestroyCmd(a *app) *cobra.Command {
	var f applyFlags
	az := newAzureFlags()
	cmd := &cobra.Command{
		Use:   "destroy MANIFEST",
		Short: "Remove everything galshare created for a manifest, in reverse order",
		Long: `destroy plans the removal of every object galshare created for the manifest
(as recorded in state and marked in Azure), shows the plan, asks for "yes"
(or --auto-approve) and removes them in reverse dependency order: role
assignments, then service principals, then the secret, then the app.

Objects galshare adopted — ones that existed before it managed them, such as a
service principal created by an administrator's consent or a role assignment
made by hand — are only forgotten, never deleted.

Exit codes: 0 done, 1 failures (or interrupted), 3 blocked on a human action.`,
		Example: `  galshare destroy examples/quickstart.yaml
  galshare destroy --auto-approve --json examples/quickstart.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), a, az, &f, args[0], true)
		},
	}
	f.register(cmd, true)
	az.register(cmd)
	return cmd
}
