package planner

import (
	"errors"
	"fmt"
	"strings"
)

// AddressKind says which kind of object an Address names. It is part of the
// address's syntax, so each kind has exactly one string form.
type AddressKind int

// The kinds of managed objects, in the order the documented procedure creates
// them.
const (
	// AddrInvalid is the zero value; no valid Address has it.
	AddrInvalid AddressKind = iota
	// AddrApp is the multi-tenant app registration: app.<displayName>.
	AddrApp
	// AddrPassword is the app's client secret: app.<displayName>.secret[<slot>].
	AddrPassword
	// AddrServicePrincipal is the app's service principal in one tenant:
	// sp[publisher] or sp[<consumer>].
	AddrServicePrincipal
	// AddrGalleryRole is the role assignment for the publisher-tenant service
	// principal on a gallery: gallery[<name>].role[<Role>].
	AddrGalleryRole
	// AddrConsumerRole is a role assignment in a consumer tenant:
	// role[<consumer>:<scope>:<Role>].
	AddrConsumerRole
	// AddrWait is the readiness gate on one image version:
	// wait[<gallery>/<image>/<version>].
	AddrWait
)

// PublisherKey is the consumer slot that names the publisher tenant in
// sp[publisher]; pkg/spec reserves it so that no consumer can take it.
const PublisherKey = "publisher"

// PrimarySlot is the slot of the one client secret galshare manages per app.
// A rotation is a Replace of this address (create the new password, deliver
// it, then remove the old one), so there is no second slot to track.
const PrimarySlot = "primary"

// Address is the stable, human-readable name of one managed object. It is
// a value type (comparable, usable as a map key); its String form is what
// plans, state, logs and --target use.
type Address struct {
	Kind AddressKind
	// App is the app display name (AddrApp, AddrPassword).
	App string
	// Slot is the password slot (AddrPassword), normally PrimarySlot.
	Slot string
	// Consumer is the consumer name, or PublisherKey (AddrServicePrincipal,
	// AddrConsumerRole).
	Consumer string
	// Gallery is the gallery name, the last segment of its ARM id
	// (AddrGalleryRole, AddrWait).
	Gallery string
	// Scope is the ARM scope of a consumer grant (AddrConsumerRole).
	Scope string
	// Role is the role's canonical name, or its definition GUID for a role
	// without a built-in name (AddrGalleryRole, AddrConsumerRole).
	Role string
	// Image and Version name the image version (AddrWait).
	Image, Version string
}

// AppAddress names the app registration.
func AppAddress(displayName string) Address { return Address{Kind: AddrApp, App: displayName} }

// PasswordAddress names the app's client secret in the primary slot.
func PasswordAddress(displayName string) Address {
	return Address{Kind: AddrPassword, App: displayName, Slot: PrimarySlot}
}

// SPAddress names the app's service principal for a consumer, or for the
// publisher tenant when consumer is PublisherKey.
func SPAddress(consumer string) Address {
	return Address{Kind: AddrServicePrincipal, Consumer: consumer}
}

// GalleryRoleAddress names the role assignment on a gallery.
func GalleryRoleAddress(gallery, role string) Address {
	return Address{Kind: AddrGalleryRole, Gallery: gallery, Role: role}
}

// ConsumerRoleAddress names a role grant in a consumer tenant.
func ConsumerRoleAddress(consumer, scope, role string) Address {
	return Address{Kind: AddrConsumerRole, Consumer: consumer, Scope: scope, Role: role}
}

// WaitAddress names the readiness gate of one image version.
func WaitAddress(gallery, image, version string) Address {
	return Address{Kind: AddrWait, Gallery: gallery, Image: image, Version: version}
}

// IsZero reports whether a is the zero Address.
func (a Address) IsZero() bool { return a == Address{} }

// String renders the address in its one canonical form.
func (a Address) String() string {
	switch a.Kind {
	case AddrApp:
		return "app." + a.App
	case AddrPassword:
		return "app." + a.App + ".secret[" + a.Slot + "]"
	case AddrServicePrincipal:
		return "sp[" + a.Consumer + "]"
	case AddrGalleryRole:
		return "gallery[" + a.Gallery + "].role[" + a.Role + "]"
	case AddrConsumerRole:
		return "role[" + a.Consumer + ":" + a.Scope + ":" + a.Role + "]"
	case AddrWait:
		return "wait[" + a.Gallery + "/" + a.Image + "/" + a.Version + "]"
	}
	return ""
}

