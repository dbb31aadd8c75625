package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// TestSpawnerRSSNotInherited shows why galshare is started through the spawner: a child started directly by a
// big process reports the parent's peak RSS, a child started through the spawner does not.
func TestSpawnerRSSNotInherited(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) on this machine")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const big = 160 << 20
	ballast := make([]byte, big)
	for i := range ballast {
		ballast[i] = 1
	}

	direct := exec.Command(truePath)
	if err := direct.Run(); err != nil {
		t.Fatal(err)
	}
	directKB := maxRSSKB(t, direct.ProcessState)

	result := filepath.Join(t.TempDir(), "usage.json")
	spawned := exec.Command(self, truePath)
	spawned.Env = append(os.Environ(), spawnEnv+"="+result)
	if out, err := spawned.CombinedOutput(); err != nil {
		t.Fatalf("spawner: %v\n%s", err, out)
	}
	r, err := readSpawnResult(result)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(ballast)
	t.Logf("true(1) peak RSS: direct child %d KB, through the spawner %d KB", directKB, r.MaxRSSKB)
	if r.ExitCode != 0 || r.MaxRSSKB <= 0 {
		t.Fatalf("spawner result %+v: want exit 0 and a positive RSS", r)
	}
	if r.MaxRSSKB >= big/1024/2 {
		t.Errorf("through the spawner true(1) reports %d KB: the parent's memory leaked into the measurement", r.MaxRSSKB)
	}
	if directKB < big/1024 {
		t.Logf("this kernel does not fold the parent's RSS into a direct child (%d KB); the spawner is harmless here", directKB)
	}
}

func maxRSSKB(t *testing.T, ps *os.ProcessState) int64 {
	t.Helper()
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this platform")
	}
	return ru.Maxrss
}
