package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/warden-nhi/warden"
)

// problem is an RFC 9457 problem document with warden's extension members.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field"`
}

// decodeProblem turns a non-2xx response into a *warden.Error. A body that
// is not a problem document (a proxy's HTML page, say) still yields an
// error with a code derived from the status.
func decodeProblem(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxProblemBytes))
	var p problem
	isProblem := json.Unmarshal(data, &p) == nil && (p.Code != "" || p.Title != "" || p.Detail != "")

	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &warden.Error{
			Code:    warden.EINVALID,
			Message: fmt.Sprintf("the server answered %s redirecting to %q; point --server at the final address", resp.Status, resp.Header.Get("Location")),
		}
	}
	e := &warden.Error{Code: p.Code, Field: p.Field, Message: p.Detail}
	if e.Code == "" {
		e.Code = codeForStatus(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = p.Title
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
		if !isProblem && len(data) > 0 && !strings.Contains(resp.Header.Get("Content-Type"), "json") {
			e.Message = fmt.Sprintf("unexpected HTTP %d (%s) response: is --server pointing at warden?", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
	}
	return e
}

// codeForStatus is the inverse of the server's code→status mapping, used
// when a response carries no code of its own.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusMethodNotAllowed:
		return warden.EINVALID
	case http.StatusUnauthorized:
		return warden.EUNAUTHORIZED
	case http.StatusForbidden:
		return warden.EFORBIDDEN
	case http.StatusNotFound:
		return warden.ENOTFOUND
	case http.StatusConflict:
		return warden.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return warden.ETOOLARGE
	default:
		return warden.EINTERNAL
	}
}
