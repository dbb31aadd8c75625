package main

import (
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// displayWidth is the number of terminal columns s takes: wide runes count
// two, colour escape sequences (ESC [ … m) none.
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			i += n
			continue
		}
		r, size := decodeRune(s[i:])
		w += runewidth.RuneWidth(r)
		i += size
	}
	return w
}

// fitWidth cuts s to at most max columns, ending it with "…" when cut.
// Escape sequences are kept whole, and a cut coloured line is reset so the
// colour does not bleed into the next one.
func fitWidth(s string, max int) string {
	if displayWidth(s) <= max {
		return s
	}
	var b strings.Builder
	w := 0
	colored := false
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			b.WriteString(s[i : i+n])
			colored = s[i:i+n] != "\x1b[0m"
			i += n
			continue
		}
		r, size := decodeRune(s[i:])
		rw := runewidth.RuneWidth(r)
		if w+rw > max-1 {
			break
		}
		b.WriteString(s[i : i+size])
		w += rw
		i += size
	}
	b.WriteString("…")
	if colored {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}

// escapeLen is the length of the CSI sequence (ESC [ params final) s
// starts with, or 0.
func escapeLen(s string) int {
	if len(s) < 2 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return 0
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// wrapProse breaks s at spaces into lines of at most width columns, the
// lines after the first starting with indent. It never cuts a word: a path
// or URL longer than the line stays whole on its own (the terminal wraps it,
// which copying survives).
func wrapProse(s string, width int, indent string) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		lead := ""
		if len(lines) > 0 {
			lead = indent
		}
		switch {
		case cur == "":
			cur = lead + word
		case displayWidth(cur)+1+displayWidth(word) <= width:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = indent + word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}
