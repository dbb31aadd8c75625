package azure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	"gopkg.in/yaml.v3"
)

const testSecretValue = "s3cr3t-VALUE-that-must-not-leak"

func TestSecretRedactsInFmt(t *testing.T) {
	s := NewSecret(testSecretValue)
	np := NewPassword{PasswordCredential: PasswordCredential{KeyID: "k1", Hint: "s3c"}, Secret: s}
	type holder struct{ inner Secret } // unexported field: fmt reaches it by reflection
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T %v"} {
		for name, v := range map[string]any{"secret": s, "pointer": &s, "password": np, "ptr password": &np,
			"slice": []Secret{s, s}, "map": map[string]Secret{"k": s}, "unexported": holder{s}} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, testSecretValue) || strings.Contains(out, fmt.Sprintf("%x", testSecretValue)) {
				t.Errorf("fmt %s of %s leaks the secret: %s", format, name, out)
			}
		}
	}
	if got := fmt.Sprint(s); got != Redacted {
		t.Errorf("Sprint = %q, want %q", got, Redacted)
	}
	if got := s.Reveal(); got != testSecretValue {
		t.Errorf("Reveal = %q", got)
	}
}

func TestSecretRedactsInEncoders(t *testing.T) {
	s := NewSecret(testSecretValue)
	np := NewPassword{PasswordCredential: PasswordCredential{KeyID: "k1"}, Secret: s}
	j, err := json.Marshal(map[string]any{"np": np, "list": []Secret{s}, "key": map[Secret]int{s: 1}})
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(map[string]any{"np": np, "s": s})
	if err != nil {
		t.Fatal(err)
	}
	var sl bytes.Buffer
	slog.New(slog.NewJSONHandler(&sl, nil)).Info("x", "secret", s, "np", np)
	slog.New(slog.NewTextHandler(&sl, nil)).Info("x", "secret", s)
	for name, out := range map[string]string{"json": string(j), "yaml": string(y), "slog": sl.String()} {
		if strings.Contains(out, testSecretValue) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("%s does not show %s: %s", name, Redacted, out)
		}
	}
}

func TestSecretRedactsInHclog(t *testing.T) {
	s := NewSecret(testSecretValue)
	np := &NewPassword{Secret: s}
	for _, jsonFormat := range []bool{false, true} {
		var buf bytes.Buffer
		l := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Trace, JSONFormat: jsonFormat})
		l.Info("msg", "secret", s, "slice", []Secret{s, s}, "password", np, "any", []any{s})
		l.With("secret", s).Debug("with")
		l.Info("fmt", "f", hclog.Fmt("%s %v %#v", s, s, s))
		out := buf.String()
		if strings.Contains(out, testSecretValue) {
			t.Errorf("hclog (json=%v) leaks the secret:\n%s", jsonFormat, out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("hclog (json=%v) does not show %s:\n%s", jsonFormat, Redacted, out)
		}
	}
}

func TestSecretZeroAndEqual(t *testing.T) {
	if !NewSecret("").IsZero() || !(Secret{}).IsZero() || NewSecret("x").IsZero() {
		t.Error("IsZero wrong")
	}
	if fmt.Sprint(Secret{}) != "" {
		t.Errorf("zero secret prints %q", fmt.Sprint(Secret{}))
	}
	a, b := NewSecret("x"), NewSecret("x")
	if !a.Equal(b) || a.Equal(NewSecret("y")) {
		t.Error("Equal wrong")
	}
	// go-cmp uses Equal instead of panicking on the unexported field.
	if d := cmp.Diff(NewPassword{Secret: a}, NewPassword{Secret: b}); d != "" {
		t.Errorf("cmp.Diff: %s", d)
	}
}
