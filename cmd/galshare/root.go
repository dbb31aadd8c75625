package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// newRootCmd builds the galshare command tree for one invocation. Every
// subcommand is registered in the list below with one line; its constructor
// takes the shared *app and owns its flags (no global flag variables).
//
// Subcommands must not set PersistentPreRun/PersistentPreRunE: cobra would
// then skip the root's hook, which configures logging from the global flags.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "galshare",
		Short: "Share Azure Compute Galleries across Entra tenants from a reviewed manifest",
		Long: `galshare turns the documented, click-by-click procedure for sharing an Azure
Compute Gallery with other Microsoft Entra tenants (multi-tenant app
registration, client secret, Reader on the gallery, consent and role grants
in every consumer tenant) into a reviewed, repeatable validate → plan → apply
workflow driven by a YAML manifest kept in version control.

` + exitCodesHelp(),
		Example: `  # Check a manifest before committing it
  galshare validate examples/quickstart.yaml

  # More detail in the logs
  GALSHARE_LOG=debug galshare validate examples/*.yaml`,
		SilenceErrors: true, // run prints errors once, in one format
		SilenceUsage:  true, // a failed Azure call is not a usage error
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setupLogging()
		},
	}
	root.CompletionOptions.HiddenDefaultCmd = true

	pf := root.PersistentFlags()
	pf.BoolVar(&a.noColor, "no-color", false, "disable colour in output and logs (also NO_COLOR=1)")
	pf.StringVar(&a.logLevel, "log-level", "",
		"log level: trace|debug|info|warn|error|off (default warn; env "+envLogLevel+", the flag wins)")

	// Register commands here, one line each.
	root.AddCommand(
		newValidateCmd(a),
		newVersionCmd(a),
		newStateCmd(a),
		newSimCmd(a),
		newPlanCmd(a),
		newShowCmd(a),
		newApplyCmd(a),
		newDestroyCmd(a),
		newVerifyCmd(a),
		newDemoCmd(a),
	)
	addBuiltinExamples(root)
	return root
}

// completionExamples show how to load each shell's completion script.
var completionExamples = map[string]string{
	"bash":       "  source <(galshare completion bash)",
	"zsh":        "  galshare completion zsh > \"${fpath[1]}/_galshare\"",
	"fish":       "  galshare completion fish > ~/.config/fish/completions/galshare.fish",
	"powershell": "  galshare completion powershell | Out-String | Invoke-Expression",
}

// addBuiltinExamples gives cobra's own help and completion commands an
// example too, so that --help shows one on every command.
func addBuiltinExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  galshare help validate"
		case "completion":
			c.Example = "  source <(galshare completion bash)"
			for _, sub := range c.Commands() {
				sub.Example = completionExamples[sub.Name()]
			}
		}
	}
}

// run executes galshare with args and returns the process exit code. It is
// the whole CLI minus os.Exit, so tests drive it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := newApp(stdin, stdout, stderr, os.Getenv)
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(a.stderr)

	err := root.ExecuteContext(ctx)
	code, print := exitCodeOf(err)
	if print {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			fmt.Fprintln(stderr, "galshare: interrupted")
		} else {
			// Redacted here too: an error may hold any text a server sent.
			fmt.Fprintf(stderr, "galshare: error: %s\n", a.redact.Redact(err.Error()))
		}
	}
	return code
}
