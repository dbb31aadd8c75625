package main

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/vt"
)

// screenLines plays out (what a program wrote to its terminal) on a
// terminal emulator of cols×rows and returns every line a user could
// scroll back to: the scrollback, then the screen, trailing blanks trimmed
// and the trailing empty lines of the screen dropped.
func screenLines(t *testing.T, out []byte, cols, rows int) []string {
	t.Helper()
	e := vt.NewEmulator(cols, rows)
	defer e.Close()
	// galshare's output asks the terminal nothing (no status or size
	// queries), so the emulator never writes a reply to its input pipe,
	// which nobody reads here.
	if _, err := e.Write(out); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range e.Scrollback().Lines() {
		lines = append(lines, strings.TrimRight(l.String(), " "))
	}
	for y := 0; y < rows; y++ {
		var b strings.Builder
		skip := 0
		for x := 0; x < cols; x++ {
			c := e.CellAt(x, y)
			switch {
			case skip > 0:
				skip-- // the rest of a wide rune
			case c == nil || c.Content == "":
				b.WriteByte(' ')
			default:
				b.WriteString(c.Content)
				skip = c.Width - 1
			}
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// checkScreen asserts what a clean terminal view looks like: no line
// repeated (a redraw that left a copy behind), none wider than the
// terminal (a wrapped line shows up as a full-width line), and each want
// present whole on one line.
func checkScreen(t *testing.T, lines []string, cols int, want ...string) {
	t.Helper()
	seen := map[string]int{}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if j, ok := seen[l]; ok {
			t.Errorf("line %d repeats line %d: %q", i, j, l)
		}
		seen[l] = i
		// A path or URL longer than the terminal is left whole for copying
		// (the terminal wraps it): a line that is one word is not a defect.
		if w := displayWidth(l); w >= cols && len(strings.Fields(l)) > 1 {
			t.Errorf("line %d is %d columns wide on a %d-column terminal (wrapped or never truncated): %q", i, w, cols, l)
		}
	}
	all := strings.Join(lines, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("the screen lacks %q on one line", w)
		}
	}
	if t.Failed() {
		t.Logf("screen and scrollback (%d lines):\n%s", len(lines), all)
	}
}

// onlcr turns \n into \r\n, as a terminal's line discipline does for a
// program's output (what a buffer in an in-process test lacks).
func onlcr(b []byte) []byte {
	return []byte(strings.ReplaceAll(string(b), "\n", "\r\n"))
}
