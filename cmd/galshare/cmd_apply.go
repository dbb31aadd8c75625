package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/galshare/galshare/pkg/azure"
	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/planner"
	"github.com/galshare/galshare/pkg/spec"
	"github.com/galshare/galshare/pkg/state"
)

// applyFlags are the flags apply and destroy share. They live in the
// command's closure (no globals).
type applyFlags struct {
	// targets and noPreflight shape the plan apply makes from a manifest,
	// as plan's flags of the same names do (a saved plan carries its own).
	targets     []string
	noPreflight bool
	autoApprove bool
	lockTimeout time.Duration
	waitTimeout time.Duration
	jsonOut     bool
}

func (f *applyFlags) register(cmd *cobra.Command, destroy bool) {
	fs := cmd.Flags()
	if destroy {
		fs.BoolVar(&f.autoApprove, "auto-approve", false, "destroy without asking for confirmation (required without a terminal)")
	} else {
		fs.BoolVar(&f.autoApprove, "auto-approve", false, "apply without asking for confirmation (required without a terminal)")
		// destroy has no image version to wait for.
		fs.DurationVar(&f.waitTimeout, "wait-timeout", 30*time.Minute, "let each replication wait take up to `DURATION`")
	}
	fs.StringArrayVar(&f.targets, "target", nil, "limit to this `ADDRESS` and what it depends on (repeatable; as plan --target)")
	fs.BoolVar(&f.noPreflight, "no-preflight", false, "skip the check of the operator's rights before writing (as plan --no-preflight)")
	fs.DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the state lock another run holds (0: fail at once)")
	fs.BoolVar(&f.jsonOut, "json", false, "stream one JSON event per line (start, progress, complete, error, interrupt, summary) instead of text")
}

