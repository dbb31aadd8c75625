package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

func newValidateCmd(a *app) *cobra.Command {
	var asJSON bool
	statePath := state.DefaultPath
	cmd := &cobra.Command{
		Use:   "validate [--json] FILE...",
		Short: "Check manifests: YAML, schema and semantic checks, every problem at once",
		Long: `validate reads each manifest and reports every problem it finds, each as
file:line:col: error: message, with a hint where one helps. It needs no
network and no credentials, so it suits pre-commit hooks and CI.

Exit code 0 when every manifest is valid (warnings allowed), 1 otherwise.`,
		Example: `  galshare validate examples/quickstart.yaml
  galshare validate examples/*.yaml
  galshare validate --json manifest.yaml | jq '.[] | select(.severity == "error")'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var all spec.Diagnostics
			for _, path := range args {
				m, diags, err := spec.Load(ctx, path)
				if ctxErr := ctx.Err(); ctxErr != nil {
					return ctxErr
				}
				if own := spec.CheckDeliveryTarget(path, m, validateOwnFiles(statePath, m)); own.HasErrors() {
					diags, err = append(diags, own...), spec.ErrInvalid
				}
				all = append(all, diags...)
				if err == nil {
					a.log.Debug("manifest valid", "file", path, "sha256", m.SHA256,
						"galleries", len(m.Publisher.Galleries), "consumers", len(m.Consumers))
					if !asJSON {
						fmt.Fprintf(a.stdout, "%s: valid (%s)\n", path, summarize(m))
					}
				}
			}
			if asJSON {
				if err := writeDiagnosticsJSON(a.stdout, all); err != nil {
					return err
				}
			} else {
				writeDiagnosticsText(a.stderr, all, a.stderrColor())
			}
			if all.HasErrors() {
				return withExitCode(exitFailure, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false,
		"print diagnostics to stdout as a JSON array of {file, line, column, severity, code, message, hint, path}")
	cmd.Flags().StringVar(&statePath, "state", state.DefaultPath,
		"the state `FILE` plan and apply will use (deliverTo may not name it or its lock, backup and temp files)")
	return cmd
}

func summarize(m *spec.Manifest) string {
	return fmt.Sprintf("%s, %s, %s", m.Name,
		plural(len(m.Publisher.Galleries), "gallery", "galleries"),
		plural(len(m.Consumers), "consumer", "consumers"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// writeDiagnosticsText prints one diagnostic per line (hints indented
// below) and a count, the format editors and CI logs understand.
func writeDiagnosticsText(w io.Writer, ds spec.Diagnostics, color bool) {
	errs, warns := 0, 0
	for _, d := range ds {
		line := d.String()
		if d.Severity == spec.SeverityError {
			errs++
		} else {
			warns++
		}
		if color {
			sev := string(d.Severity)
			code := "\x1b[1;31m"
			if d.Severity == spec.SeverityWarning {
				code = "\x1b[1;33m"
			}
			line = strings.Replace(line, ": "+sev+": ", ": "+code+sev+"\x1b[0m: ", 1)
		}
		fmt.Fprintln(w, line)
	}
	if errs+warns > 0 {
		fmt.Fprintf(w, "%s, %s\n", plural(errs, "error", "errors"), plural(warns, "warning", "warnings"))
	}
}

// diagnosticJSON is the documented --json shape; it is stable.
type diagnosticJSON struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
	Path     string `json:"path,omitempty"`
}

func writeDiagnosticsJSON(w io.Writer, ds spec.Diagnostics) error {
	out := make([]diagnosticJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, diagnosticJSON{
			File: d.File, Line: d.Line, Column: d.Col, Severity: string(d.Severity),
			Code: d.Code, Message: d.Summary, Hint: d.Hint, Path: d.Path,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing diagnostics: %w", err)
	}
	return nil
}

// validateOwnFiles are the state's files validate compares deliverTo with:
// --state when given as a path, else the manifest's state.url when that is a
// path, else the default file. A blob state has no local files.
func validateOwnFiles(flag string, m *spec.Manifest) []spec.OwnFile {
	loc := flag
	if flag == state.DefaultPath && m != nil && m.State.URL != "" {
		loc = m.State.URL
	}
	if isStateURL(loc) {
		return nil
	}
	return stateOwnFiles(loc)
}
