package warden

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Attestation methods a registration entry accepts.
const (
	// AttestJoinToken: a one-time join token created for the entry.
	AttestJoinToken = "join_token"
	// AttestOIDC: a JWT from an external OIDC issuer (GitHub Actions, a
	// Kubernetes projected service-account token, ...) whose claims match
	// the entry's selectors.
	AttestOIDC = "oidc"
)

// Kinds of credential warden issues.
const (
	IssuedX509SVID    = "x509_svid"
	IssuedJWTSVID     = "jwt_svid"
	IssuedAccessToken = "access_token"
)

// Limits on registration entries.
const (
	MaxEntrySelectors = 32
	MaxEntryListItems = 64
	MaxCredentialTTL  = 24 * time.Hour
	MinCredentialTTL  = time.Minute
)

// RegistrationEntry says which attested facts make a workload which SPIFFE
// ID and warden identity, and what it may then obtain.
type RegistrationEntry struct {
	ID         string `json:"id"`
	SPIFFEID   string `json:"spiffe_id"`   // spiffe://<trust domain>/<path>
	IdentityID string `json:"identity_id"` // the inventory identity credentials are issued to
	Method     string `json:"method"`      // AttestJoinToken or AttestOIDC
	// OIDCIssuer is the external issuer URL whose tokens attest this entry
	// (Method AttestOIDC); it must be one warden is configured to trust.
	OIDCIssuer string `json:"oidc_issuer,omitempty"`
	// Selectors are bound claims: every key must be a claim of the external
	// token with exactly this string value (e.g. repository, ref, sub).
	Selectors map[string]string `json:"selectors"`
	X509TTL   Duration          `json:"x509_ttl"` // 0: the issuer's default (1 h)
	JWTTTL    Duration          `json:"jwt_ttl"`  // 0: the issuer's default (5 min)
	Audiences []string          `json:"audiences"`
	Scopes    []string          `json:"scopes"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	CreatedBy string            `json:"created_by"`
}

// Duration is a time.Duration that is written in JSON as a Go duration
// string ("1h", "5m0s") and read from one or from a number of seconds.
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads "90s"-style strings or whole seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		v, err := time.ParseDuration(strings.Trim(s, `"`))
		if err != nil {
			return FieldErrorf("", "duration %s is not valid, e.g. \"5m\" or \"1h\"", clipText(s, 32))
		}
		*d = Duration(v)
		return nil
	}
	var secs int64
	for i, c := range s {
		if c < '0' || c > '9' || i > 9 {
			return FieldErrorf("", "duration %s is not valid, e.g. \"5m\" or \"1h\"", clipText(s, 32))
		}
		secs = secs*10 + int64(c-'0')
	}
	*d = Duration(time.Duration(secs) * time.Second)
	return nil
}

// Validate checks an entry a caller supplies and normalises it: sorted,
// de-duplicated audiences and scopes, non-nil maps and slices.
func (e *RegistrationEntry) Validate() error {
	if err := ValidateSPIFFEID(e.SPIFFEID); err != nil {
		return err
	}
	if err := checkText("identity_id", e.IdentityID, MaxNameLen, true); err != nil {
		return err
	}
	switch e.Method {
	case AttestJoinToken:
		if e.OIDCIssuer != "" || len(e.Selectors) > 0 {
			return FieldErrorf("oidc_issuer", "join_token entries take no oidc_issuer or selectors")
		}
	case AttestOIDC:
		u, err := url.Parse(e.OIDCIssuer)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || len(e.OIDCIssuer) > MaxNameLen {
			return FieldErrorf("oidc_issuer", "oidc_issuer must be the issuer's http(s) URL")
		}
		if len(e.Selectors) == 0 {
			return FieldErrorf("selectors", "oidc entries need at least one selector (bound claim), e.g. repository or sub")
		}
	default:
		return FieldErrorf("method", "method %q is not one of %s, %s", clipText(e.Method, 32), AttestJoinToken, AttestOIDC)
	}
	if len(e.Selectors) > MaxEntrySelectors {
		return FieldErrorf("selectors", "at most %d selectors are allowed", MaxEntrySelectors)
	}
	for k, v := range e.Selectors {
		if err := checkText("selectors", k, MaxLabelKeyLen, true); err != nil {
			return err
		}
		if err := checkText("selectors."+k, v, MaxNameLen, true); err != nil {
			return err
		}
	}
	if e.Selectors == nil {
		e.Selectors = map[string]string{}
	}
	for _, ttl := range []struct {
		field string
		d     Duration
	}{{"x509_ttl", e.X509TTL}, {"jwt_ttl", e.JWTTTL}} {
		if ttl.d != 0 && (time.Duration(ttl.d) < MinCredentialTTL || time.Duration(ttl.d) > MaxCredentialTTL) {
			return FieldErrorf(ttl.field, "%s must be between %s and %s", ttl.field, MinCredentialTTL, MaxCredentialTTL)
		}
	}
	var err error
	if e.Audiences, err = normaliseList("audiences", e.Audiences); err != nil {
		return err
	}
	if e.Scopes, err = normaliseList("scopes", e.Scopes); err != nil {
		return err
	}
	for _, s := range e.Scopes {
		if strings.ContainsAny(s, " \"\\") {
			return FieldErrorf("scopes", "scope %q contains a space, quote or backslash", clipText(s, 32))
		}
	}
	return nil
}

