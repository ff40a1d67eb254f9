package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/warden-nhi/warden"
)

// Codes used only by the HTTP layer. They travel in a *warden.Error like the
// domain codes so that ErrorStatus stays the one place that picks a status.
const (
	codeMethodNotAllowed     = "method_not_allowed"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeUnavailable          = "unavailable"
)

// ProblemTypeBase prefixes the code in a problem's type URI.
const ProblemTypeBase = "https://warden.dev/problems/"

// Problem is an RFC 9457 problem document, the body of every error response.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
}

// ErrorStatus maps an error code to its HTTP status. It is the only place
// that does so; unknown codes are internal errors.
func ErrorStatus(code string) int {
	switch code {
	case warden.EINVALID:
		return http.StatusBadRequest
	case warden.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case warden.EFORBIDDEN:
		return http.StatusForbidden
	case warden.ENOTFOUND:
		return http.StatusNotFound
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case warden.ECONFLICT:
		return http.StatusConflict
	case warden.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case codeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case codeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error writes err as a problem document. Internal errors (anything that is
// not a *warden.Error, or one with code EINTERNAL) are logged with the
// request's method and route and answered with a generic message, so their
// text never reaches the caller.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := warden.ErrorCode(err)
	status := ErrorStatus(code)
	if status == http.StatusInternalServerError {
		code = warden.EINTERNAL
		s.logger.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method),
			slog.String("route", r.Pattern),
			slog.String("error", err.Error()))
	}
	p := Problem{
		Type:   ProblemTypeBase + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: warden.ErrorMessage(err),
		Code:   code,
		Field:  warden.ErrorField(err),
	}
	if code == warden.EINTERNAL {
		p.Detail, p.Field = "Internal error.", ""
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON writes v as a JSON response with the status. v is encoded
// before anything is sent so that an encoding failure is a clean 500.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.Error(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
