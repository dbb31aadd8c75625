package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/galshare/galshare/internal/azurite"
	"github.com/galshare/galshare/pkg/azure"
)

// bench is one benchmark run: a work directory with the generated manifest and seed, the galshare binary and a
// running simulator process.
type bench struct {
	c      config
	f      Fleet
	out    io.Writer
	dir    string
	remove bool
	sim    *simProcess
	gs     galshare
	w      *world
	// stateArg is --state: the file, or the blob on the Azurite that
	// stopAzurite ends (--state-backend azurite).
	stateArg    string
	stopAzurite func()
}

// newBench builds galshare (unless given), generates the fleet and starts `galshare sim serve` with the latency.
func newBench(ctx context.Context, c config, out io.Writer) (*bench, error) {
	b := &bench{c: c, out: out, f: Fleet{Consumers: c.consumers, Grants: c.grants, Galleries: c.galleries}}
	b.w = newWorld(b.f)
	if c.keep != "" {
		b.dir = c.keep
		if err := os.MkdirAll(b.dir, 0o700); err != nil {
			return nil, err
		}
	} else {
		d, err := os.MkdirTemp("", "galshare-fleet-")
		if err != nil {
			return nil, err
		}
		b.dir, b.remove = d, true
	}
	ok := false
	defer func() {
		if !ok {
			b.close()
		}
	}()
	bin := c.bin
	if bin == "" {
		var err error
		if bin, err = buildGalshare(ctx, b.dir); err != nil {
			return nil, err
		}
	}
	work := filepath.Join(b.dir, "work")
	simDir := filepath.Join(b.dir, "sim")
	for _, d := range []string{work, simDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	seed, err := writeWorld(ctx, b.f.Seed(), filepath.Join(b.dir, "seed.yaml"), simDir)
	if err != nil {
		return nil, err
	}
	if err := b.writeManifest(nil); err != nil {
		return nil, err
	}
	simBin := bin
	if c.simBin != "" {
		simBin = c.simBin
	}
	b.sim, err = startSim(ctx, simBin, simDir, seed, b.faultSpec())
	if err != nil {
		return nil, err
	}
	b.gs = galshare{bin: bin, dir: work, cloudFile: b.sim.cloudFile}
	b.stateArg = "galshare.state.json"
	if c.stateBackend == "azurite" {
		az, err := azurite.Find()
		if err != nil {
			return nil, fmt.Errorf("--state-backend azurite: %w", err)
		}
		azDir := filepath.Join(b.dir, "azurite")
		if err := os.MkdirAll(azDir, 0o700); err != nil {
			return nil, err
		}
		srv, stop, err := azurite.Launch(az, azDir)
		if err != nil {
			return nil, err
		}
		b.stopAzurite = stop
		b.stateArg = srv.BlobURL("galshare", "fleet.state.json")
		b.gs.env = []string{azure.EnvStorageConnectionString + "=" + srv.ConnectionString()}
	}
	fmt.Fprintf(out, "fleet: %d consumers × %d grants, %d galleries, latency %s, parallelism %d, faults %q\n",
		c.consumers, c.grants, c.galleries, c.latency, c.parallelism, b.faultSpec())
	fmt.Fprintf(out, "fleet: world generated and simulator (pid %d) ready in %s; files in %s\n",
		b.sim.cmd.Process.Pid, time.Since(start).Round(time.Millisecond), b.dir)
	ok = true
	return b, nil
}

// faultSpec is the simulator's --faults: the latency plus any extra faults.
func (b *bench) faultSpec() string {
	var parts []string
	if b.c.latency > 0 {
		parts = append(parts, "latency="+b.c.latency.String())
	}
	if b.c.faults != "" {
		parts = append(parts, b.c.faults)
	}
	return strings.Join(parts, ",")
}

// writeManifest writes the manifest (changed by change when not nil) to work/manifest.yaml.
func (b *bench) writeManifest(change *Change) error {
	return os.WriteFile(filepath.Join(b.dir, "work", "manifest.yaml"), []byte(b.f.Manifest(change)), 0o600)
}

// close stops the simulator and removes a temporary work directory.
func (b *bench) close() {
	if b.stopAzurite != nil {
		b.stopAzurite()
		b.stopAzurite = nil
	}
	if b.sim != nil {
		b.sim.stop()
		b.sim = nil
	}
	if b.remove && b.dir != "" {
		_ = os.RemoveAll(b.dir)
		b.dir = ""
	}
}

// buildGalshare builds ./cmd/galshare of the module the benchmark belongs to into dir.
func buildGalshare(ctx context.Context, dir string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(dir, "galshare")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/galshare")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/galshare: %w\n%s", err, out)
	}
	return bin, nil
}
