package issuer

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/warden-nhi/warden"
)

// MaxTokenBytes bounds any JWT warden parses; larger tokens are refused
// before any decoding.
const MaxTokenBytes = 8 << 10

// clockSkew is the leeway on exp, nbf and iat.
const clockSkew = 30 * time.Second

// Claims are the registered and warden claims of a JWT.
type Claims struct {
	Issuer     string           `json:"iss"`
	Subject    string           `json:"sub"`
	Audience   jwt.Audience     `json:"aud,omitempty"`
	Expiry     *jwt.NumericDate `json:"exp,omitempty"`
	NotBefore  *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt   *jwt.NumericDate `json:"iat,omitempty"`
	ID         string           `json:"jti,omitempty"`
	Scope      string           `json:"scope,omitempty"`
	ClientID   string           `json:"client_id,omitempty"`
	IdentityID string           `json:"identity_id,omitempty"`
	Act        *Actor           `json:"act,omitempty"`
}

// Actor is the RFC 8693 "act" claim: the current actor, and nested in it
// the actor before it.
type Actor struct {
	Subject string `json:"sub"`
	Act     *Actor `json:"act,omitempty"`
}

// chain lists the actors, current first.
func (a *Actor) chain() []string {
	var out []string
	for ; a != nil; a = a.Act {
		out = append(out, a.Subject)
	}
	return out
}

// depth counts the actors.
func (a *Actor) depth() int { return len(a.chain()) }

// verifyKey is a public key a verifier trusts, with its one algorithm.
type verifyKey struct {
	key crypto.PublicKey
	alg jose.SignatureAlgorithm
}

// verifyOptions say what a verifier expects of a token.
type verifyOptions struct {
	algorithms []jose.SignatureAlgorithm
	lookup     func(kid string) (verifyKey, bool)
	issuer     string // required iss; "" accepts any (the caller checks it)
	audience   string // must be in aud when non-empty
	types      []string
	now        time.Time
	requireJTI bool
	// keyFromCert: the key comes from the token's certificate (x5c), so
	// no kid is needed.
	keyFromCert bool
	// maxLifetime, when set, bounds exp-now (short-lived assertions).
	maxLifetime time.Duration
}

// unauthorized is the error of every refused token: the reason is safe to
// show, it names no key material.
func unauthorized(format string, args ...any) error {
	return warden.Errorf(warden.EUNAUTHORIZED, "token refused: "+format, args...)
}

// tokenHeader is the JOSE header fields the verifier inspects itself.
type tokenHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
	X5C  []string        `json:"x5c"`
}

// parseHeader decodes the protected header of a compact JWS without
// trusting it.
func parseHeader(raw string) (*tokenHeader, error) {
	if len(raw) > MaxTokenBytes {
		return nil, unauthorized("token is larger than %d bytes", MaxTokenBytes)
	}
	if strings.Count(raw, ".") != 2 {
		return nil, unauthorized("not a compact JWS (three dot-separated parts)")
	}
	h, _, _ := strings.Cut(raw, ".")
	data, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, unauthorized("header is not base64url")
	}
	var hdr tokenHeader
	if err := json.Unmarshal(data, &hdr); err != nil {
		return nil, unauthorized("header is not a JSON object")
	}
	if hdr.Crit != nil {
		return nil, unauthorized("critical header extensions (crit) are not supported")
	}
	return &hdr, nil
}

// verifyJWT checks a compact JWS token strictly: size, algorithm allow-list
// (never none or HMAC), a kid naming a trusted key whose pinned algorithm
// matches the header, no crit, the signature, then exp (required), nbf,
// iat, iss, aud and jti. It returns the claims and every claim as a map.
func verifyJWT(raw string, o verifyOptions) (*Claims, map[string]any, error) {
	hdr, err := parseHeader(raw)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(o.algorithms, jose.SignatureAlgorithm(hdr.Alg)) {
		return nil, nil, unauthorized("algorithm %q is not accepted", clip(hdr.Alg))
	}
	if len(o.types) > 0 && !slices.Contains(o.types, hdr.Typ) {
		return nil, nil, unauthorized("token type %q is not accepted here", clip(hdr.Typ))
	}
	if hdr.Kid == "" && !o.keyFromCert {
		return nil, nil, unauthorized("header has no key id (kid)")
	}
	key, ok := o.lookup(hdr.Kid)
	if !ok {
		return nil, nil, unauthorized("key id %q is not a trusted key", clip(hdr.Kid))
	}
	if key.alg != jose.SignatureAlgorithm(hdr.Alg) {
		return nil, nil, unauthorized("algorithm %q does not match the key's algorithm %s", clip(hdr.Alg), key.alg)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{key.alg})
	if err != nil {
		return nil, nil, unauthorized("malformed token")
	}
	var c Claims
	var all map[string]any
	if err := tok.Claims(key.key, &c, &all); err != nil {
		return nil, nil, unauthorized("signature does not verify or claims are malformed")
	}
	if err := checkTimes(&c, o); err != nil {
		return nil, nil, err
	}
	if o.issuer != "" && c.Issuer != o.issuer {
		return nil, nil, unauthorized("issuer %q is not %q", clip(c.Issuer), o.issuer)
	}
	if o.audience != "" && !slices.Contains([]string(c.Audience), o.audience) {
		return nil, nil, unauthorized("audience does not include %q", o.audience)
	}
	if o.requireJTI && c.ID == "" {
		return nil, nil, unauthorized("token has no jti")
	}
	return &c, all, nil
}

func checkTimes(c *Claims, o verifyOptions) error {
	now := o.now
	if c.Expiry == nil {
		return unauthorized("token has no expiry (exp)")
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(clockSkew)) {
		return unauthorized("token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if c.NotBefore != nil && now.Add(clockSkew).Before(c.NotBefore.Time()) {
		return unauthorized("token is not valid before %s", c.NotBefore.Time().UTC().Format(time.RFC3339))
	}
	if c.IssuedAt != nil && now.Add(clockSkew).Before(c.IssuedAt.Time()) {
		return unauthorized("token was issued in the future")
	}
	if o.maxLifetime > 0 && exp.Sub(now) > o.maxLifetime+clockSkew {
		return unauthorized("token lives longer than %s", o.maxLifetime)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 48 {
		return s[:48] + "…"
	}
	return s
}

// unsafeIssuer reads iss without verifying anything, only to pick the
// verifier; every claim is checked again after the signature.
func unsafeIssuer(raw string) (string, error) {
	if _, err := parseHeader(raw); err != nil {
		return "", err
	}
	parts := strings.Split(raw, ".")
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", unauthorized("payload is not base64url")
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return "", unauthorized("payload is not a JSON object")
	}
	return c.Iss, nil
}

// errorf wraps a non-token failure.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
