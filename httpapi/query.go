package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// maxQueryValueLen bounds each query parameter and path value (cursors can be long).
const maxQueryValueLen = 4096

// queryParams are a request's validated query parameters.
type queryParams url.Values

// parseQuery parses r's query string strictly: it must be well formed, name
// only the allowed parameters, give each at most once unless it is in
// repeatable, and hold only printable UTF-8. Silently ignoring a misspelt
// filter would return more than the caller asked for.
func parseQuery(r *http.Request, allowed []string, repeatable ...string) (queryParams, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, warden.Errorf(warden.EINVALID, "malformed query string")
	}
	for name, vs := range values {
		if !slices.Contains(allowed, name) {
			return nil, warden.FieldErrorf(clip(name), "unknown query parameter %q; allowed: %s", clip(name), strings.Join(allowed, ", "))
		}
		if len(vs) > 1 && !slices.Contains(repeatable, name) {
			return nil, warden.FieldErrorf(name, "query parameter %s is given more than once", name)
		}
		for _, v := range vs {
			if err := checkParam(name, v); err != nil {
				return nil, err
			}
		}
	}
	return queryParams(values), nil
}

// checkParam rejects a query or path value that is too long, not UTF-8 or
// holds control characters: no store should see such text.
func checkParam(name, v string) error {
	if len(v) > maxQueryValueLen {
		return warden.FieldErrorf(name, "%s is longer than %d bytes", name, maxQueryValueLen)
	}
	if !utf8.ValidString(v) {
		return warden.FieldErrorf(name, "%s is not valid UTF-8", name)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return warden.FieldErrorf(name, "%s contains a control character", name)
		}
	}
	return nil
}

// pathValue returns the named path wildcard after checkParam.
func pathValue(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if v == "" {
		return "", warden.FieldErrorf(name, "%s is required", name)
	}
	return v, checkParam(name, v)
}

func (q queryParams) get(name string) string { return url.Values(q).Get(name) }

// limit parses the page size; 0 when absent. Range checks belong to the
// filters' Validate.
func (q queryParams) limit() (int, error) {
	v := q.get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, warden.FieldErrorf("limit", "limit must be a whole number between 1 and %d", warden.MaxPageSize)
	}
	return n, nil
}

// newestFirst parses the order of a time-ordered listing: "oldest" (the
// default) or "newest".
func (q queryParams) newestFirst() (bool, error) {
	switch q.get("order") {
	case "", "oldest":
		return false, nil
	case "newest":
		return true, nil
	}
	return false, warden.FieldErrorf("order", "order must be oldest or newest")
}

// boolean parses "true" or "false"; nil when absent.
func (q queryParams) boolean(name string) (*bool, error) {
	switch q.get(name) {
	case "":
		return nil, nil
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	default:
		return nil, warden.FieldErrorf(name, "%s must be true or false", name)
	}
}

// labels parses repeated label=key=value (or label=key, meaning the key is
// present with any value) into a filter map.
func (q queryParams) labels(name string) (map[string]string, error) {
	vs := url.Values(q)[name]
	if len(vs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(vs))
	for _, v := range vs {
		key, value, _ := strings.Cut(v, "=")
		if key == "" {
			return nil, warden.FieldErrorf(name, "%s must be key=value or key, got %q", name, clip(v))
		}
		if old, dup := out[key]; dup && old != value {
			return nil, warden.FieldErrorf(name, "%s names key %q twice with different values", name, clip(key))
		}
		out[key] = value
	}
	return out, nil
}

// identityParam resolves the identity query parameter of a list, an
// identity id or external id narrowed by the optional provider, to the
// identity's id: "" when the list is not filtered by identity. An unknown
// identity is a 400 naming the parameter, not a 404 of the list.
func (s *Server) identityParam(r *http.Request, q queryParams) (string, error) {
	ref, provider := q.get("identity"), warden.Provider(q.get("provider"))
	if ref == "" {
		if provider != "" {
			return "", warden.FieldErrorf("provider", "provider narrows identity; give identity too")
		}
		return "", nil
	}
	if provider != "" && !provider.Valid() {
		return "", warden.FieldErrorf("provider", "provider %q is not a valid provider name", clip(string(provider)))
	}
	identity, err := s.identities.FindIdentityByRef(r.Context(), ref, provider)
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return "", warden.FieldErrorf("identity", "identity %q not found", clip(ref))
	} else if err != nil {
		return "", err
	}
	return identity.ID, nil
}
