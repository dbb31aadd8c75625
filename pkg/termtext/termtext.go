// Package termtext makes text from manifests, state and Azure safe to print
// on a terminal. A displayName (or any other value galshare did not write
// itself) may hold control characters — ESC sequences that clear the screen
// or rewrite earlier lines, a carriage return that overprints a line — and
// Unicode bidi controls that reorder what a reviewer reads (the "Trojan
// Source" trick). Every human output escapes such values, as kubectl does;
// JSON output keeps the exact value, JSON-escaped by its encoder.
//
// There is no API-compatibility promise for importers outside galshare.
package termtext

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// Safe is text that is already safe to print as is: escaped pieces joined
// with galshare's own ANSI colour codes. Sprintf passes it through.
type Safe string

// Escape returns s with every character that could act on a terminal
// written as a Go escape: C0 and C1 controls and DEL (\n, \r, \t, \x1b,
// \x7f, \u0085), bidi controls and line/paragraph separators (\u202e,
// \u2066…\u2069, \u2028), and invalid UTF-8 bytes (\xff). Everything else,
// backslashes included, is unchanged, so Escape is idempotent and plain
// text costs one scan.
func Escape(s string) string {
	i := cleanPrefix(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, size) {
			writeEscape(&b, s[i], r, size)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// cleanPrefix is the length of the longest prefix of s that needs no
// escaping; printable ASCII, nearly all of galshare's output, is checked a
// byte at a time without decoding.
func cleanPrefix(s string) int {
	i := 0
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, size) {
			return i
		}
		i += size
	}
	return i
}

// needsEscape reports whether r (size bytes, RuneError/1 for a bad byte)
// must be escaped.
func needsEscape(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r < 0x20, r >= 0x7f && r < 0xa0: // C0, DEL, C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, // ALM, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r == 0x2028, r == 0x2029:   // line and paragraph separators
		return true
	}
	return false
}

func writeEscape(b *strings.Builder, first byte, r rune, size int) {
	switch {
	case r == utf8.RuneError && size == 1:
		fmt.Fprintf(b, `\x%02x`, first)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\t':
		b.WriteString(`\t`)
	case r < 0x80:
		fmt.Fprintf(b, `\x%02x`, r)
	default:
		fmt.Fprintf(b, `\u%04x`, r)
	}
}

// Sprintf formats like fmt.Sprintf after escaping every string, error and
// fmt.Stringer argument (Safe ones excepted). The format itself is
// galshare's own text and is kept, newlines and all.
func Sprintf(format string, args ...any) string {
	return fmt.Sprintf(format, EscapeArgs(args)...)
}

// Fprintf is Sprintf written to w.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, EscapeArgs(args)...)
}

// EscapeArgs returns args with strings (named string types too), errors and
// Stringers replaced by their escaped text; Safe values and other types
// (numbers, slices) are kept.
func EscapeArgs(args []any) []any {
	// Copy on first change: a clean string argument, the common case,
	// costs a scan and no allocation.
	out := args
	set := func(i int, v any) {
		if &out[0] == &args[0] {
			out = slices.Clone(args)
		}
		out[i] = v
	}
	for i, a := range args {
		switch v := a.(type) {
		case Safe:
		case string:
			if cleanPrefix(v) != len(v) {
				set(i, Escape(v))
			}
		case error:
			set(i, Escape(v.Error()))
		case fmt.Stringer:
			set(i, Escape(v.String()))
		default:
			// Named string types (an Origin, a Result) are text too.
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				if s := rv.String(); cleanPrefix(s) != len(s) {
					set(i, Escape(s))
				}
			}
		}
	}
	return out
}
