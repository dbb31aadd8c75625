package azsim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// aadError is the token endpoint's error body.
type aadError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

// writeAADError answers like Entra's token endpoint: {"error","error_description":"AADSTSnnn: …","error_codes",…}.
func writeAADError(w http.ResponseWriter, status int, errCode string, aadsts int, msg string) {
	trace, corr := uuid.NewString(), uuid.NewString()
	now := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	writeJSON(w, status, aadError{
		Error:            errCode,
		ErrorDescription: aadstsText(aadsts, msg) + " Trace ID: " + trace + " Correlation ID: " + corr + " Timestamp: " + now,
		ErrorCodes:       []int{aadsts},
		Timestamp:        now,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         "https://login.microsoftonline.com/error?code=" + itoa(aadsts),
	})
}

func aadstsText(code int, msg string) string { return "AADSTS" + itoa(code) + ": " + msg }

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// graphErrorBody is Microsoft Graph's error envelope.
type graphErrorBody struct {
	Error graphErrorInner `json:"error"`
}

type graphErrorInner struct {
	Code       string             `json:"code"`
	Message    string             `json:"message"`
	InnerError map[string]string  `json:"innerError"`
	Details    []graphErrorDetail `json:"details,omitempty"`
}

type graphErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Target  string `json:"target"`
}

// writeGraphError answers with Graph's envelope {"error":{"code","message","innerError":{date,request-id,…}}}.
func writeGraphError(w http.ResponseWriter, r *http.Request, status int, code, msg string, details ...graphErrorDetail) {
	reqID := w.Header().Get("request-id")
	if reqID == "" {
		reqID = uuid.NewString()
		w.Header().Set("request-id", reqID)
	}
	inner := map[string]string{
		"date":       time.Now().UTC().Format("2006-01-02T15:04:05"),
		"request-id": reqID,
	}
	if c := r.Header.Get("client-request-id"); c != "" {
		inner["client-request-id"] = c
	} else {
		inner["client-request-id"] = reqID
	}
	writeJSON(w, status, graphErrorBody{Error: graphErrorInner{Code: code, Message: msg, InnerError: inner, Details: details}})
}
