package spec

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"8760h", 8760 * time.Hour, ""},
		{"365d", 365 * 24 * time.Hour, ""},
		{"30d12h", 30*24*time.Hour + 12*time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"1h30m10s", time.Hour + 30*time.Minute + 10*time.Second, ""},
		{"0s", 0, "longer than zero"},
		{"-1h", 0, "not a duration"},
		{"1y", 0, "not a duration"},
		{"", 0, "not a duration"},
		{"8760", 0, "not a duration"},
		{"d", 0, "not a duration"},
		{"99999999999d", 0, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestResolveRole(t *testing.T) {
	tests := []struct {
		in, name, guid, suggest string
		wantErr                 bool
	}{
		{in: "Reader", name: "Reader", guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
		{in: "contributor", name: "Contributor", guid: "b24988ac-6180-42a0-ab88-20f7382dd24c"},
		{in: "OWNER", name: "Owner", guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
		{in: "User Access Administrator", name: "User Access Administrator", guid: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
		{in: "Role Based Access Control Administrator", name: "Role Based Access Control Administrator", guid: "f58310d9-a9f6-439a-9e8d-f62e7b41a168"},
		{in: "compute gallery sharing admin", name: "Compute Gallery Sharing Admin", guid: "1ef6a3be-d0ac-425d-8c01-acb62866290b"},
		{in: "Compute Gallery Image Reader", name: "Compute Gallery Image Reader", guid: "cf7c76d2-98a3-4358-a134-615aa78bf44d"},
		{in: "Virtual  Machine Contributor", name: "Virtual Machine Contributor", guid: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"},
		{in: "B24988AC-6180-42A0-AB88-20F7382DD24C", name: "Contributor", guid: "b24988ac-6180-42a0-ab88-20f7382dd24c"},
		{in: "12345678-1234-1234-1234-123456789abc", name: "", guid: "12345678-1234-1234-1234-123456789abc"},
		{in: "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", name: "Reader", guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
		{in: "Contributer", wantErr: true, suggest: "Contributor"},
		{in: "Storage Blob Data Reader", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ResolveRole(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ResolveRole(%q) = %+v, want an error", tt.in, r)
				}
				var ure *unknownRoleError
				if tt.suggest != "" && (!errors.As(err, &ure) || ure.suggestion != tt.suggest) {
					t.Errorf("error %v does not suggest %q", err, tt.suggest)
				}
				return
			}
			if err != nil || r.Name != tt.name || r.DefinitionGUID != tt.guid {
				t.Fatalf("ResolveRole(%q) = %+v, %v; want %s %s", tt.in, r, err, tt.name, tt.guid)
			}
		})
	}
	if n := len(BuiltinRoles()); n != 8 {
		t.Errorf("BuiltinRoles has %d roles, want 8", n)
	}
}

func TestParseARMID(t *testing.T) {
	const sub = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	tests := []struct {
		in        string
		kind      armKind
		canonical string
		wantErr   string
	}{
		{"/subscriptions/" + sub, armSubscription, "/subscriptions/" + sub, ""},
		{"/Subscriptions/AAAAAAAA-aaaa-aaaa-aaaa-aaaaaaaaaaaa/ResourceGroups/rg.(1)_x", armResourceGroup, "/subscriptions/" + sub + "/resourceGroups/rg.(1)_x", ""},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/galleries/my_gallery.v2", armGallery,
			"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/galleries/my_gallery.v2", ""},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i", armOtherResource, "", ""},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s", armOtherResource, "", ""},
		{"subscriptions/" + sub, 0, "", "starts with /subscriptions/"},
		{"/subscriptions/" + sub + "/", 0, "", "ends with '/'"},
		{"/subscriptions//resourceGroups/rg", 0, "", "empty segment"},
		{"/subscriptions/nope", 0, "", "not a GUID"},
		{"/tenants/" + sub, 0, "", "starts with /subscriptions/"},
		{"/subscriptions/" + sub + "/resourceGroups/rg.", 0, "", "not valid"},
		{"/subscriptions/" + sub + "/resourceGroups/" + strings.Repeat("r", 91), 0, "", "not valid"},
		{"/subscriptions/" + sub + "/locations/westus", 0, "", "expected resourceGroups"},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute", 0, "", "continues with /providers"},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/galleries/_g", 0, "", "gallery name"},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Compute/galleries/" + strings.Repeat("g", 81), 0, "", "gallery name"},
		{" /subscriptions/" + sub, 0, "", "spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, err := parseARMID(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseARMID = %+v, %v; want error containing %q", id, err, tt.wantErr)
				}
				return
			}
			if err != nil || id.kind != tt.kind {
				t.Fatalf("parseARMID = %+v, %v; want kind %v", id, err, tt.kind)
			}
			if tt.canonical != "" && id.canonical != tt.canonical {
				t.Errorf("canonical = %s, want %s", id.canonical, tt.canonical)
			}
		})
	}
}

