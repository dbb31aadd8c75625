package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galshare/galshare/pkg/planner"
)

// TestRefreshProgressLogLines: without a terminal, a long refresh prints a
// plain line now and then on stderr, and none once it is over.
func TestRefreshProgressLogLines(t *testing.T) {
	var stderr bytes.Buffer
	out := &syncBuffer{b: &stderr}
	a := newApp(strings.NewReader(""), &bytes.Buffer{}, out, nil)
	a.refreshLogEvery = 10 * time.Millisecond
	var opts planner.RefreshOptions
	stop := startRefreshProgress(a, &opts)
	if opts.Progress == nil {
		t.Fatal("no progress set in the refresh options")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "galshare: reading Azure: starting · 0 of 0 read · 0 sign-ins") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress line: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop() // waits for the display to end: nothing is written after it
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("escape codes without a terminal: %q", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
