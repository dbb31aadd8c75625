package planner

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddressRoundTrip(t *testing.T) {
	tests := []struct {
		addr Address
		str  string
		typ  ResourceType
	}{
		{AppAddress("myGalleryApp"), "app.myGalleryApp", TypeApplication},
		{AppAddress("my.dotted app"), "app.my.dotted app", TypeApplication},
		{PasswordAddress("myGalleryApp"), "app.myGalleryApp.secret[primary]", TypePassword},
		{PasswordAddress("a.secret[x]"), "app.a.secret[x].secret[primary]", TypePassword},
		{SPAddress(PublisherKey), "sp[publisher]", TypeServicePrincipal},
		{SPAddress("fabrikam"), "sp[fabrikam]", TypeServicePrincipal},
		{GalleryRoleAddress("myGallery", "Reader"), "gallery[myGallery].role[Reader]", TypeRoleAssignment},
		{GalleryRoleAddress("g", "User Access Administrator"), "gallery[g].role[User Access Administrator]", TypeRoleAssignment},
		{ConsumerRoleAddress("fabrikam", vmRG, "Contributor"), "role[fabrikam:" + vmRG + ":Contributor]", TypeRoleAssignment},
		{ConsumerRoleAddress("c", "/subscriptions/x", contribG), "role[c:/subscriptions/x:" + contribG + "]", TypeRoleAssignment},
		{WaitAddress("myGallery", "ubuntu-2204", "1.0.0"), "wait[myGallery/ubuntu-2204/1.0.0]", TypeWait},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if got := tt.addr.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			got, err := ParseAddress(tt.str)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.addr, got); diff != "" {
				t.Errorf("ParseAddress (-want +got):\n%s", diff)
			}
			if got.ResourceType() != tt.typ {
				t.Errorf("type %q, want %q", got.ResourceType(), tt.typ)
			}
			b, err := json.Marshal(map[string]Address{"a": tt.addr})
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]Address
			if err := json.Unmarshal(b, &back); err != nil || back["a"] != tt.addr {
				t.Errorf("JSON round trip: %s -> %+v (%v)", b, back, err)
			}
		})
	}
}

func TestParseAddressErrors(t *testing.T) {
	for _, s := range []string{
		"", "app.", "app.x.secret[]", "sp[]", "sp[a[b]]", "gallery[g]", "gallery[].role[R]", "gallery[g].role[]",
		"role[c]", "role[c:scope]", "role[:s:R]", "role[c:s:]", "wait[g/i]", "wait[g//v]", "bogus[x]", "SP[fabrikam]",
	} {
		if a, err := ParseAddress(s); err == nil {
			t.Errorf("ParseAddress(%q) = %+v; want an error", s, a)
		} else if !errors.Is(err, ErrBadAddress) {
			t.Errorf("ParseAddress(%q) error %v is not ErrBadAddress", s, err)
		}
	}
}

func TestAddressOwner(t *testing.T) {
	for in, want := range map[string]string{
		"app.x.secret[primary]":        "app.x",
		"gallery[g].role[Reader]":      "sp[publisher]",
		"role[fab:/subscriptions/s:R]": "sp[fab]",
		"sp[fab]":                      "",
		"wait[g/i/v]":                  "",
	} {
		got := MustParseAddress(in).Owner()
		if got.String() != want {
			t.Errorf("Owner(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestActionNames(t *testing.T) {
	for _, a := range []Action{NoOp, Create, Update, Delete, Replace, Read, Wait, Blocked} {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back Action
		if err := json.Unmarshal(b, &back); err != nil || back != a {
			t.Errorf("%v: JSON round trip gave %v (%v)", a, back, err)
		}
		if a.Symbol() == "?" {
			t.Errorf("%v has no symbol", a)
		}
	}
	if Replace.Symbol() != "-/+" || Read.Symbol() != "<=" || Blocked.Symbol() != "!" {
		t.Error("symbols differ from the documented ones")
	}
	if _, err := ParseAction("destroy"); err == nil {
		t.Error("unknown action accepted")
	}
	if _, err := json.Marshal(Action(42)); err == nil {
		t.Error("out-of-range action marshalled")
	}
}
