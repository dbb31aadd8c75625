package azsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The leak scanner backs issue 7's promise that no secret galshare handles ends up in any byte it writes except the
// delivery target. Tests and the chaos harness hand it every secret value they know of (delivered client secrets,
// operator secrets from the cloud file) and everything galshare wrote (stdout, stderr, trace logs, state, backups,
// plan files, JSON events). Because the simulator keeps only a hash of the secrets it issues (like Entra), a secret
// that galshare received but never delivered cannot be listed by value; ScanForSecretShapes closes that hole by
// looking for anything shaped like a simulator-issued secret, and Sim.SecretKeyID tells whether a candidate value
// really is one of the live passwords.

// Leak is one occurrence of a secret in scanned output. It never carries the secret itself: Hint is the first three
// characters, as Graph shows them.
type Leak struct {
	Name   string // what was scanned: a file path or a label such as "apply stdout"
	Offset int    // byte offset of the match in the data
	Form   string // how the secret appeared: raw, json, url, base64, hex, shape, shape/base64
	Hint   string // first three characters of the secret
}

// String describes the leak without revealing the secret.
func (l Leak) String() string {
	return fmt.Sprintf("%s: offset %d: secret %s… (%s form)", l.Name, l.Offset, l.Hint, l.Form)
}

// minSecretLen keeps short strings out of the scan: a three-letter "secret" would match everywhere.
const minSecretLen = 8

// secretShapeRE matches a client secret as newSecretText makes it (and as Entra does): three characters, "8Q~",
// then 34 more from the secret alphabet.
var secretShapeRE = regexp.MustCompile(`[A-Za-z0-9._~-]{3}8Q~[A-Za-z0-9._~-]{34}`)

// secretForms returns the encodings under which a secret could plausibly appear in output: verbatim, JSON-escaped,
// URL-encoded (form bodies), base64 (std, URL, raw) and hex. Each form is tagged with its name.
func secretForms(secret string) map[string][]byte {
	forms := map[string][]byte{"raw": []byte(secret)}
	if j, err := json.Marshal(secret); err == nil {
		if js := j[1 : len(j)-1]; !bytes.Equal(js, forms["raw"]) {
			forms["json"] = js
		}
	}
	if u := url.QueryEscape(secret); u != secret {
		forms["url"] = []byte(u)
	}
	// Base64 output depends on the alignment of the secret inside the encoded stream; scanning the three
	// alignments' stable middle parts catches a secret embedded anywhere in a base64 blob.
	for shift := 0; shift < 3; shift++ {
		pad := strings.Repeat("\x00", shift)
		for i, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			full := enc.EncodeToString([]byte(pad + secret))
			// Drop the characters that mix with the neighbouring bytes: the first ceil(shift*4/3) and the last 4.
			start := (shift*4 + 2) / 3
			end := len(full) - 4
			if end-start >= minSecretLen {
				forms[fmt.Sprintf("base64/%d%d", shift, i)] = []byte(full[start:end])
			}
		}
	}
	forms["hex"] = []byte(fmt.Sprintf("%x", secret))
	return forms
}

// ScanForSecrets reports every occurrence of any of secrets, in any of the forms secretForms knows, in data.
// Secrets shorter than 8 characters are ignored. Overlapping forms of one occurrence are reported once each.
func ScanForSecrets(secrets []string, name string, data []byte) []Leak {
	var leaks []Leak
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < minSecretLen || seen[s] {
			continue
		}
		seen[s] = true
		hint := s[:3]
		forms := secretForms(s)
		names := make([]string, 0, len(forms))
		for f := range forms {
			names = append(names, f)
		}
		sort.Strings(names)
		needles := map[string]bool{}
		for _, f := range names {
			needle := forms[f]
			if needles[string(needle)] {
				continue // std and URL base64 often agree; report one occurrence once
			}
			needles[string(needle)] = true
			for off := 0; ; {
				i := bytes.Index(data[off:], needle)
				if i < 0 {
					break
				}
				leaks = append(leaks, Leak{Name: name, Offset: off + i, Form: strings.SplitN(f, "/", 2)[0], Hint: hint})
				off += i + len(needle)
			}
		}
	}
	return leaks
}

// ScanForSecretShapes reports every string in data shaped like a client secret the simulator (or Entra) issues,
// whatever its value, including inside base64 blobs. It finds a secret the caller never saw, e.g. one galshare got
// from addPassword and logged instead of delivering.
func ScanForSecretShapes(name string, data []byte) []Leak {
	var leaks []Leak
	for _, m := range secretShapeRE.FindAllIndex(data, -1) {
		leaks = append(leaks, Leak{Name: name, Offset: m[0], Form: "shape", Hint: string(data[m[0] : m[0]+3])})
	}
	for _, m := range base64RunRE.FindAllIndex(data, -1) {
		run := string(data[m[0]:m[1]])
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			dec, err := enc.DecodeString(run)
			if err != nil {
				continue
			}
			for _, d := range secretShapeRE.FindAllIndex(dec, -1) {
				leaks = append(leaks, Leak{Name: name, Offset: m[0], Form: "shape/base64", Hint: string(dec[d[0] : d[0]+3])})
			}
			break
		}
	}
	return leaks
}

// base64RunRE finds base64 runs long enough to hold an encoded 40-character secret.
var base64RunRE = regexp.MustCompile(`[A-Za-z0-9+/_-]{52,}={0,2}`)

// ScanDir scans every regular file under dir (recursively) with ScanForSecrets and ScanForSecretShapes, skipping
// files for which skip returns true (e.g. the delivery target, which must hold the secret). Leak names are paths
// relative to dir.
func ScanDir(secrets []string, dir string, skip func(rel string) bool) ([]Leak, error) {
	var leaks []Leak
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if skip != nil && skip(rel) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("scan %s: %w", rel, err)
		}
		leaks = append(leaks, ScanForSecrets(secrets, rel, data)...)
		leaks = append(leaks, ScanForSecretShapes(rel, data)...)
		return nil
	})
	if err != nil {
		return leaks, fmt.Errorf("scan %s: %w", dir, err)
	}
	return leaks, nil
}

// SecretKeyID reports which live password credential secret is the value of: the application's appId and the
// password's keyId. It lets a harness prove that every password in Azure has a delivered copy (the simulator,
// like Entra, keeps only a hash of the secret text).
func (sim *Sim) SecretKeyID(secret string) (appID, keyID string, ok bool) {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.w.Directory.Apps {
		for _, p := range a.Passwords {
			if secretMatches(p.SecretHash, secret) {
				return a.AppID, p.KeyID, true
			}
		}
	}
	return "", "", false
}

// OperatorSecrets returns the client secrets of every seeded operator identity: the credentials galshare signs in
// with, which must never appear in its output either.
func (sim *Sim) OperatorSecrets() []string {
	s := sim.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, t := range s.w.Directory.Tenants {
		for _, o := range t.Operators {
			if o.ClientSecret != "" {
				out = append(out, o.ClientSecret)
			}
		}
	}
	sort.Strings(out)
	return out
}
