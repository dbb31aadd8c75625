package azure

import (
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Redaction. Azure's error envelopes normally hold neither secrets nor
// tokens, but a proxy, a misconfigured endpoint or a hostile server can echo
// anything — the request's bearer token, the client secret from the token
// request's form, the body of a token response MSAL failed to decode — and
// galshare used to print that text as it came. A Redactor removes, from any
// text galshare prints, logs or puts in JSON:
//
//   - every credential value this run knows: the operators' client secrets
//     (environment, credentials file, cloud file), certificate passwords, the
//     shared app's secret and any secret addPassword delivered (Add);
//   - JWTs (eyJ….….…), whatever their origin;
//   - Entra client-secret shapes (3–5 characters, "Q~", 25–40 more: the
//     shape of every secret Entra issues today);
//   - long base64-like runs (32 characters or more of letters, digits, +, _,
//     ~ and -, mixing upper case, lower case and digits as randomly as
//     base64 does, see looksRandom), the shape of opaque tokens and older
//     secrets. GUIDs, resource names, ARM ids, hex digests and CamelCase
//     names are kept.
//
// pkg/azure applies it where server text enters an *Error (shorten, and
// Error's rendering, which also redacts the connector's known values) and a
// log line (logPolicy); the CLI applies it once more to everything it
// writes to stderr.

// minKnownLen is the shortest known value redacted: shorter ones (a test
// placeholder, an empty-ish password) would blank ordinary words.
const minKnownLen = 8

var (
	reJWT         = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	reEntraSecret = regexp.MustCompile(`[A-Za-z0-9_~.-]{3,5}Q~[A-Za-z0-9_~.-]{25,40}`)
	reOpaqueRun   = regexp.MustCompile(`[A-Za-z0-9+_~-]{32,}={0,2}`)
)

// Redactor removes credentials from text. Its zero value and a nil
// *Redactor redact the shapes only. It is safe for concurrent use; one is
// shared by a connector, the connectors AppClients derives from it and the
// CLI's output.
type Redactor struct {
	mu    sync.RWMutex
	known []string // longest first, so a value containing another goes whole
}

// NewRedactor returns a Redactor that knows no values yet.
func NewRedactor() *Redactor { return &Redactor{} }

// Add makes the Redactor remove values (and their URL-encoded forms, as a
// server echoing a form field would quote them). Values shorter than 8
// characters are ignored.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		for _, form := range []string{v, url.QueryEscape(v)} {
			if len(form) >= minKnownLen && !slices.Contains(r.known, form) {
				r.known = append(r.known, form)
			}
		}
	}
	slices.SortFunc(r.known, func(a, b string) int { return len(b) - len(a) })
}

// AddSecret is Add for a Secret's value (which never leaves the Redactor).
func (r *Redactor) AddSecret(s Secret) {
	if !s.IsZero() {
		r.Add(s.Reveal())
	}
}

// Redact returns s with every known value and credential shape replaced by
// Redacted.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, v := range r.known {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, Redacted)
			}
		}
		r.mu.RUnlock()
	}
	return RedactShapes(s)
}

// classify is Classify for a connector whose redactor is r: the error's
// rendering also removes r's known values.
func (r *Redactor) classify(tenant, object, op string, err error) *Error {
	e := Classify(tenant, object, op, err)
	if e != nil && r != nil {
		e.redactor = r
		// Callers that print a field alone (verify's table prints Message)
		// get it redacted too.
		e.Message, e.Fix = r.Redact(e.Message), r.Redact(e.Fix)
	}
	return e
}

// RedactShapes replaces JWTs, Entra client-secret shapes and long opaque
// base64-like runs in s by Redacted.
func RedactShapes(s string) string {
	if len(s) < 32 {
		return s
	}
	s = reJWT.ReplaceAllString(s, Redacted)
	s = reEntraSecret.ReplaceAllString(s, Redacted)
	return reOpaqueRun.ReplaceAllStringFunc(s, func(run string) string {
		if looksRandom(run) {
			return Redacted
		}
		return run
	})
}

// looksRandom reports whether s has an upper-case letter, a lower-case
// letter and a digit, and switches between those classes as often as random
// base64 does (about two pairs of neighbours in three; a threshold of 0.4
// misses one random 40-character run in a thousand). CamelCase names with
// digits (a Go test's temp directory, TestApplySavedPlan1234567890) switch
// only at word boundaries, about one pair in four, and are kept.
func looksRandom(s string) bool {
	class := func(c rune) int {
		switch {
		case unicode.IsUpper(c):
			return 1
		case unicode.IsLower(c):
			return 2
		case unicode.IsDigit(c):
			return 3
		}
		return 0
	}
	var seen [4]bool
	switches, prev, n := 0, -1, 0
	for _, c := range s {
		k := class(c)
		seen[k] = true
		if prev >= 0 && k != prev {
			switches++
		}
		prev = k
		n++
	}
	return seen[1] && seen[2] && seen[3] && n > 1 && float64(switches) >= 0.4*float64(n-1)
}

// RedactingWriter returns a writer that redacts each write before passing it
// to w: the CLI's last line of defence for stderr (errors, logs, progress).
// A value split across two writes is not caught; galshare's writers write
// whole lines.
func RedactingWriter(w io.Writer, r *Redactor) io.Writer { return &redactingWriter{w: w, r: r} }

type redactingWriter struct {
	w io.Writer
	r *Redactor
}

// Write implements io.Writer; it reports len(p) written when the redacted
// text was written whole.
func (rw *redactingWriter) Write(p []byte) (int, error) {
	out := rw.r.Redact(string(p))
	if _, err := io.WriteString(rw.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}
