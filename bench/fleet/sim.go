package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// simProcess is `galshare sim serve` running as a separate process, so that its CPU and memory never count as
// galshare's, plus an HTTPS client for its loopback admin endpoints.
type simProcess struct {
	cmd       *exec.Cmd
	url       string
	cloudFile string
	client    *http.Client
	logPath   string
	exited    chan struct{}
}

// startSim starts `galshare sim serve` on a free loopback port and waits until it prints its URL.
func startSim(ctx context.Context, bin, dir, seed, faults string) (*simProcess, error) {
	args := []string{"sim", "serve", "--addr", "127.0.0.1:0", "--dir", dir}
	if seed != "" {
		args = append(args, "--seed", seed)
	}
	if faults != "" {
		args = append(args, "--faults", faults)
	}
	logPath := filepath.Join(filepath.Dir(dir), "sim.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	dieWithParent(cmd)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	p := &simProcess{cmd: cmd, cloudFile: filepath.Join(dir, "cloud.json"), logPath: logPath, exited: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		defer close(p.exited)
		defer logf.Close()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if u, ok := strings.CutPrefix(line, "galshare simulator listening on "); ok {
				urlc <- strings.TrimSpace(u)
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case p.url = <-urlc:
	case <-p.exited:
		return nil, fmt.Errorf("simulator exited before it was ready; see %s", logPath)
	case <-time.After(5 * time.Minute):
		p.stop()
		return nil, fmt.Errorf("simulator not ready after 5 minutes; see %s", logPath)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	ca, err := readCloudCA(p.cloudFile)
	if err != nil {
		p.stop()
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		p.stop()
		return nil, fmt.Errorf("%s: no usable CA certificate", p.cloudFile)
	}
	p.client = &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	return p, nil
}

// readCloudCA reads the CA certificate from the cloud file the simulator wrote.
func readCloudCA(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read cloud file: %w", err)
	}
	var cf struct {
		CACertificate string `json:"caCertificate"`
	}
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, fmt.Errorf("cloud file %s: %w", path, err)
	}
	return []byte(cf.CACertificate), nil
}

// simStats is the subset of the simulator's /_sim/stats answer the benchmark reads.
type simStats struct {
	Total  int64            `json:"total"`
	Writes int64            `json:"writes"`
	Routes map[string]int64 `json:"routes"`
	Faults map[string]int64 `json:"faults"`
}

// identity counts the sign-in calls (OIDC discovery, token), which the simulator counts in Total but not Writes.
func (s simStats) identity() int64 {
	var n int64
	for k, v := range s.Routes {
		if strings.HasSuffix(k, " token") || strings.HasSuffix(k, " openid-configuration") || strings.HasSuffix(k, " keys") {
			n += v
		}
	}
	return n
}

func (p *simProcess) admin(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("simulator %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("simulator %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(out))
	}
	return out, nil
}

// resetStats zeroes the simulator's call counters.
func (p *simProcess) resetStats(ctx context.Context) error {
	_, err := p.admin(ctx, http.MethodDelete, "/_sim/stats", nil)
	return err
}

// stats reads the simulator's call counters.
func (p *simProcess) stats(ctx context.Context) (simStats, error) {
	var st simStats
	b, err := p.admin(ctx, http.MethodGet, "/_sim/stats", nil)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("simulator stats: %w", err)
	}
	return st, nil
}

// stop interrupts the simulator (it persists its world) and waits for it, killing it after 15 s.
func (p *simProcess) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// errSimExited reports a simulator that died during the run.
var errSimExited = errors.New("the simulator process exited during the run")

// alive returns errSimExited once the simulator process has gone.
func (p *simProcess) alive() error {
	select {
	case <-p.exited:
		return errSimExited
	default:
		return nil
	}
}

// cpu is the simulator process's CPU time so far (user + system, from /proc; 0 where /proc is missing), so a
// phase's table row can show how much of the machine the simulator itself took.
func (p *simProcess) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses and may hold spaces): state is field 3, utime 14,
	// stime 15, in clock ticks (USER_HZ, 100 on Linux).
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
