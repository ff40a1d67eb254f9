package warden

import (
	"errors"
	"fmt"
)

// Error codes. They are stable: clients match on them and the HTTP layer maps
// each to exactly one status code (see httpapi). Any error that is not a
// *Error is treated as EINTERNAL and its text is never shown to a caller.
const (
	EINVALID      = "invalid"      // the request is malformed or a field is out of range
	ENOTFOUND     = "not_found"    // the named object does not exist
	ECONFLICT     = "conflict"     // the change clashes with existing state (duplicate, wrong state)
	EUNAUTHORIZED = "unauthorized" // no credential, or the credential is not valid
	EFORBIDDEN    = "forbidden"    // the credential's role may not do this
	ETOOLARGE     = "too_large"    // the request body or upload is over its limit
	EINTERNAL     = "internal"     // a fault inside warden; details go to the log only
)

// Error is warden's domain error: a code, a message that is safe to show to
// the caller, and the request field it concerns when there is one.
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("warden error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("warden error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error that names the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain; internal errors get a generic message so that no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the request field named by the first *Error in err's
// chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
