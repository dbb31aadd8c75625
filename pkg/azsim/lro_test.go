package azsim

import (
	"reflect"
	"strings"
	"testing"
)

func TestApplySharing(t *testing.T) {
	t1, t2 := "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	cur := []sharingGroup{{Type: "AADTenants", IDs: []string{t1}}}
	add := applySharing(cur, sharingUpdate{OperationType: "Add", Groups: []sharingGroup{
		{Type: "AADTenants", IDs: []string{strings.ToUpper(t1), t2}},
		{Type: "Subscriptions", IDs: []string{t2}},
	}})
	want := []sharingGroup{{Type: "AADTenants", IDs: []string{t1, t2}}, {Type: "Subscriptions", IDs: []string{t2}}}
	if !reflect.DeepEqual(add, want) {
		t.Fatalf("add = %+v, want %+v", add, want)
	}
	rm := applySharing(add, sharingUpdate{OperationType: "Remove", Groups: []sharingGroup{{Type: "Subscriptions", IDs: []string{t2}}, {Type: "AADTenants", IDs: []string{t1}}}})
	want = []sharingGroup{{Type: "AADTenants", IDs: []string{t2}}}
	if !reflect.DeepEqual(rm, want) {
		t.Fatalf("remove = %+v, want %+v", rm, want)
	}
}

func TestValidateSharingUpdate(t *testing.T) {
	groups := &gallery{Name: "g", Permissions: "Groups"}
	private := &gallery{Name: "p", Permissions: "Private"}
	tenants := func(n int) []string {
		var ids []string
		for i := range n {
			ids = append(ids, strings.Replace("00000000-0000-0000-0000-00000000000X", "X", string(rune('a'+i)), 1))
		}
		return ids
	}
	tests := []struct {
		name     string
		g        *gallery
		in       sharingUpdate
		wantCode string
	}{
		{"add ok", groups, sharingUpdate{OperationType: "add", Groups: []sharingGroup{{Type: "aadtenants", IDs: tenants(1)}}}, ""},
		{"add to private gallery", private, sharingUpdate{OperationType: "Add", Groups: []sharingGroup{{Type: "AADTenants", IDs: tenants(1)}}}, "OperationNotAllowed"},
		{"add without groups", groups, sharingUpdate{OperationType: "Add"}, "InvalidParameter"},
		{"bad type", groups, sharingUpdate{OperationType: "Add", Groups: []sharingGroup{{Type: "Users", IDs: tenants(1)}}}, "InvalidParameter"},
		{"bad id", groups, sharingUpdate{OperationType: "Add", Groups: []sharingGroup{{Type: "AADTenants", IDs: []string{"nope"}}}}, "InvalidParameter"},
		{"six tenants", groups, sharingUpdate{OperationType: "Add", Groups: []sharingGroup{{Type: "AADTenants", IDs: tenants(6)}}}, "InvalidParameter"},
		{"five tenants", groups, sharingUpdate{OperationType: "Add", Groups: []sharingGroup{{Type: "AADTenants", IDs: tenants(5)}}}, ""},
		{"reset", private, sharingUpdate{OperationType: "Reset"}, ""},
		{"unknown op", groups, sharingUpdate{OperationType: "Share"}, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			e := validateSharingUpdate(tt.g, &in)
			got := ""
			if e != nil {
				got = e.Code
			}
			if got != tt.wantCode {
				t.Errorf("code = %q, want %q (%v)", got, tt.wantCode, e)
			}
		})
	}
}
