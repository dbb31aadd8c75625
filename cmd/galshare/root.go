package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/termtext"
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

	pf := root.PersistentFlags()
	pf.BoolVar(&a.noColor, "no-color", false, "disable colour in output and logs (also NO_COLOR=1)")
	pf.StringVar(&a.logLevel, "log-level", "",
		"log `LEVEL`: trace|debug|info|warn|error|off (default warn; env "+envLogLevel+", the flag wins)")

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
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes every command group (state, sim) fail on
// an unknown subcommand (exit 1, with a did-you-mean) instead of printing
// its help and exiting 0, which a script would take for success. A group
// run with no argument still prints its help.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if c.Parent() == nil || !c.HasSubCommands() || c.Run != nil || c.RunE != nil {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		var names []string
		for _, s := range cmd.Commands() {
			if s.IsAvailableCommand() {
				names = append(names, s.Name())
			}
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if near := spec.DidYouMean(args[0], names); near != "" {
			msg += "; did you mean " + near + "?"
		}
		return errors.New(msg)
	}
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

	cmd, err := root.ExecuteContextC(ctx)
	err = explainUsageError(cmd, err)
	code, print := exitCodeOf(err)
	if print {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			fmt.Fprintln(stderr, "galshare: interrupted")
		} else {
			// Errors name addresses and values from the manifest, state
			// and Azure: escape them (line by line, so a joined error
			// keeps its lines).
			// Redacted first: an error may hold any text a server sent.
			lines := strings.Split(a.redact.Redact(err.Error()), "\n")
			for i, l := range lines {
				lines[i] = termtext.Escape(l)
			}
			fmt.Fprintf(stderr, "galshare: error: %s\n", strings.Join(lines, "\n"))
		}
	}
	return code
}

// argCountError matches cobra's bare argument-count messages ("accepts 1
// arg(s), received 0", "unknown command "x" for "galshare state"").
var argCountError = regexp.MustCompile(`^(accepts \d+ arg\(s\), received \d+|accepts at most \d+ arg\(s\), received \d+|requires at least \d+ arg\(s\), only received \d+|unknown command ".*" for ".*")`)

// explainUsageError turns cobra's bare argument errors into a sentence that
// names the command, what it takes and where the help is, e.g.
// "galshare apply takes MANIFEST|PLANFILE: accepts 1 arg(s), received 0 (see galshare apply --help)".
func explainUsageError(cmd *cobra.Command, err error) error {
	if err == nil || cmd == nil || !argCountError.MatchString(err.Error()) {
		return err
	}
	if !cmd.HasParent() {
		return err // cobra's own message for the root already suggests commands
	}
	takes := strings.TrimSpace(strings.TrimPrefix(cmd.Use, cmd.Name()))
	if takes == "" {
		takes = "no arguments"
	}
	if cmd.HasSubCommands() {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		takes = "a subcommand (" + strings.Join(names, ", ") + ")"
	}
	return fmt.Errorf("%s takes %s: %v (see %s --help)", cmd.CommandPath(), takes, err, cmd.CommandPath())
}
