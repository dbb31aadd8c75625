package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/galshare/galshare/pkg/executor"
	"github.com/galshare/galshare/pkg/termtext"
)

// liveView is the terminal view of an apply. It keeps a small live area at
// the bottom of the screen — one line per running action, then a counters
// line — and redraws it in place; an action that ends prints its outcome
// line once, above the live area, where it scrolls away like any output.
//
// Three rules keep the screen clean at any size, which a progress-bar
// library that keeps finished bars in the live area could not (issue 14: a
// 61-fold repeated block in scrollback, lines wrapping at 80 columns):
//   - no line is ever wider than the terminal minus one column (truncated
//     with "…"), so the terminal never wraps and every line is one row;
//   - the live area is never taller than the terminal minus one row (the
//     running lines past that become "… and N more running"), so the cursor
//     movement that redraws it never hits the top of the screen;
//   - the size is read again before every frame, so a resize (SIGWINCH)
//     reflows the next frame; rows the terminal may have re-wrapped on the
//     way are counted at the new width when the old frame is erased.
type liveView struct {
	w     io.Writer
	size  func() (cols, rows int)
	color bool
	now   func() time.Time

	mu      sync.Mutex
	running []*liveItem // in start order
	byAddr  map[string]*liveItem
	done    map[string]int // outcome word → count, for the counters line
	failed  int
	started time.Time
	frame   int
	// drawn are the display widths of the live lines on screen now; the
	// cursor sits at the end of the last one.
	drawn   []int
	closed  bool
	stop    chan struct{}
	stopped chan struct{}
}

type liveItem struct {
	address string
	status  string
	since   time.Time
}

// liveTick is how often the spinner and elapsed times move.
const liveTick = 120 * time.Millisecond

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// newLiveView draws on w, asking size for the terminal's columns and rows
// before each frame (a function, so a resize is seen and tests can fix it).
func newLiveView(w io.Writer, color bool, size func() (int, int)) *liveView {
	v := &liveView{w: w, size: size, color: color, now: time.Now,
		byAddr: map[string]*liveItem{}, done: map[string]int{},
		stop: make(chan struct{}), stopped: make(chan struct{})}
	v.started = v.now()
	io.WriteString(w, "\x1b[?25l") // hide the cursor while the area redraws
	go v.tick()
	return v
}

func (v *liveView) tick() {
	defer close(v.stopped)
	t := time.NewTicker(liveTick)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.frame++
			v.redraw(nil)
			v.mu.Unlock()
		}
	}
}

// Event updates the model and redraws; an ended action's line is printed
// above the live area once.
func (v *liveView) Event(ev executor.Event) {
	if quiet(ev) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	switch ev.Type {
	case executor.EventStart, executor.EventProgress:
		it := v.byAddr[ev.Address]
		if it == nil {
			it = &liveItem{address: termtext.Escape(ev.Address), since: v.now()}
			v.byAddr[ev.Address] = it
			v.running = append(v.running, it)
		}
		it.status = termtext.Escape(ev.Message)
	case executor.EventComplete:
		v.finish(ev.Address)
		addr, word := termtext.Escape(ev.Address), termtext.Escape(outcome(ev))
		v.done[countWord(ev)]++
		line := "✓ " + addr + ": " + word
		if ev.Status != "succeeded" {
			line = "- " + addr + ": " + word
		}
		if ev.DurationMS > 0 {
			line += " [" + round(ev.DurationMS) + "]"
		}
		v.redraw([]string{line})
	case executor.EventError:
		v.finish(ev.Address)
		v.failed++
		// The error often repeats the address and status ("sp[x]: blocked:
		// …"); say each once.
		// Text from the plan and Azure is escaped (termtext) before it
		// meets the view's own escape sequences.
		msg := termtext.Escape(eventError(ev))
		head := "✗ " + termtext.Escape(ev.Address) + ": " + termtext.Escape(ev.Status)
		if ev.DurationMS > 0 {
			head += " [" + round(ev.DurationMS) + "]"
		}
		line := v.paint(head) + ": " + msg
		v.redraw([]string{line})
	}
}

