package state

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestSecretLookingKey(t *testing.T) {
	for key, want := range map[string]bool{
		"secret": true, "Secret": true, "secretText": true, "secret_text": true, "clientSecret": true,
		"client-secret": true, "password": true, "PASSWORD": true, "token": true, "accessToken": true,
		"refresh_token": true, "newClientSecret": true, "graphAccessToken": true, "privateKey": true,
		"clientAssertion": true, "credentials": true, "value.secret": true,

		"appId": false, "hint": false, "endDateTime": false, "scope": false, "roleDefinitionId": false,
		"principalId": false, "keyId": false, "secretHint": false, "tokenEndpoint": false,
		"passwordKeyId": false, "displayName": false, "description": false, "deliverTo": false,
	} {
		if got := secretLookingKey(key); got != want {
			t.Errorf("secretLookingKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestPutRefusesSecrets(t *testing.T) {
	s := &State{Version: CurrentVersion}
	r := appResource("app.a")
	r.Attributes["secretText"] = "do-not-store-me"
	err := s.Put(r)
	if !errors.Is(err, ErrSecretAttribute) {
		t.Fatalf("Put = %v, want ErrSecretAttribute", err)
	}
	if strings.Contains(err.Error(), "do-not-store-me") {
		t.Fatalf("error leaks the value: %v", err)
	}
	if len(s.Resources) != 0 {
		t.Fatal("refused resource was stored")
	}
}

// TestUpdateRefusesSecrets bypasses Put (direct slice edit) and shows the
// whole-state validation in Update still refuses, leaving disk untouched.
func TestUpdateRefusesSecrets(t *testing.T) {
	h, p := openTemp(t)
	ctx := t.Context()
	if err := h.Update(ctx, put(appResource("app.a"))); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	err := h.Update(ctx, func(s *State) error {
		s.Resources[0].Attributes["token"] = "eyJ-do-not-store-me"
		return nil
	})
	if !errors.Is(err, ErrSecretAttribute) {
		t.Fatalf("Update = %v, want ErrSecretAttribute", err)
	}
	if strings.Contains(err.Error(), "eyJ-do-not-store-me") {
		t.Fatalf("error leaks the value: %v", err)
	}
	after, _ := os.ReadFile(p)
	if string(before) != string(after) || strings.Contains(string(after), "do-not-store-me") {
		t.Fatal("state file changed or holds the secret")
	}
	if r, _ := h.State().Get("app.a"); r.Attributes["token"] != "" {
		t.Fatal("refused change kept in memory")
	}
}

func TestPutValidates(t *testing.T) {
	s := &State{Version: CurrentVersion}
	for name, r := range map[string]Resource{
		"no address": {Type: TypeApplication, Origin: OriginCreated},
		"no origin":  {Address: "a", Type: TypeApplication},
		"bad origin": {Address: "a", Type: TypeApplication, Origin: "found"},
		"no type":    {Address: "a", Origin: OriginCreated},
	} {
		if err := s.Put(r); err == nil {
			t.Errorf("%s: Put accepted %+v", name, r)
		}
	}
	if err := s.Put(appResource("a")); err != nil {
		t.Fatal(err)
	}
	r := appResource("a")
	r.ID = "replaced"
	if err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("a"); len(s.Resources) != 1 || got.ID != "replaced" {
		t.Fatalf("Put did not replace: %+v", s.Resources)
	}
	if !s.Remove("a") || s.Remove("a") || len(s.Resources) != 0 {
		t.Fatal("Remove misbehaves")
	}
}
