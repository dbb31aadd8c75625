package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/galshare/galshare/pkg/planner"
)

// refreshLogEvery is how often a refresh that is not on a terminal reports
// that it is still reading, and how long it stays quiet first: short plans
// print nothing extra, long ones are never silent for longer than this.
const refreshLogEvery = 10 * time.Second

// startRefreshProgress shows how far a refresh has got while plan (or
// apply's planning) reads Azure, on stderr so the plan on stdout stays
// clean: on a terminal one status line redrawn in place and erased when
// done; otherwise a line every refreshLogEvery. It sets opts.Progress; the
// returned stop ends the display and must be called once Refresh returns.
func startRefreshProgress(a *app, opts *planner.RefreshOptions) (stop func()) {
	p := &planner.RefreshProgress{}
	opts.Progress = p
	started := time.Now()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	tty := a.stderrTTY
	go func() {
		defer wg.Done()
		every := refreshLogEvery
		if a.refreshLogEvery > 0 {
			every = a.refreshLogEvery
		}
		if tty {
			every = liveTick
		}
		t := time.NewTicker(every)
		defer t.Stop()
		frame := 0
		for {
			select {
			case <-quit:
				if tty && frame > 0 {
					io.WriteString(a.stderr, "\r\x1b[K")
				}
				return
			case <-t.C:
				frame++
				line := refreshStatusLine(p.Status(), time.Since(started))
				if tty {
					cols := stderrCols(a)
					io.WriteString(a.stderr, "\r\x1b[K"+fitWidth(spinnerFrames[frame%len(spinnerFrames)]+" "+line, cols-1))
					continue
				}
				fmt.Fprintln(a.stderr, "galshare: "+line)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			wg.Wait()
		})
	}
}

// refreshStatusLine is e.g. "reading Azure: service principals · 12 of 40
// read · 6 sign-ins · 3.1s".
func refreshStatusLine(s planner.RefreshStatus, d time.Duration) string {
	phase := s.Phase
	if phase == "" {
		phase = "starting"
	}
	return fmt.Sprintf("reading Azure: %s · %d of %d read · %d sign-ins · %s", phase, s.Read, s.Queued, s.SignIns, elapsed(d))
}

// stderrCols is the width of the terminal stderr is on (80 if unknown).
func stderrCols(a *app) int {
	if f := a.stderrFile; f != nil {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 20 {
			return c
		}
	}
	return 80
}