// Notice prints a message above the live area at once (an interrupt's
// answer), wrapped at word boundaries rather than cut: it must be read whole.
func (v *liveView) Notice(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.closed {
		cols, _ := v.size()
		v.redraw(wrapProse(msg, max(cols, 20)-1, ""))
	}
}

// Running is the number of actions in flight, for the interrupt notice.
func (v *liveView) Running() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.running)
}

func (v *liveView) finish(addr string) {
	it := v.byAddr[addr]
	if it == nil {
		return
	}
	delete(v.byAddr, addr)
	for i, r := range v.running {
		if r == it {
			v.running = append(v.running[:i], v.running[i+1:]...)
			break
		}
	}
}

// countWord groups outcomes for the counters line.
func countWord(ev executor.Event) string {
	switch ev.Status {
	case "succeeded":
		return "done"
	case "skipped":
		return "skipped"
	case "not started", "cancelled":
		return "not started"
	}
	return ev.Status
}

// redraw erases the live area, prints above (lines that stay), then the
// live area again. Called with mu held.
func (v *liveView) redraw(above []string) {
	cols, rows := v.size()
	if cols < 20 {
		cols = 20
	}
	if rows < 3 {
		rows = 3
	}
	var b strings.Builder
	v.erase(&b, cols)
	for _, l := range above {
		b.WriteString(fitWidth(l, cols-1))
		b.WriteString("\n")
	}
	if !v.closed {
		v.drawLive(&b, cols, rows)
	}
	io.WriteString(v.w, b.String())
}

// erase moves to the start of the live area and clears to the end of the
// screen. A line drawn w columns wide occupies ceil(w/cols) rows if the
// terminal has since narrowed and re-wrapped it.
func (v *liveView) erase(b *strings.Builder, cols int) {
	up := 0
	for i, w := range v.drawn {
		r := 1
		if w > cols {
			r = (w + cols - 1) / cols
		}
		if i == len(v.drawn)-1 {
			r-- // the cursor is on the last row already
		}
		up += r
	}
	b.WriteString("\r")
	if up > 0 {
		fmt.Fprintf(b, "\x1b[%dA", up)
	}
	b.WriteString("\x1b[J")
	v.drawn = v.drawn[:0]
}

func (v *liveView) drawLive(b *strings.Builder, cols, rows int) {
	now := v.now()
	spin := spinnerFrames[v.frame%len(spinnerFrames)]
	var lines []string
	maxRunning := rows - 2 // one row for the counters, one spare
	shown := v.running
	more := 0
	if len(shown) > maxRunning {
		more = len(shown) - (maxRunning - 1)
		shown = shown[:maxRunning-1]
	}
	for _, it := range shown {
		l := spin + " " + it.address
		if it.status != "" {
			l += ": " + it.status
		}
		l += " (" + elapsed(now.Sub(it.since)) + ")"
		lines = append(lines, l)
	}
	if more > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more running", more))
	}
	lines = append(lines, v.counters(now))
	for i, l := range lines {
		l = fitWidth(l, cols-1)
		b.WriteString(l)
		if i < len(lines)-1 {
			b.WriteString("\n")
		}
		v.drawn = append(v.drawn, displayWidth(l))
	}
}

func (v *liveView) counters(now time.Time) string {
	parts := []string{fmt.Sprintf("%d running", len(v.running)), fmt.Sprintf("%d done", v.done["done"])}
	if v.failed > 0 {
		parts = append(parts, v.paint(fmt.Sprintf("%d failed", v.failed)))
	}
	for _, k := range []string{"skipped", "not started"} {
		if n := v.done[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, " · ") + " · " + elapsed(now.Sub(v.started))
}

// elapsed is a running clock: whole seconds, tenths below ten seconds.
func elapsed(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func (v *liveView) paint(s string) string {
	if !v.color {
		return s
	}
	return "\x1b[31m" + s + "\x1b[0m"
}

// Close stops the clock and erases the live area, leaving only the lines
// that were printed above it; the summary follows.
func (v *liveView) Close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	var b strings.Builder
	cols, _ := v.size()
	if cols < 20 {
		cols = 20
	}
	v.erase(&b, cols)
	b.WriteString("\x1b[?25h")
	io.WriteString(v.w, b.String())
	v.mu.Unlock()
	close(v.stop)
	<-v.stopped
}