func normaliseList(field string, list []string) ([]string, error) {
	if len(list) > MaxEntryListItems {
		return nil, FieldErrorf(field, "at most %d %s are allowed", MaxEntryListItems, field)
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if err := checkText(field, v, MaxNameLen, true); err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ValidateSPIFFEID checks that id is spiffe://<trust domain>/<path> with a
// lower-case trust domain and a non-empty path of valid segments.
func ValidateSPIFFEID(id string) error {
	bad := func(why string) error { return FieldErrorf("spiffe_id", "spiffe_id %q %s", clipText(id, 64), why) }
	rest, ok := strings.CutPrefix(id, "spiffe://")
	if !ok {
		return bad("must start with spiffe://")
	}
	if len(id) > 2048 {
		return bad("is longer than 2048 bytes")
	}
	td, path, ok := strings.Cut(rest, "/")
	if !ok || path == "" {
		return bad("needs a path after the trust domain")
	}
	if err := ValidateTrustDomain(td); err != nil {
		return bad("has an invalid trust domain")
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("has an empty, '.' or '..' path segment")
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return bad("has a path character outside letters, digits, '-', '_' and '.'")
			}
		}
	}
	return nil
}

// ValidateTrustDomain checks a SPIFFE trust domain name: lower-case letters,
// digits, '-', '_' and '.', at most 255 bytes.
func ValidateTrustDomain(td string) error {
	if td == "" || len(td) > 255 {
		return FieldErrorf("trust_domain", "trust domain must be 1-255 characters")
	}
	for i := 0; i < len(td); i++ {
		c := td[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return FieldErrorf("trust_domain", "trust domain %q may hold only lower-case letters, digits, '-', '_' and '.'", clipText(td, 64))
		}
	}
	return nil
}

// JoinToken is a one-time attestation secret bound to a registration entry.
// warden stores only the SHA-256 hash of its secret.
type JoinToken struct {
	ID        string     `json:"id"`
	EntryID   string     `json:"entry_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
}

// IssuedCredential records one credential warden minted. It never holds
// the credential's secret part (private key or token string).
type IssuedCredential struct {
	ID          string     `json:"id"`   // jti, or certificate serial in hex
	Kind        string     `json:"kind"` // IssuedX509SVID, IssuedJWTSVID or IssuedAccessToken
	IdentityID  string     `json:"identity_id"`
	EntryID     string     `json:"entry_id"`
	SPIFFEID    string     `json:"spiffe_id"`
	Attestation string     `json:"attestation"` // how the workload proved itself, e.g. "join_token:<id>"
	Audience    []string   `json:"audience"`
	Scope       []string   `json:"scope"`
	Actors      []string   `json:"actors"` // delegation chain, current actor first
	IssuedAt    time.Time  `json:"issued_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	RevokeNote  string     `json:"revoke_reason"`
}

// IssuedCredentialFilter selects issued credentials, newest first.
type IssuedCredentialFilter struct {
	IdentityID string
	EntryID    string
	Kind       string
	Cursor     string
	Limit      int
}

// Validate normalises the page size.
func (f *IssuedCredentialFilter) Validate() error {
	switch f.Kind {
	case "", IssuedX509SVID, IssuedJWTSVID, IssuedAccessToken:
	default:
		return FieldErrorf("kind", "kind %q is not one of %s, %s, %s", clipText(f.Kind, 32), IssuedX509SVID, IssuedJWTSVID, IssuedAccessToken)
	}
	return normaliseLimit(&f.Limit)
}

// Revocation names what to revoke: exactly one of a credential (jti or
// serial), every credential of an identity, or every credential issued
// under a registration entry.
type Revocation struct {
	CredentialID string `json:"credential_id,omitempty"`
	IdentityID   string `json:"identity_id,omitempty"`
	EntryID      string `json:"entry_id,omitempty"`
	Reason       string `json:"reason"`
}

// Validate checks that exactly one target is named.
func (r *Revocation) Validate() error {
	n := 0
	for _, v := range []string{r.CredentialID, r.IdentityID, r.EntryID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return FieldErrorf("credential_id", "name exactly one of credential_id, identity_id or entry_id")
	}
	return checkText("reason", r.Reason, MaxTextLen, false)
}

