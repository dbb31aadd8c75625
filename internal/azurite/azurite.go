// Package azurite starts a real Azurite blob service for tests: the Blob
// backend of galshare's state is tested against it, not against a fake.
//
// The binary is found, in order, at $GALSHARE_AZURITE (the azurite-blob
// script), in <user cache dir>/galshare-azurite (where .ci/run installs
// it), or on PATH. When none is there and npm is, it is installed into the
// cache directory once (`npm install --prefix … azurite@3.37`), so a fresh
// `go test ./...` works. Tests skip only when npm is truly absent, and
// never under CI (CI=true), which must run them.
//
// This package is test and benchmark support for this module only.
package azurite

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Version is the Azurite release the tests run against.
const Version = "3.37"

// EnvBinary names an azurite-blob script to use instead of the cache.
const EnvBinary = "GALSHARE_AZURITE"

// Account is the storage account each server is started with.
const Account = "galshare"

// Server is one running azurite-blob on a free loopback port with its own
// temp directory; it stops when the test ends.
type Server struct {
	// Endpoint is the account's path-style service URL,
	// http://127.0.0.1:PORT/galshare.
	Endpoint string
	// Key is the account key (random per server).
	Key string
}

// ConnectionString is the AZURE_STORAGE_CONNECTION_STRING for the account.
func (s *Server) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;", Account, s.Key, s.Endpoint)
}

// BlobURL is the path-style URL of blob name in container.
func (s *Server) BlobURL(container, name string) string {
	return s.Endpoint + "/" + container + "/" + name
}

var listening = regexp.MustCompile(`listens on (http://127\.0\.0\.1:\d+)`)

// Start runs azurite-blob for t, or skips t when it cannot be had outside
// CI. It stops when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Find()
	if err != nil {
		if os.Getenv("CI") == "" && errors.Is(err, errNoNPM) {
			t.Skipf("Azurite is not installed and npm is absent, so the blob state tests cannot run: %v", err)
		}
		t.Fatalf("azurite: %v", err)
	}
	s, stop, err := Launch(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return s
}

// Launch runs the azurite-blob script bin on a free loopback port with its
// data in dir, and returns once it listens. stop ends it and waits.
func Launch(bin, dir string) (*Server, func(), error) {
	key := make([]byte, 32)
	rand.Read(key)
	s := &Server{Key: base64.StdEncoding.EncodeToString(key)}
	cmd := exec.Command(bin, "--blobHost", "127.0.0.1", "--blobPort", "0", "--location", dir,
		"--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry")
	cmd.Env = append(os.Environ(), "AZURITE_ACCOUNTS="+Account+":"+s.Key)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		s.Endpoint = a + "/" + Account
		return s, stop, nil
	case <-exited:
		return nil, nil, fmt.Errorf("azurite-blob exited before listening: %s", stderr.String())
	case <-time.After(90 * time.Second):
		stop()
		return nil, nil, fmt.Errorf("azurite-blob did not listen within 90 s: %s", stderr.String())
	}
}

var errNoNPM = errors.New("npm not found on PATH")

// Find returns the azurite-blob script, installing it when needed.
func Find() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		return p, nil
	}
	// Concurrent installers (test binaries run in parallel) each install
	// into a temp dir; the first rename wins and the others use it.
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errNoNPM
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".galshare-azurite-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "install", "--prefix", tmp, "--no-audit", "--no-fund", "azurite@"+Version)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install azurite@%s: %v\n%s", Version, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(bin); serr == nil {
			return bin, nil // another test binary installed it meanwhile
		}
		return "", fmt.Errorf("installing azurite into %s: %w", dir, err)
	}
	return bin, nil
}

// CacheDir is where Azurite is installed: <user cache dir>/galshare-azurite.
func CacheDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory for Azurite: %w", err)
	}
	return filepath.Join(c, "galshare-azurite"), nil
}
