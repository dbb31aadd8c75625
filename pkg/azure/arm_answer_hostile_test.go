package azure_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/galshare/galshare/pkg/azure"
)

// TestHostileRoleAssignmentPUTAnswer: a PUT roleAssignment answered 200/201
// whose body is an error envelope, has no id, or describes an assignment of
// another principal must fail as a typed, classified error (the outcome is
// unknown; the PUT is idempotent, so it is retryable), never count as
// created with an empty id (issue 12, item 7).
func TestHostileRoleAssignmentPUTAnswer(t *testing.T) {
	scope := "/subscriptions/" + hostileSub + "/resourceGroups/rg"
	const principal = "5a5a5a5a-0000-4000-8000-000000000001"
	const other = "6b6b6b6b-0000-4000-8000-000000000002"
	reader := "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	name := azure.RoleAssignmentName(scope, principal, reader)
	id := scope + "/providers/Microsoft.Authorization/roleAssignments/" + name
	assignment := func(principalID string) map[string]any {
		return map[string]any{"id": id, "name": name, "type": "Microsoft.Authorization/roleAssignments",
			"properties": map[string]any{"scope": scope, "principalId": principalID, "principalType": "ServicePrincipal",
				"roleDefinitionId": "/subscriptions/" + hostileSub + "/providers/Microsoft.Authorization/roleDefinitions/" + reader}}
	}
	tests := []struct {
		name    string
		status  int
		body    any
		wantErr []string
	}{
		{"200 with an error envelope", http.StatusOK,
			map[string]any{"error": map[string]any{"code": "InternalServerError", "message": "something went wrong"}},
			[]string{"without the assignment's id", "InternalServerError", "something went wrong"}},
		{"201 with an empty body", http.StatusCreated, map[string]any{}, []string{"without the assignment's id"}},
		{"200 naming another principal", http.StatusOK, assignment(other), []string{principal, other}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t)
			h.behave = func(w http.ResponseWriter, r *http.Request, _ int64) {
				if r.Method != http.MethodPut {
					http.NotFound(w, r)
					return
				}
				writeJSON(w, tc.status, tc.body)
			}
			res, err := h.connector(t).Resources(hostileCtx(t), hostileTenant)
			if err != nil {
				t.Fatal(err)
			}
			ra, _, err := res.CreateRoleAssignment(hostileCtx(t), azure.RoleAssignmentSpec{Scope: scope, RoleDefinitionGUID: reader, PrincipalID: principal})
			noSecretIn(t, err)
			if err == nil {
				t.Fatalf("answer accepted as created: %+v", ra)
			}
			var ae *azure.Error
			if !errors.As(err, &ae) || !errors.Is(err, azure.ErrIncompleteAnswer) || ae.StatusCode != tc.status || ae.Kind != azure.KindTransient {
				t.Errorf("err = %#v, want an *azure.Error (HTTP %d, transient) wrapping ErrIncompleteAnswer", err, tc.status)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to mention %q", err, w)
				}
			}
			if n := h.requests.Load(); n != 1 {
				t.Errorf("%d ARM requests, want 1 (the executor, not the pipeline, decides on a retry)", n)
			}
		})
	}
}
