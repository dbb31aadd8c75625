package termtext

import (
	"errors"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"myGalleryApp", "myGalleryApp"},
		{"café ünïcode 画像 👩‍💻", "café ünïcode 画像 👩‍💻"}, // ZWJ in emoji stays
		{`back\slash \x1b`, `back\slash \x1b`},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"over\rprint", `over\rprint`},
		{"two\nlines\ttab", `two\nlines\ttab`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"rlo\u202eevil", `rlo\u202eevil`},
		{"\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"\u202a\u202b\u202c\u202d\u200e\u200f\u061c", `\u202a\u202b\u202c\u202d\u200e\u200f\u061c`},
		{"ls\u2028ps\u2029", `ls\u2028ps\u2029`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
	}
	for _, tt := range tests {
		got := Escape(tt.in)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := Escape(got); again != got {
			t.Errorf("Escape is not idempotent on %q: %q", got, again)
		}
		if strings.ContainsAny(got, "\x00\x1b\r\n\x7f\u202e\u2066") {
			t.Errorf("Escape(%q) = %q still holds a control", tt.in, got)
		}
	}
}

type stringer string

type named string

func (s stringer) String() string { return string(s) }

func TestSprintf(t *testing.T) {
	got := Sprintf("%s %s %v %s %d %s %s\n", "a\x1b", stringer("b\r"), errors.New("c\u202e"), Safe("\x1b[1mbold\x1b[0m"), 7, []string{"x"}, named("d\x00"))
	want := "a\\x1b b\\r c\\u202e \x1b[1mbold\x1b[0m 7 [x] d\\x00\n"
	if got != want {
		t.Errorf("Sprintf = %q, want %q", got, want)
	}
}