// ResourceType is the type of object an address names, as recorded in state
// (state.Resource.Type) and the JSON plan.
func (a Address) ResourceType() ResourceType {
	switch a.Kind {
	case AddrApp:
		return TypeApplication
	case AddrPassword:
		return TypePassword
	case AddrServicePrincipal:
		return TypeServicePrincipal
	case AddrGalleryRole, AddrConsumerRole:
		return TypeRoleAssignment
	case AddrWait:
		return TypeWait
	}
	return ""
}

// Owner is the address this object belongs to: the app for a password, the
// service principal whose principal a role assignment grants, zero otherwise.
// It is the structural parent that --target and destroy ordering follow.
func (a Address) Owner() Address {
	switch a.Kind {
	case AddrPassword:
		return AppAddress(a.App)
	case AddrGalleryRole:
		return SPAddress(PublisherKey)
	case AddrConsumerRole:
		return SPAddress(a.Consumer)
	}
	return Address{}
}

// ErrBadAddress is returned (wrapped) by ParseAddress for any malformed input,
// so the CLI can tell a typo in --target from other failures.
var ErrBadAddress = errors.New("invalid address")

// ParseAddress parses the canonical form produced by String. Display names
// may contain dots and spaces; scopes contain no colon, so a consumer role is
// split at its first and last colon.
func ParseAddress(s string) (Address, error) {
	bad := func(why string) (Address, error) {
		return Address{}, fmt.Errorf("%w %q: %s (forms: app.NAME, app.NAME.secret[primary], sp[CONSUMER], "+
			"gallery[NAME].role[ROLE], role[CONSUMER:SCOPE:ROLE], wait[GALLERY/IMAGE/VERSION])", ErrBadAddress, s, why)
	}
	switch {
	case strings.HasPrefix(s, "app."):
		rest := s[len("app."):]
		if i := strings.LastIndex(rest, ".secret["); i >= 0 && strings.HasSuffix(rest, "]") {
			app, slot := rest[:i], rest[i+len(".secret["):len(rest)-1]
			if app == "" || slot == "" {
				return bad("empty app name or secret slot")
			}
			return Address{Kind: AddrPassword, App: app, Slot: slot}, nil
		}
		if rest == "" {
			return bad("empty app name")
		}
		return AppAddress(rest), nil
	case strings.HasPrefix(s, "sp[") && strings.HasSuffix(s, "]"):
		c := s[3 : len(s)-1]
		if c == "" || strings.ContainsAny(c, "[]") {
			return bad("bad consumer name")
		}
		return SPAddress(c), nil
	case strings.HasPrefix(s, "gallery["):
		i := strings.Index(s, "].role[")
		if i < 0 || !strings.HasSuffix(s, "]") {
			return bad("want gallery[NAME].role[ROLE]")
		}
		g, r := s[len("gallery["):i], s[i+len("].role["):len(s)-1]
		if g == "" || r == "" {
			return bad("empty gallery or role")
		}
		return GalleryRoleAddress(g, r), nil
	case strings.HasPrefix(s, "role[") && strings.HasSuffix(s, "]"):
		body := s[len("role[") : len(s)-1]
		i, j := strings.Index(body, ":"), strings.LastIndex(body, ":")
		if i <= 0 || j <= i+1 || j == len(body)-1 {
			return bad("want role[CONSUMER:SCOPE:ROLE]")
		}
		return ConsumerRoleAddress(body[:i], body[i+1:j], body[j+1:]), nil
	case strings.HasPrefix(s, "wait[") && strings.HasSuffix(s, "]"):
		parts := strings.Split(s[len("wait["):len(s)-1], "/")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return bad("want wait[GALLERY/IMAGE/VERSION]")
		}
		return WaitAddress(parts[0], parts[1], parts[2]), nil
	}
	return bad("unknown form")
}

// MustParseAddress is ParseAddress for literals in tests and tables; it
// panics on a malformed address.
func MustParseAddress(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

// MarshalText writes the canonical string, so addresses are plain JSON
// strings in plan files and can be JSON map keys.
func (a Address) MarshalText() ([]byte, error) {
	if a.Kind == AddrInvalid {
		return []byte{}, nil
	}
	return []byte(a.String()), nil
}

// UnmarshalText parses the canonical string; an empty string is the zero
// Address.
func (a *Address) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*a = Address{}
		return nil
	}
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
