package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// decodeOptions tune decodeBody.
type decodeOptions struct {
	// allowEmpty accepts an empty body, leaving dst at its zero value.
	allowEmpty bool
	// allowNull accepts JSON null for any field as "absent". Without it, null
	// is accepted only by fields whose type implements json.Unmarshaler
	// (optionalTime), where it has a meaning of its own.
	allowNull bool
}

// decodeRequest reads the JSON object in r's body into dst, a pointer to a
// struct, enforcing the server's body limit. See decodeBody.
func (s *Server) decodeRequest(w http.ResponseWriter, r *http.Request, dst any, opts decodeOptions) error {
	body := http.MaxBytesReader(w, r.Body, s.maxBodyBytes)
	return decodeBody(r.Header.Get("Content-Type"), body, dst, opts)
}

// decodeBody strictly decodes one JSON object into dst, a pointer to a struct
// whose fields carry json tags. Unlike encoding/json on its own it rejects:
// a content type other than application/json, bodies that are not a single
// JSON object, trailing data, keys that do not exactly (case included) name
// a field, duplicate keys and, unless allowed, null values. Every error is a
// *warden.Error (EINVALID, ETOOLARGE or 415) naming the field when there is
// one. An empty body is EINVALID unless allowed. body should be an
// http.MaxBytesReader so that oversize bodies are reported as ETOOLARGE.
func decodeBody(contentType string, body io.Reader, dst any, opts decodeOptions) error {
	data, err := io.ReadAll(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return warden.Errorf(warden.ETOOLARGE, "request body is larger than %d bytes", tooLarge.Limit)
		}
		return warden.Errorf(warden.EINVALID, "cannot read request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if opts.allowEmpty {
			return nil
		}
		return warden.Errorf(warden.EINVALID, "request body is empty; send a JSON object")
	}
	if err := checkContentType(contentType); err != nil {
		return err
	}
	return decodeObject(data, dst, opts)
}

// checkContentType accepts application/json with an optional utf-8 charset.
func checkContentType(contentType string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return warden.Errorf(codeUnsupportedMediaType, "Content-Type must be application/json")
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return warden.Errorf(codeUnsupportedMediaType, "Content-Type parameter %s=%s is not supported", clip(k), clip(v))
		}
	}
	return nil
}

// decodeObject decodes data, which must hold exactly one JSON object, into
// dst. Each member is decoded on its own so that every error can name the
// member it comes from.
func decodeObject(data []byte, dst any, opts decodeOptions) error {
	if !utf8.Valid(data) {
		return warden.Errorf(warden.EINVALID, "request body is not valid UTF-8")
	}
	v := reflect.ValueOf(dst).Elem()
	fields := jsonFields(v.Type())
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	if tok != json.Delim('{') {
		return warden.Errorf(warden.EINVALID, "request body must be a JSON object")
	}
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key, _ := tok.(string) // inside an object the decoder only yields string keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err)
		}
		index, ok := fields[key]
		if !ok {
			return unknownField(key)
		}
		if seen[key] {
			return warden.FieldErrorf(key, "field %s appears more than once", key)
		}
		seen[key] = true
		ptr := v.Field(index).Addr().Interface()
		if err := decodeField(key, raw, ptr, opts); err != nil {
			return err
		}
		if err := checkTimeRange(key, ptr); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return warden.Errorf(warden.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

// decodeField decodes one member's value into ptr.
func decodeField(key string, raw json.RawMessage, ptr any, opts decodeOptions) error {
	if u, ok := ptr.(json.Unmarshaler); ok {
		if err := u.UnmarshalJSON(raw); err != nil {
			return fieldValueError(key, raw, ptr, err)
		}
		return nil
	}
	if string(raw) == "null" {
		if opts.allowNull {
			return nil
		}
		return warden.FieldErrorf(key, "field %s cannot be null; leave it out instead", key)
	}
	// Request members are scalars, times and string maps: no nested struct
	// could hide an unknown field, so a plain Unmarshal is strict enough.
	if err := json.Unmarshal(raw, ptr); err != nil {
		return fieldValueError(key, raw, ptr, err)
	}
	return nil
}

var (
	timeType         = reflect.TypeFor[time.Time]()
	optionalTimeType = reflect.TypeFor[optionalTime]()
)

// fieldValueError turns an error decoding raw, the value of member key, into
// ptr into an EINVALID error naming the member (and the map key inside it).
func fieldValueError(key string, raw json.RawMessage, ptr any, err error) error {
	t := reflect.TypeOf(ptr)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t == optionalTimeType {
		return warden.FieldErrorf(key, "field %s must be an RFC 3339 time string such as \"2025-06-30T12:00:00Z\"", key)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := key
		if typeErr.Field != "" {
			field = key + "." + typeErr.Field
		} else if t.Kind() == reflect.Map {
			if k := firstBadMapKey(raw, t.Elem()); k != "" {
				field = key + "." + k
			}
		}
		field = clip(field)
		return warden.FieldErrorf(field, "field %s must be %s, not a JSON %s", field, jsonTypeName(typeErr.Type), typeErr.Value)
	}
	return warden.FieldErrorf(key, "field %s has an invalid value", key)
}

// firstBadMapKey returns the first key of the JSON object raw whose value
// does not decode as elem, or "".
func firstBadMapKey(raw json.RawMessage, elem reflect.Type) string {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return ""
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if json.Unmarshal(members[k], reflect.New(elem).Interface()) != nil {
			return k
		}
	}
	return ""
}

