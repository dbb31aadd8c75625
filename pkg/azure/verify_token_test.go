package azure

import (
	"encoding/base64"
	"testing"
)

func jwtWith(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + ".c2ln"
}

func TestTokenIdentity(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want TokenIdentity
		ok   bool
	}{
		{"v1 app token", jwtWith(`{"tid":"t1","oid":"sp-object","appid":"app-1"}`), TokenIdentity{"t1", "sp-object", "app-1"}, true},
		{"v2 token uses azp", jwtWith(`{"tid":"t2","oid":"o2","azp":"app-2"}`), TokenIdentity{"t2", "o2", "app-2"}, true},
		{"padded payload", "a." + base64.URLEncoding.EncodeToString([]byte(`{"tid":"t3","oid":"o3xy"}`)) + ".c", TokenIdentity{"t3", "o3xy", ""}, true},
		{"not a jwt", "opaque-token", TokenIdentity{}, false},
		{"bad base64", "a.!!!.c", TokenIdentity{}, false},
		{"not json", "a." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".c", TokenIdentity{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tokenIdentity(tc.raw)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("tokenIdentity = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
