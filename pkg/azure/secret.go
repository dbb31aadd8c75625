package azure

import (
	"fmt"
	"log/slog"
)

// Redacted is what every rendering of a Secret prints instead of its value.
const Redacted = "[REDACTED]"

// Secret holds a secret value (a client secret, a password's secretText) so that
// it cannot leak by accident: fmt (every verb, including %#v and %d), encoding/json,
// encoding.TextMarshaler users, YAML, slog and hclog (plain and JSON, alone or in a
// slice) all print Redacted. Reveal is the only way to the value, so every place
// that needs it is greppable.
//
// It is a struct holding a pointer rather than a named string on purpose: hclog
// renders slices of string-kinded values through reflection (bypassing String), and
// fmt prints the fields of a struct reached through reflection; a pointer field is
// printed as an address only.
type Secret struct {
	v *string
}

// NewSecret wraps a secret value. An empty value gives the zero Secret.
func NewSecret(value string) Secret {
	if value == "" {
		return Secret{}
	}
	return Secret{v: &value}
}

// Reveal returns the secret value. Call it only where the value must leave the
// process (an HTTP form field, the delivery file).
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the Secret holds no value.
func (s Secret) IsZero() bool { return s.v == nil || *s.v == "" }

// Equal compares two secrets by value without revealing them; go-cmp uses it
// instead of reading the unexported field.
func (s Secret) Equal(o Secret) bool { return s.Reveal() == o.Reveal() }

// String implements fmt.Stringer with the redacted form.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer with the redacted form.
func (s Secret) GoString() string { return "azure.Secret(" + fmt.Sprintf("%q", s.String()) + ")" }

// Format implements fmt.Formatter so that every verb prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// MarshalJSON implements json.Marshaler with the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.String())), nil }

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML implements yaml.Marshaler (gopkg.in/yaml.v3) with the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
