package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/galshare/galshare/pkg/azsim"
	"github.com/galshare/galshare/pkg/spec"
)

// harness holds what every run shares.
type harness struct {
	cfg  *config
	root string // module root
	base string // artefact directory
	bin  string // galshare binary
}

// killPlan says where a run is SIGKILLed: during which phase, and either at the Nth crash point of the executor
// (GALSHARE_TEST_CRASH=POINT:N — after a call, a delivery or a state record) or after a random delay.
type killPlan struct {
	phase string
	hook  string        // "call:3" etc.; empty for a timed kill
	after time.Duration // timed kill
}

func (k *killPlan) String() string {
	if k == nil {
		return ""
	}
	if k.hook != "" {
		return k.phase + "@" + k.hook
	}
	return fmt.Sprintf("%s@%s", k.phase, k.after.Round(10*time.Millisecond))
}

// lifecycle is one run: a fresh simulator, a work directory with the manifest, and everything observed so far.
type lifecycle struct {
	h       *harness
	res     *runResult
	rng     *rand.Rand
	sim     *azsim.Sim
	m       *spec.Manifest
	kill    *killPlan
	dir     string
	work    string // galshare's working directory: manifest, state, secrets, plan files
	outDir  string // captured stdout/stderr of every invocation
	env     []string
	n       int // invocations so far
	appID   string
	lastKey string // keyId of the delivered secret last seen

	manifestPath, rotatePath, statePath, deliverPath string

	delivered map[string]bool // every secret value seen in the delivery file
	humanSPs  map[string]bool // SP object ids a "human" made by consent (never galshare's to delete)
	humanRAs  map[string]bool // role assignment names a "human" granted
	ourSPs    map[string]bool // SP object ids galshare made, seen during the run
}

// runOne runs lifecycle i and never panics the harness: failures become problems in the result.
func (h *harness) runOne(ctx context.Context, i int) (res runResult) {
	cfg := h.cfg
	res = runResult{idx: i, profile: cfg.profiles[i%len(cfg.profiles)], example: cfg.examples[(i/len(cfg.profiles))%len(cfg.examples)]}
	res.c.Runs = 1
	start := time.Now()
	defer func() {
		res.c.Wall = time.Since(start)
		if r := recover(); r != nil {
			res.problems = append(res.problems, fmt.Sprintf("harness panic: %v", r))
			res.c.Converged = 0
		}
	}()
	l := &lifecycle{h: h, res: &res, rng: rand.New(rand.NewPCG(uint64(cfg.seed), uint64(i))),
		delivered: map[string]bool{}, humanSPs: map[string]bool{}, humanRAs: map[string]bool{}, ourSPs: map[string]bool{}}
	if err := l.setUp(ctx); err != nil {
		res.problems = append(res.problems, "set-up: "+err.Error())
		return res
	}
	defer l.tearDown()
	if ok := l.lifecycle(ctx); ok {
		res.c.Converged = 1
	}
	l.scanLeaks()
	return res
}