// IssuerKey is a signing key of warden's issuer: a JWT key or an X.509 CA.
// The private key is sealed (AES-256-GCM under the key-encryption key)
// before it reaches the store; PrivateSealed is empty once retired.
type IssuerKey struct {
	ID            string     `json:"id"`      // kid, or the CA's subject key id in hex
	Purpose       string     `json:"purpose"` // KeyPurposeJWT or KeyPurposeX509
	Algorithm     string     `json:"algorithm"`
	State         string     `json:"state"`       // KeyNext, KeyCurrent, KeyPrevious or KeyRetired
	PublicKey     string     `json:"public_key"`  // PEM
	Certificate   string     `json:"certificate"` // PEM chain, CA keys only
	PrivateSealed []byte     `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
	NotAfter      *time.Time `json:"not_after"`
	ActivatedAt   *time.Time `json:"activated_at"`
	RetiredAt     *time.Time `json:"retired_at"`
}

// Key purposes and states of IssuerKey.
const (
	KeyPurposeJWT  = "jwt"
	KeyPurposeX509 = "x509"

	KeyNext     = "next"     // published, not yet signing
	KeyCurrent  = "current"  // signing
	KeyPrevious = "previous" // published so that what it signed still verifies
	KeyRetired  = "retired"  // neither; private key erased
)

// IssuerStore persists what the issuer needs. Every change except the
// replay cache writes an audit record in the same transaction.
type IssuerStore interface {
	// CreateRegistrationEntry validates and stores an entry. ENOTFOUND if
	// the identity does not exist.
	CreateRegistrationEntry(ctx context.Context, e *RegistrationEntry) error
	// FindRegistrationEntryByID returns ENOTFOUND for an unknown id.
	FindRegistrationEntryByID(ctx context.Context, id string) (*RegistrationEntry, error)
	// FindRegistrationEntries lists entries, oldest first; method and
	// oidcIssuer narrow the list when non-empty.
	FindRegistrationEntries(ctx context.Context, method, oidcIssuer string) ([]*RegistrationEntry, error)
	// DeleteRegistrationEntry deletes the entry and its unused join tokens
	// and revokes every credential issued under it.
	DeleteRegistrationEntry(ctx context.Context, id string) error

	// CreateJoinToken makes a join token for an AttestJoinToken entry and
	// returns its secret, which is never retrievable again.
	CreateJoinToken(ctx context.Context, entryID string, ttl time.Duration) (*JoinToken, string, error)
	// ConsumeJoinToken marks the token with this secret used and returns
	// it; EUNAUTHORIZED if it is unknown, expired or already used.
	ConsumeJoinToken(ctx context.Context, secret string) (*JoinToken, error)
	// FindJoinTokens lists an entry's join tokens, newest first, at most
	// MaxPageSize (never their secrets); ENOTFOUND for an unknown entry.
	FindJoinTokens(ctx context.Context, entryID string) ([]*JoinToken, error)

	// RecordIssuedCredential stores a record of a minted credential.
	RecordIssuedCredential(ctx context.Context, c *IssuedCredential) error
	// FindIssuedCredential returns ENOTFOUND for an unknown id.
	FindIssuedCredential(ctx context.Context, id string) (*IssuedCredential, error)
	// FindIssuedCredentials returns a page of records, newest first.
	FindIssuedCredentials(ctx context.Context, f IssuedCredentialFilter) ([]*IssuedCredential, string, error)
	// RevokeIssued revokes what r names and returns how many live records
	// it revoked. ENOTFOUND for an unknown credential id.
	RevokeIssued(ctx context.Context, r Revocation) (int, error)
	// IsRevoked reports whether the credential is revoked; unknown ids are
	// not revoked.
	IsRevoked(ctx context.Context, id string) (bool, error)
	// RevokedSerials lists the ids of revoked X.509-SVIDs not yet expired.
	RevokedSerials(ctx context.Context) ([]string, error)

	// UseJTI records a one-time token id until expiresAt; ECONFLICT if it
	// was recorded before (a replay). Not audited: it is a replay cache.
	UseJTI(ctx context.Context, issuer, jti string, expiresAt time.Time) error

	// IssuerKeys returns the keys of a purpose, retired ones excluded.
	IssuerKeys(ctx context.Context, purpose string) ([]*IssuerKey, error)
	// RotateIssuerKeys, in one transaction: retires the previous key
	// (erasing its private part), makes current previous and next current,
	// and stores add as the new next key. With no keys yet, add... are
	// stored with the states they carry (initialisation).
	RotateIssuerKeys(ctx context.Context, purpose string, add ...*IssuerKey) error
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