func newApplyCmd(a *app) *cobra.Command {
	var f applyFlags
	az := newAzureFlags()
	cmd := &cobra.Command{
		Use:   "apply MANIFEST|PLANFILE",
		Short: "Make Azure match a manifest, or apply a saved plan exactly",
		Long: `apply turns a reviewed plan into the real thing.

With a MANIFEST it plans, shows the plan and asks for "yes" (on a terminal;
elsewhere pass --auto-approve). With a PLANFILE written by "plan --out" it
applies exactly that plan, and refuses when the manifest, the state
(lineage/serial) or any live object the plan fingerprinted changed since.

Actions run as soon as their dependencies succeed. --parallelism bounds the
requests on the wire to Azure (token requests included), not the actions: up
to three actions per request slot run, so those waiting on a state write or a
backoff leave no slot idle. Consistency lag and throttling are retried with backoff; any other
failure fails that action only: what depends on it is skipped, everything
else goes on. Every result is written to the state file as it lands. A new
client secret is written only to its delivery target (mode 0600), never to
state, logs or output.

First Ctrl-C: start nothing new, let running calls finish, save state.
Second Ctrl-C: cancel running calls, save state.

Exit codes: 0 done, 1 failures (or interrupted), 3 stopped at actions a
human must take (consent, role grant) — run apply again once they are done.`,
		Example: `  galshare apply examples/quickstart.yaml
  galshare plan --out tfplan.json examples/quickstart.yaml && galshare apply tfplan.json
  galshare apply --auto-approve --json examples/quickstart.yaml | jq -c 'select(.type=="error")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), a, az, &f, args[0], false)
		},
	}
	f.register(cmd, false)
	az.register(cmd)
	return cmd
}

// runApply is the whole apply (and destroy) flow: lock, plan or load the
// saved plan, confirm, walk, summarise.
func runApply(parent context.Context, a *app, az *azureFlags, f *applyFlags, arg string, destroy bool) error {
	conn, err := az.connector(a)
	if err != nil {
		return err
	}
	defer conn.Close()
	op := "apply"
	if destroy {
		op = "destroy"
	}
	in, err := loadApplyInput(parent, a, az, arg, destroy)
	if err != nil {
		return err
	}
	be, err := az.backend(a, conn, in.stateManifest())
	if err != nil {
		return err
	}
	hd, err := state.OpenBackend(parent, be, state.LockOptions{Operation: op, Timeout: f.lockTimeout})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := hd.Close(); cerr != nil {
			a.log.Warn("releasing the state lock failed", "error", cerr)
		}
	}()

	plan, saved, err := loadOrMakePlan(parent, a, az, f, conn, hd, in, destroy)
	if err != nil {
		return err
	}
	if !saved {
		if !f.jsonOut {
			if err := planner.RenderText(a.stdout, plan, planner.TextOptions{Color: a.useColor()}); err != nil {
				return err
			}
		}
		if !plan.HasChanges() && !plan.IsBlocked() {
			if f.jsonOut {
				newJSONView(a.stdout).Event(executor.Event{Type: executor.EventSummary, Time: time.Now().UTC(),
					Message: "no changes", Summary: &executor.Summary{}})
			}
			appendApplyStepSummary(a, op, plan, nil)
			return nil
		}
		if plan.HasChanges() {
			if err := confirm(a, f, op); err != nil {
				return err
			}
		}
	} else if err := verifySavedPlan(parent, a, az, conn, hd, plan); err != nil {
		return err
	}

	// No secret goes into a file galshare uses itself; checked before
	// anything is written, and again by identity at delivery.
	own := az.ownFiles(a, in.stateManifest())
	if saved {
		own = append(own, spec.OwnFile{What: "the plan file being applied", Path: arg})
	}
	if err := executor.CheckDeliveries(plan, own); err != nil {
		return err
	}

	// Record which manifest drives this state (no write when unchanged).
	ref := state.ManifestRef{Name: plan.Manifest.Name, Path: plan.Manifest.Path, SHA256: plan.Manifest.SHA256}
	if err := hd.Update(parent, func(s *state.State) error { s.Manifest = ref; return nil }); err != nil {
		return err
	}

	view := newApplyView(a, f.jsonOut)
	ctx, stop := interruptible(parent, func(second bool) { view.Notice(interruptNotice(second, view.Running())) })
	defer stop.release()
	rep, err := executor.Apply(ctx, plan, executor.Options{
		Clients:     conn,
		Vaults:      conn,
		State:       hd,
		Parallelism: az.parallelism,
		// The connector bounds the calls in flight to --parallelism
		// (azureflags.go), so more actions may wait on state writes and
		// backoffs meanwhile.
		ActionsInFlight: actionsPerCallSlot * az.parallelism,
		Stop:            stop.graceful,
		WaitTimeout:     f.waitTimeout,
		Events:          view.Event,
		Logger:          a.log.Named(op),
		Hooks:           crashHooksFromEnv(a.getenv),
		OwnFiles:        own,
	})
	view.Close()
	if err != nil {
		return err
	}
	appendApplyStepSummary(a, op, plan, rep)
	if !f.jsonOut {
		verb := "Apply"
		if destroy {
			verb = "Destroy"
		}
		cols := 0
		if a.isTTY {
			cols, _ = a.termSize()
		}
		writeApplySummary(a.stdout, verb, rep.Summary, saved, cols)
	}
	return withExitCode(rep.ExitCode(), nil)
}

// applyInput is what apply was given: a saved plan, or a manifest to plan
// from. Both are read before the state is opened, because the manifest
// (state.url) says where the state is.
type applyInput struct {
	saved    *planner.Plan
	manifest *spec.Manifest
}

// stateManifest is the manifest that names the state: the one given, or
// the one a saved plan was made from (when it still loads; a stale one is
// refused later by verifySavedPlan).
func (in applyInput) stateManifest() *spec.Manifest { return in.manifest }

// loadApplyInput reads arg: a saved plan (and, for its state.url, the
// manifest it was made from) or a manifest.
func loadApplyInput(ctx context.Context, a *app, az *azureFlags, arg string, destroy bool) (applyInput, error) {
	if isPlanFile(arg) {
		if destroy {
			return applyInput{}, fmt.Errorf("%s is a saved plan; destroy takes a manifest (or apply a plan made with plan --destroy)", arg)
		}
		p, err := planner.ReadPlanFile(arg)
		if err != nil {
			return applyInput{}, err
		}
		in := applyInput{saved: p}
		if p.Manifest.Path != "" {
			if m, diags, err := spec.Load(ctx, p.Manifest.Path); err == nil && !diags.HasErrors() {
				in.manifest = m
			}
		}
		return in, nil
	}
	m, diags, err := spec.Load(ctx, arg)
	diags = append(diags, spec.CheckDeliveryTarget(arg, m, az.ownFiles(a, m))...)
	if err != nil || diags.HasErrors() {
		writeDiagnosticsText(a.stderr, diags, a.stderrColor())
		if err != nil && len(diags) == 0 {
			return applyInput{}, err
		}
		return applyInput{}, withExitCode(exitFailure, nil)
	}
	return applyInput{manifest: m}, nil
}

// loadOrMakePlan returns the saved plan, or plans from the manifest
// against the locked state. saved reports which.
func loadOrMakePlan(ctx context.Context, a *app, az *azureFlags, f *applyFlags, conn *azure.Connector, hd *state.Handle, in applyInput, destroy bool) (*planner.Plan, bool, error) {
	if in.saved != nil {
		if len(f.targets) > 0 || f.noPreflight {
			return nil, false, fmt.Errorf("--target and --no-preflight shape a plan; a saved plan carries the ones it was made with (make a new plan with them)")
		}
		return in.saved, true, nil
	}
	targets, err := parseTargets(f.targets)
	if err != nil {
		return nil, false, err
	}
	m := in.manifest
	st := hd.State()
	// The same refresh as plan: manual tenants are checked as the app
	// itself when its secret has been delivered.
	ropts, done := az.refreshOptions(ctx, a, conn, m)
	defer done()
	// destroy's deletions get the same rights preflight as plan --destroy.
	ropts.Destroy, ropts.NoPreflight = destroy, f.noPreflight
	stopProgress := startRefreshProgress(a, &ropts)
	snap, err := planner.Refresh(ctx, m, st, conn, ropts)
	stopProgress()
	if err != nil {
		if interrupted(ctx) {
			return nil, false, planInterrupted(a)
		}
		return nil, false, refreshError(a.stderr, err, conn.CredentialSource)
	}
	p, err := planner.Build(m, snap, st, planner.Options{
		Destroy:         destroy,
		Targets:         targets,
		NoPreflight:     f.noPreflight,
		AuthorityHost:   conn.Environment().AuthorityHost,
		GalshareVersion: version,
	})
	return p, false, err
}

// ErrNotConfirmed is returned when the operator does not answer "yes".
var errNotConfirmed = errors.New("apply cancelled: the plan was not approved")

// confirm asks for "yes" on a terminal. Without a terminal it refuses
// unless --auto-approve was given, so CI never hangs on a prompt.
func confirm(a *app, f *applyFlags, op string) error {
	if f.autoApprove {
		return nil
	}
	if !isTerminalReader(a.stdin) || f.jsonOut {
		return fmt.Errorf("refusing to %s without confirmation: stdin is not a terminal (or --json is set); review the plan and pass --auto-approve, or apply a saved plan file", op)
	}
	question := "Do you want to perform these actions?"
	if op == "destroy" {
		question = "Do you really want to destroy what galshare created for this manifest?\n  Objects it adopted are only forgotten, never deleted."
	}
	fmt.Fprintf(a.stdout, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return withExitCode(exitFailure, errNotConfirmed)
	}
	return nil
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}

// stopper implements the two-stage Ctrl-C: the first interrupt (the parent
// context, cancelled by main on SIGINT, or a signal seen here) closes
// graceful — start nothing new; the second cancels the walk's context, which
// aborts in-flight calls. State writes are detached from it in the executor.
type stopper struct {
	graceful chan struct{}
	once     sync.Once
	cancel   context.CancelFunc
	sigs     chan os.Signal
	done     chan struct{}
	// notify answers each stage at once (false: graceful, true: cancel),
	// so the operator never presses Ctrl-C into silence.
	notify     func(second bool)
	cancelOnce sync.Once
}

func interruptible(parent context.Context, notify func(second bool)) (context.Context, *stopper) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	s := &stopper{graceful: make(chan struct{}), cancel: cancel, sigs: make(chan os.Signal, 2), done: make(chan struct{}), notify: notify}
	signal.Notify(s.sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		parentDone := parent.Done()
		n := 0
		for {
			select {
			case <-parentDone:
				// main cancels the parent on the first SIGINT, which our
				// channel sees too; either way it is the graceful stop.
				s.stopGraceful()
				parentDone = nil
			case <-s.sigs:
				n++
				if n == 1 {
					s.stopGraceful()
				} else {
					s.cancelOnce.Do(func() {
						if s.notify != nil {
							s.notify(true)
						}
						cancel()
					})
				}
			case <-s.done:
				return
			}
		}
	}()
	return ctx, s
}

func (s *stopper) stopGraceful() {
	s.once.Do(func() {
		if s.notify != nil {
			s.notify(false)
		}
		close(s.graceful)
	})
}

// interruptNotice is the answer to a Ctrl-C during apply. running < 0 means
// the view does not count actions (JSON).
func interruptNotice(second bool, running int) string {
	calls := "the running calls"
	switch {
	case running == 1:
		calls = "1 running call"
	case running >= 0:
		calls = fmt.Sprintf("%d running calls", running)
	}
	if second {
		return "Second interrupt: cancelling " + calls + "; state is saved as they stop."
	}
	return "Interrupt received: finishing " + calls + ", starting nothing new — press Ctrl-C again to cancel them."
}

func (s *stopper) release() {
	signal.Stop(s.sigs)
	close(s.done)
	s.cancel()
}

// crashHooksFromEnv wires GALSHARE_TEST_CRASH=POINT:N (POINT one of call,
// deliver, record) to SIGKILL the process at the Nth such point. It exists
// for the crash-safety tests, which must kill a real apply at precise
// moments; it does nothing unless the variable is set.
func crashHooksFromEnv(getenv func(string) string) *executor.Hooks {
	v := getenv("GALSHARE_TEST_CRASH")
	point, nStr, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(nStr)
	if !ok || err != nil || n < 1 {
		return nil
	}
	var mu sync.Mutex
	count := 0
	hit := func(p string) func(string) {
		if p != point {
			return nil
		}
		return func(string) {
			mu.Lock()
			count++
			c := count
			mu.Unlock()
			if c == n {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // never returns
			}
		}
	}
	return &executor.Hooks{AfterCall: hit("call"), AfterDeliver: hit("deliver"), AfterRecord: hit("record")}
}