// setUp starts the simulator with the example's seed and the profile's faults and prepares the work directory.
func (l *lifecycle) setUp(ctx context.Context) error {
	r := l.res
	l.dir = filepath.Join(l.h.base, fmt.Sprintf("run%03d-%s-%s", r.idx, r.profile, r.example))
	l.work, l.outDir = filepath.Join(l.dir, "work"), filepath.Join(l.dir, "out")
	simDir := filepath.Join(l.dir, "sim")
	for _, d := range []string{l.work, l.outDir, simDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	spec0, _ := profileFaults(r.profile)
	faults, err := azsim.ParseFaults(spec0)
	if err != nil {
		return err
	}
	faults.Seed = l.h.cfg.seed*100003 + int64(r.idx)
	l.sim, err = azsim.Start(ctx, azsim.Options{SeedFile: filepath.Join(l.h.root, "examples", "sim", r.example+".yaml"), Faults: faults})
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	cloudPath := filepath.Join(simDir, "cloud.json")
	if err := l.sim.WriteCloudFile(cloudPath); err != nil {
		return err
	}
	l.env = []string{"GALSHARE_CLOUD=" + cloudPath, "GALSHARE_LOG=trace", "NO_COLOR=1"}
	src, err := os.ReadFile(filepath.Join(l.h.root, "examples", r.example+".yaml"))
	if err != nil {
		return err
	}
	l.manifestPath = filepath.Join(l.work, r.example+".yaml")
	l.rotatePath = filepath.Join(l.work, r.example+"-rotate.yaml")
	l.statePath = filepath.Join(l.work, "galshare.state.json")
	if err := os.WriteFile(l.manifestPath, src, 0o600); err != nil {
		return err
	}
	rot, err := rotateManifest(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.rotatePath, rot, 0o600); err != nil {
		return err
	}
	m, _, err := spec.Load(ctx, l.manifestPath)
	if err != nil {
		return fmt.Errorf("load %s: %w", l.manifestPath, err)
	}
	l.m = m
	if m.Publisher.App.Secret != nil {
		l.deliverPath = m.Publisher.App.Secret.DeliverTo.Path
	}
	if l.rng.Float64() < l.h.cfg.killRate {
		l.kill = l.pickKill()
		r.killed = l.kill.String()
	}
	return nil
}

func (l *lifecycle) tearDown() {
	if l.sim != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = l.sim.Close(ctx)
	}
	if !l.h.cfg.keep && l.res.c.Converged == 1 && len(l.res.problems) == 0 {
		_ = os.RemoveAll(l.dir)
	}
}

// pickKill chooses the phase and the point of a kill.
func (l *lifecycle) pickKill() *killPlan {
	phases := []string{"apply", "rotate", "destroy"}
	k := &killPlan{phase: phases[l.rng.IntN(len(phases))]}
	if l.rng.IntN(10) < 6 {
		points := []string{"call", "record", "deliver"}
		if k.phase == "destroy" {
			points = points[:2] // destroy delivers nothing
		}
		p := points[l.rng.IntN(len(points))]
		n := 1
		if p != "deliver" {
			n = 1 + l.rng.IntN(7)
		}
		k.hook = fmt.Sprintf("%s:%d", p, n)
	} else {
		k.after = time.Duration(200+l.rng.IntN(3800)) * time.Millisecond
	}
	return k
}

// rotateManifest returns the manifest with a secret whose renewBefore is one second short of its lifetime, so the
// secret is due for rotation a second after it is created: the rotation path without waiting a year.
func rotateManifest(src []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	pub, _ := doc["publisher"].(map[string]any)
	app, _ := pub["app"].(map[string]any)
	if app == nil {
		return nil, fmt.Errorf("manifest has no publisher.app")
	}
	sec, _ := app["secret"].(map[string]any)
	if sec == nil {
		sec = map[string]any{}
		app["secret"] = sec
	}
	sec["lifetime"] = "8760h"
	sec["renewBefore"] = "8759h59m59s"
	return yaml.Marshal(doc)
}

// lifecycle runs the four phases and checks Azure-side truth after each. It returns whether the run converged.
func (l *lifecycle) lifecycle(ctx context.Context) bool {
	if !l.converge(ctx, "apply", "apply", "--auto-approve", l.manifestPath) {
		return false
	}
	if !l.checkPresent("after apply") {
		return false
	}
	l.checkModes()
	if !l.planNoChanges(ctx) {
		return false
	}
	before := l.lastKey
	time.Sleep(1500 * time.Millisecond) // the secret is now inside the rotate manifest's renewBefore
	if !l.converge(ctx, "rotate", "apply", "--auto-approve", l.rotatePath) {
		return false
	}
	if !l.checkPresent("after rotate") {
		return false
	}
	if l.deliverPath != "" {
		if l.lastKey == before {
			l.problem("rotate: the delivered secret still has keyId %s", before)
			return false
		}
		l.res.c.Rotations++
	}
	if !l.converge(ctx, "destroy", "destroy", "--auto-approve", l.manifestPath) {
		return false
	}
	return l.checkGone()
}

