package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// ErrIncompleteAnswer marks a success status (200/201) whose body does not
// describe the object the call was about: no id, an error envelope instead
// of the object, or another principal's object. The call's outcome is
// unknown; the *Error wrapping it is KindTransient, so an idempotent call is
// retried, and it is never counted as done.
var ErrIncompleteAnswer = errors.New("success status without the object")

// checkAssignmentAnswer checks that the answer to PUT roleAssignments/name
// for principal is that assignment: the SDK accepts any 200/201 and decodes
// an error envelope (or nothing) as an assignment with every field empty,
// which the executor would record as created with an empty id. raw is the
// captured response (nil when the pipeline captured none).
func checkAssignmentAnswer(raw *http.Response, a *RoleAssignment, name, principal string) *Error {
	status := 0
	if raw != nil {
		status = raw.StatusCode
	}
	e := &Error{StatusCode: status, Kind: KindTransient, Err: ErrIncompleteAnswer,
		Fix: "run apply again (the PUT is idempotent); if it persists, check what answers for Azure Resource Manager " +
			"between galshare and Azure (a proxy or gateway)"}
	switch {
	case a.ID == "":
		e.Message = fmt.Sprintf("answered HTTP %d without the assignment's id", status)
		if code, msg := errorEnvelope(raw); code != "" || msg != "" {
			e.Code = code
			e.Message += ", with an error instead: " + strings.TrimPrefix(code+": "+msg, ": ")
		}
	case a.PrincipalID != "" && !strings.EqualFold(a.PrincipalID, principal):
		e.Message = fmt.Sprintf("answered HTTP %d with an assignment of principal %s, not of %s as asked", status, a.PrincipalID, principal)
	case a.Name != "" && !strings.EqualFold(a.Name, name):
		e.Message = fmt.Sprintf("answered HTTP %d with assignment %s, not %s as asked", status, a.Name, name)
	default:
		return nil
	}
	e.Message = shorten(e.Message)
	return e
}

// errorEnvelope reads ARM's {"error":{"code","message"}} from a captured
// answer ("" when there is none).
func errorEnvelope(raw *http.Response) (code, message string) {
	if raw == nil {
		return "", ""
	}
	body, err := runtime.Payload(raw)
	if err != nil {
		return "", ""
	}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", ""
	}
	return env.Error.Code, env.Error.Message
}
