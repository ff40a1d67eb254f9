package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// MaxTrustConfigBytes bounds a trusted-issuers configuration file.
const MaxTrustConfigBytes = 1 << 20

// maxTrustedIssuers bounds how many issuers one configuration may trust.
const maxTrustedIssuers = 256

// trustedIssuerJSON is one element of a trusted-issuers file.
type trustedIssuerJSON struct {
	Issuer     string   `json:"issuer"`
	Audience   string   `json:"audience"`
	JWKSURL    string   `json:"jwks_url"`
	Algorithms []string `json:"algorithms"`
}

// LoadTrustedIssuers reads a trusted-issuers file (see ParseTrustedIssuers).
func LoadTrustedIssuers(path string) ([]TrustedIssuer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trusted OIDC issuers: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTrustConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("trusted OIDC issuers %s: %w", path, err)
	}
	out, err := ParseTrustedIssuers(data)
	if err != nil {
		// Plain text for the operator, the field kept for callers.
		return nil, fmt.Errorf("trusted OIDC issuers %s: %s%w", path, warden.ErrorMessage(err), fieldOnly{err})
	}
	return out, nil
}

// ParseTrustedIssuers decodes the external OIDC issuers whose tokens
// attest workloads: a JSON list of objects
//
//	[{"issuer": "https://token.actions.githubusercontent.com",
//	  "audience": "https://warden.example.org",
//	  "jwks_url": "",                 // optional: "" discovers it
//	  "algorithms": ["RS256"]}]       // optional: default RS256, PS256, ES256, ES384, EdDSA
//
// Decoding is strict: unknown fields, duplicate issuers, missing issuer or
// audience, URLs that are not https (http only for loopback hosts, for
// tests) and algorithms outside the allow-list are refused with an
// EINVALID error whose field names the element, e.g. "[1].audience".
func ParseTrustedIssuers(data []byte) ([]TrustedIssuer, error) {
	if len(data) > MaxTrustConfigBytes {
		return nil, warden.FieldErrorf("", "larger than %d bytes", MaxTrustConfigBytes)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, warden.FieldErrorf("", "not a JSON list of issuers: %v", jsonProblem(err))
	}
	if len(raw) > maxTrustedIssuers {
		return nil, warden.FieldErrorf("", "more than %d issuers", maxTrustedIssuers)
	}
	out := make([]TrustedIssuer, 0, len(raw))
	seen := map[string]int{}
	for i, r := range raw {
		field := func(name string) string { return fmt.Sprintf("[%d].%s", i, name) }
		var e trustedIssuerJSON
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, warden.FieldErrorf(fmt.Sprintf("[%d]", i), "[%d]: %v", i, jsonProblem(err))
		}
		if err := checkIssuerURL(e.Issuer, true); err != nil {
			return nil, warden.FieldErrorf(field("issuer"), "%s: %v", field("issuer"), err)
		}
		if j, dup := seen[e.Issuer]; dup {
			return nil, warden.FieldErrorf(field("issuer"), "%s: %q is already configured at [%d]", field("issuer"), e.Issuer, j)
		}
		seen[e.Issuer] = i
		if strings.TrimSpace(e.Audience) == "" {
			return nil, warden.FieldErrorf(field("audience"), "%s is required: the audience every token must name, e.g. this warden's issuer URL", field("audience"))
		}
		if e.JWKSURL != "" {
			if err := checkIssuerURL(e.JWKSURL, false); err != nil {
				return nil, warden.FieldErrorf(field("jwks_url"), "%s: %v", field("jwks_url"), err)
			}
		}
		t := TrustedIssuer{Issuer: e.Issuer, Audience: e.Audience, JWKSURL: e.JWKSURL}
		for k, a := range e.Algorithms {
			alg := jose.SignatureAlgorithm(a)
			if !slices.Contains(externalAlgorithms, alg) {
				return nil, warden.FieldErrorf(fmt.Sprintf("%s[%d]", field("algorithms"), k), "%s[%d]: %q is not one of %s",
					field("algorithms"), k, clip(a), algorithmNames(externalAlgorithms))
			}
			if !slices.Contains(t.Algorithms, alg) {
				t.Algorithms = append(t.Algorithms, alg)
			}
		}
		if e.Algorithms != nil && len(e.Algorithms) == 0 {
			return nil, warden.FieldErrorf(field("algorithms"), "%s is empty: leave it out for the default list", field("algorithms"))
		}
		out = append(out, t)
	}
	return out, nil
}

// fieldOnly wraps an error so that errors.As still finds the *warden.Error
// (code and field) while the message is printed only once.
type fieldOnly struct{ err error }

func (f fieldOnly) Error() string { return "" }
func (f fieldOnly) Unwrap() error { return f.err }

// checkIssuerURL accepts https URLs without query or fragment, and http
// URLs of loopback hosts. An issuer URL (asIssuer) has no trailing slash,
// since its tokens' iss must equal it exactly.
func checkIssuerURL(s string, asIssuer bool) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an absolute http(s) URL without credentials, query or fragment", clip(s))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("%q must use https (http only for loopback hosts)", clip(s))
		}
	default:
		return fmt.Errorf("%q must use https", clip(s))
	}
	if asIssuer && strings.HasSuffix(s, "/") && u.Path != "/" {
		return fmt.Errorf("%q must not end in a slash", clip(s))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func algorithmNames(algs []jose.SignatureAlgorithm) string {
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// jsonProblem shortens encoding/json errors and keeps them free of Go type
// names.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			want := "string"
			if typ.Type != nil && typ.Type.Kind() == reflect.Slice {
				want = "list of strings"
			}
			return fmt.Sprintf("field %q must be a %s, not %s", typ.Field, want, typ.Value)
		}
		return fmt.Sprintf("expected a JSON list of objects, found %s", typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated JSON"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
