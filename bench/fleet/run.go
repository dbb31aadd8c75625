package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// usage is what one galshare process cost, measured from outside: wall time from start to exit, CPU time (user +
// system, from the kernel's accounting of the child) and peak resident set size.
type usage struct {
	Wall     time.Duration
	CPU      time.Duration
	MaxRSSKB int64
	ExitCode int
	Stdout   int64 // bytes written to stdout (the rendered plan or the apply log)
}

// galshare runs the galshare binary with args in dir, talking to the simulator through GALSHARE_CLOUD. Stdout and
// stderr go to files named after the phase, kept for inspection.
type galshare struct {
	bin       string
	dir       string
	cloudFile string
	env       []string // extra environment (the blob state's connection string)
}

// run executes one galshare command. Exit codes in okCodes are success; any other is an error naming the log.
func (g galshare) run(ctx context.Context, phase string, okCodes []int, args ...string) (usage, error) {
	var u usage
	outPath := filepath.Join(g.dir, phase+".out")
	errPath := filepath.Join(g.dir, phase+".err")
	outf, err := os.Create(outPath)
	if err != nil {
		return u, err
	}
	defer outf.Close()
	errf, err := os.Create(errPath)
	if err != nil {
		return u, err
	}
	defer errf.Close()

	self, err := os.Executable()
	if err != nil {
		return u, fmt.Errorf("%s: find the benchmark binary to spawn galshare through: %w", phase, err)
	}
	resultPath := filepath.Join(g.dir, phase+".usage.json")
	cmd := exec.CommandContext(ctx, self, append([]string{g.bin}, args...)...)
	cmd.Dir = g.dir
	cmd.Stdout, cmd.Stderr = outf, errf
	cmd.Env = append(append(os.Environ(), "GALSHARE_CLOUD="+g.cloudFile, "NO_COLOR=1", spawnEnv+"="+resultPath), g.env...)
	if err := cmd.Run(); err != nil {
		return u, fmt.Errorf("%s: run galshare through the spawner: %w", phase, err)
	}
	sr, err := readSpawnResult(resultPath)
	if err != nil {
		return u, fmt.Errorf("%s: %w", phase, err)
	}
	u.Wall, u.CPU, u.MaxRSSKB, u.ExitCode = time.Duration(sr.WallNS), time.Duration(sr.CPUNS), sr.MaxRSSKB, sr.ExitCode
	if st, err := outf.Stat(); err == nil {
		u.Stdout = st.Size()
	}
	for _, c := range okCodes {
		if u.ExitCode == c {
			return u, nil
		}
	}
	tail, _ := os.ReadFile(errPath)
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	return u, fmt.Errorf("%s: galshare %v exited %d (see %s):\n%s", phase, args, u.ExitCode, errPath, tail)
}
