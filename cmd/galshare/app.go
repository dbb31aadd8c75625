package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/term"
)

// envLogLevel names the environment variable that sets the log level when
// --log-level is not given.
const envLogLevel = "GALSHARE_LOG"

// defaultLogLevel keeps galshare quiet unless something is worth a warning.
const defaultLogLevel = "warn"

// app is everything a command needs from the process: its streams, a logger
// and the terminal facts that decide colour. Every command constructor
// (newValidateCmd(a), newPlanCmd(a), …) receives the one app built by run,
// so tests can run the CLI in-process with their own writers and
// environment, and no command reaches for os.Stdout or a global.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// getenv reads the environment; run passes os.Getenv, tests may pass a map.
	getenv func(string) string

	// log writes to stderr at the level from --log-level/GALSHARE_LOG. It is
	// usable (level warn) before flags are parsed and is replaced by
	// setupLogging from the root command's PersistentPreRunE, so read a.log
	// inside RunE, never keep the one seen in a constructor.
	log hclog.Logger

	// noColor is set by --no-color or the NO_COLOR convention.
	noColor bool
	// isTTY reports whether stdout is a terminal.
	isTTY bool
	// stderrTTY reports whether stderr is a terminal.
	stderrTTY bool

	// logLevel is bound to --log-level; empty means "use GALSHARE_LOG or warn".
	logLevel string

	// refreshLogEvery replaces refreshLogEvery (tests; zero: the default).
	refreshLogEvery time.Duration
	// stderrFile is the stderr given to newApp when it is a file (for the
	// terminal's size; stderr itself is wrapped by the redactor).
	stderrFile *os.File

	// redact removes credentials from everything written to stderr (logs,
	// errors, progress): the last line of defence behind pkg/azure's own
	// redaction. Connectors add the credential values they read to it.
	redact *azure.Redactor
}

// newApp builds the app for one CLI invocation.
func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	red := azure.NewRedactor()
	a := &app{
		stdin:     stdin,
		stdout:    stdout,
		stderr:    azure.RedactingWriter(stderr, red),
		getenv:    getenv,
		isTTY:     isTerminal(stdout),
		stderrTTY: isTerminal(stderr),
		redact:    red,
	}
	if f, ok := stderr.(*os.File); ok {
		a.stderrFile = f
	}
	a.log = a.newLogger(hclog.Warn)
	return a
}

// useColor reports whether output to stdout may contain ANSI colour codes.
func (a *app) useColor() bool {
	return a.isTTY && !a.noColor && a.getenv("NO_COLOR") == ""
}

// stderrColor reports whether output to stderr may contain ANSI colour codes.
func (a *app) stderrColor() bool {
	return a.stderrTTY && !a.noColor && a.getenv("NO_COLOR") == ""
}

// setupLogging applies --log-level (which wins) or GALSHARE_LOG, and
// --no-color, to a.log. It runs once flags are parsed.
func (a *app) setupLogging() error {
	level, source := a.logLevel, "--log-level"
	if level == "" {
		level, source = a.getenv(envLogLevel), envLogLevel
	}
	if level == "" {
		level = defaultLogLevel
	}
	lvl, err := parseLogLevel(level)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	a.log = a.newLogger(lvl)
	return nil
}

func (a *app) newLogger(level hclog.Level) hclog.Logger {
	color := hclog.ColorOff
	if a.stderrColor() {
		color = hclog.AutoColor
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:   "galshare",
		Level:  level,
		Output: a.stderr,
		Color:  color,
	})
}

// logLevels lists the accepted --log-level values, quietest last.
var logLevels = []string{"trace", "debug", "info", "warn", "error", "off"}

// parseLogLevel accepts exactly the documented names (hclog alone would
// silently turn a typo into "no level").
func parseLogLevel(s string) (hclog.Level, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range logLevels {
		if s == l {
			return hclog.LevelFromString(s), nil
		}
	}
	return hclog.NoLevel, fmt.Errorf("unknown log level %q (want one of %s)", s, strings.Join(logLevels, ", "))
}

// termSize is the size of the terminal stdout is on (80×24 when it cannot
// be read). It is asked again for every frame of the live view, so a window
// resize reflows the next frame.
func (a *app) termSize() (cols, rows int) {
	if f, ok := a.stdout.(*os.File); ok {
		if c, r, err := term.GetSize(int(f.Fd())); err == nil && c > 0 && r > 0 {
			return c, r
		}
	}
	return 80, 24
}

// isTerminal reports whether w is an *os.File attached to a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