func TestCheckRedirectURI(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"https://www.microsoft.com", ""},
		{"https://contoso.com/auth/callback?x=1", ""},
		{"http://localhost", ""},
		{"http://localhost:8400/cb", ""},
		{"http://127.0.0.1:5000", ""},
		{"http://contoso.com", "only for localhost"},
		{"ftp://contoso.com", "not https"},
		{"https://", "no host"},
		{"contoso.com/cb", "not absolute"},
		{"https://contoso.com/#frag", "fragment"},
		{"https://*.contoso.com", "wildcard"},
		{"https://contoso.com/a b", "space"},
		{"https://contoso.com/" + strings.Repeat("a", 250), "256"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := checkRedirectURI(tt.in)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("checkRedirectURI(%q) = %v, want ok", tt.in, err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkRedirectURI(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"displayName", "redirectUris", "secret", "signInAudience", "uniqueName"}
	tests := []struct{ in, want string }{
		{"displayNme", "displayName"},
		{"DisplayName", "displayName"},
		{"redirectURIs", "redirectUris"},
		{"secrets", "secret"},
		{"colour", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.in, keys); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDefaultUniqueName(t *testing.T) {
	tests := []struct{ name, display, want string }{
		{"contoso-golden-images", "myGalleryApp", "contoso-golden-images-mygalleryapp"},
		{"x", "My  Gallery -- App!", "x-my-gallery-app"},
		{"x", "Café Ümlaut", "x-caf-mlaut"},
		{"a", strings.Repeat("b", 200), "a-" + strings.Repeat("b", 118)},
	}
	for _, tt := range tests {
		got := DefaultUniqueName(tt.name, tt.display)
		if got != tt.want {
			t.Errorf("DefaultUniqueName(%q, %q) = %q, want %q", tt.name, tt.display, got, tt.want)
		}
		if !uniqueNameRE.MatchString(got) {
			t.Errorf("DefaultUniqueName(%q, %q) = %q does not match the uniqueName pattern", tt.name, tt.display, got)
		}
	}
}

func TestLooksLikeSecretValue(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Abc8Q~abcdefghijklmnopqrstuvwxyz01234567", true},
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln", true},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE", true},
		{"DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==", true},
		{"Shared image gallery cross-tenant app secret", false},
		{"11111111-1111-1111-1111-111111111111", false},
		{"https://www.microsoft.com", false},
	}
	for _, tt := range tests {
		if got := looksLikeSecretValue(tt.in); got != tt.want {
			t.Errorf("looksLikeSecretValue(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPositionsLookupFallsBack(t *testing.T) {
	p := Positions{"": {1, 1}, "consumers[1]": {10, 5}, "consumers[1].grants": {12, 5}}
	tests := []struct {
		path string
		want Pos
	}{
		{"consumers[1].grants[0].role", Pos{12, 5}},
		{"consumers[1].name", Pos{10, 5}},
		{"publisher.tenant", Pos{1, 1}},
	}
	for _, tt := range tests {
		if got := p.Lookup(tt.path); got != tt.want {
			t.Errorf("Lookup(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}