// jsonTypeName describes a Go type the way a JSON client thinks of it.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "a valid value"
	}
}

// syntaxError describes malformed JSON with the byte offset of the fault.
func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return warden.Errorf(warden.EINVALID, "malformed JSON at byte offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return warden.Errorf(warden.EINVALID, "malformed JSON: the body ends too early")
	}
	return warden.Errorf(warden.EINVALID, "malformed JSON")
}

// secretFields are keys a caller might use to send a secret value, which
// warden never accepts.
var secretFields = map[string]bool{
	"secret": true, "value": true, "password": true, "private_key": true,
	"token": true, "secret_value": true, "key": true, "client_secret": true,
}

// unknownField rejects a member no field carries.
func unknownField(key string) error {
	name := clip(key)
	if secretFields[strings.ToLower(key)] {
		return warden.FieldErrorf(name, "unknown field %q: warden never accepts secret values; send the hex SHA-256 fingerprint instead", name)
	}
	return warden.FieldErrorf(name, "unknown field %q", name)
}

// clip shortens caller-supplied text quoted in messages.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

var fieldCache sync.Map // reflect.Type -> map[string]int

// jsonFields maps the json tag names of struct type t to field indexes.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}

// Times in requests must lie in [minTime, maxTime) in UTC: later ones
// cannot be written back as RFC 3339 JSON, and earlier ones are mistakes.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkTimeRange rejects a decoded time member outside [minTime, maxTime).
func checkTimeRange(key string, ptr any) error {
	var t *time.Time
	switch p := ptr.(type) {
	case *time.Time:
		t = p
	case **time.Time:
		t = *p
	case *optionalTime:
		if p.Set && !p.Null {
			t = &p.Time
		}
	}
	if t != nil && (t.Before(minTime) || !t.Before(maxTime)) {
		return warden.FieldErrorf(key, "field %s must be a time between 1970 and 9999 (UTC)", key)
	}
	return nil
}

// optionalTime is a time member of a PATCH body that distinguishes "absent"
// (Set false), "clear it" (JSON null) and a new value.
type optionalTime struct {
	Set  bool
	Null bool
	Time time.Time
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *optionalTime) UnmarshalJSON(data []byte) error {
	t.Set = true
	if string(data) == "null" {
		t.Null = true
		return nil
	}
	if len(data) == 0 || data[0] != '"' {
		return fmt.Errorf("time is not a JSON string")
	}
	return t.Time.UnmarshalJSON(data)
}

// checkText validates free text from a request the way the domain's
// Validate methods do: bounded, UTF-8, no control characters.
func checkText(field, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return warden.FieldErrorf(field, "%s is required", field)
	}
	if len(s) > max {
		return warden.FieldErrorf(field, "%s is longer than %d bytes", field, max)
	}
	return checkParam(field, s)
}