// converge runs a galshare command until it succeeds: it resumes after a kill (breaking the stale lock the way an
// operator would), acts as the consumer admin when apply stops at blocked actions, and retries a run that failed
// under injected faults. The planned kill strikes the phase's first attempt.
func (l *lifecycle) converge(ctx context.Context, phase string, args ...string) bool {
	settled := 0
	for attempt := 1; attempt <= l.h.cfg.maxAttempts; attempt++ {
		var extra []string
		var after time.Duration
		if attempt == 1 && l.kill != nil && l.kill.phase == phase {
			if l.kill.hook != "" {
				extra = []string{"GALSHARE_TEST_CRASH=" + l.kill.hook}
			} else {
				after = l.kill.after
			}
		}
		inv, err := l.galshare(ctx, phase, extra, after, args...)
		l.noteDelivery()
		if err != nil {
			l.problem("%s: %v", phase, err)
			return false
		}
		switch {
		case inv.killed:
			l.res.c.Kills++
			l.res.c.Resumes++
			continue
		case inv.code == 0:
			return true
		case inv.code == 3:
			acted, err := l.actAsAdmin()
			if err != nil {
				l.problem("%s: acting as the consumer admin: %v", phase, err)
				return false
			}
			if acted {
				l.res.c.HumanActs++
				settled = 0
				continue
			}
			// Only blocked on what a human already did in a tenant galshare cannot read. Right after the
			// consent the app's sign-in there is still replicating, so galshare cannot see (and adopt) it yet;
			// give it the replication lag before calling the phase settled.
			if settled++; settled >= 2 {
				return true
			}
			time.Sleep(l.sim.Lag() + 500*time.Millisecond)
			continue
		}
		broke, err := l.breakStaleLock(ctx)
		if err != nil {
			l.problem("%s: %v", phase, err)
			return false
		}
		if broke {
			l.res.c.LocksBroken++
			continue
		}
		l.res.c.FailedAttempts++
		if attempt == l.h.cfg.maxAttempts {
			l.problem("%s: still failing after %d attempts; last error: %s", phase, attempt, lastErrorLine(inv))
		}
		time.Sleep(time.Duration(300+l.rng.IntN(700)) * time.Millisecond)
	}
	return false
}

// planNoChanges checks that a plan right after apply has nothing to do, and leaves its plan file in the work
// directory for the leak and mode checks.
func (l *lifecycle) planNoChanges(ctx context.Context) bool {
	planFile := filepath.Join(l.work, "plan.json")
	for attempt := 1; attempt <= l.h.cfg.maxAttempts; attempt++ {
		inv, err := l.galshare(ctx, "plan", nil, 0, "plan", "--json", "--out", planFile, l.manifestPath)
		if err != nil {
			l.problem("plan: %v", err)
			return false
		}
		if inv.code != 0 && inv.code != 3 {
			l.res.c.FailedAttempts++
			if attempt == l.h.cfg.maxAttempts {
				l.problem("plan: still failing after %d attempts: %s", attempt, lastErrorLine(inv))
			}
			continue
		}
		var out struct {
			HasChanges bool `json:"has_changes"`
			Changes    []struct {
				Address, Action, Reason string
				Actions                 []string
			} `json:"changes"`
		}
		if err := json.Unmarshal(inv.stdout, &out); err != nil {
			l.problem("plan --json: %v", err)
			return false
		}
		if out.HasChanges {
			var what []string
			for _, c := range out.Changes {
				for _, a := range c.Actions { // "adopt" and "forget" change state though the action is no-op
					if a != "no-op" && a != "read" {
						what = append(what, c.Address+" "+a+" ("+c.Reason+")")
						break
					}
				}
			}
			l.problem("plan after apply has changes: %s", strings.Join(what, "; "))
			return false
		}
		if fi, err := os.Stat(planFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			l.res.c.BadModes++
			l.problem("plan file %s has mode %v", planFile, fi.Mode().Perm())
		}
		return true
	}
	return false
}

// lastErrorLine is the last line of stderr that is not a log line, else the last line of stdout (apply prints
// its failure summary there).
func lastErrorLine(inv invocation) string {
	for _, out := range [][]byte{inv.stderr, inv.stdout} {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			s := strings.TrimSpace(lines[i])
			if s != "" && !strings.Contains(s, "[TRACE]") && !strings.Contains(s, "[DEBUG]") && !strings.Contains(s, "[INFO]") {
				return s
			}
		}
	}
	return fmt.Sprintf("exit %d", inv.code)
}

func (l *lifecycle) problem(format string, args ...any) {
	l.res.problems = append(l.res.problems, fmt.Sprintf(format, args...))
}
