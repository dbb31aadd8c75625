package main

import (
	"github.com/galshare/galshare/pkg/planner"
	"github.com/spf13/cobra"
)

func newShowCmd(a *app) *cobra.Command {
	var (
		jsonOut       bool
		format        string
		showUnchanged bool
	)
	cmd := &cobra.Command{
		Use:   "show PLANFILE",
		Short: "Render a plan saved with plan --out",
		Long: `show renders a plan saved with "galshare plan --out FILE" as text, as the
documented JSON (docs/plan-json.md) or as markdown for a pull-request comment.
It reads only the file: no Azure call, no state.`,
		Example: `  galshare plan --out plan.json examples/quickstart.yaml
  galshare show plan.json
  galshare show --json plan.json | jq '.changes[] | select(.action != "no-op") | .address'
  galshare show --format markdown plan.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := outputFormat(jsonOut, format)
			if err != nil {
				return err
			}
			p, err := planner.ReadPlanFile(args[0])
			if err != nil {
				return err
			}
			return renderPlan(a, p, f, showUnchanged)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&jsonOut, "json", false, "print the plan as JSON (same as --format json)")
	fs.StringVar(&format, "format", "text", "output `FORMAT`: text, json or markdown")
	fs.BoolVar(&showUnchanged, "show-unchanged", false, "also list objects that need no change (text format)")
	return cmd
}
