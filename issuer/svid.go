package issuer

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/warden-nhi/warden"
)

// X509SVID is an issued X.509-SVID: the leaf and the chain to present with
// it (intermediates), and the trust bundle to verify peers with.
type X509SVID struct {
	SPIFFEID  string
	Chain     []*x509.Certificate // leaf first
	Bundle    []*x509.Certificate
	ExpiresAt time.Time
}

// ChainPEM encodes the chain as PEM.
func (s *X509SVID) ChainPEM() []byte { return certsPEM(s.Chain) }

// BundlePEM encodes the bundle as PEM.
func (s *X509SVID) BundlePEM() []byte { return certsPEM(s.Bundle) }

func certsPEM(certs []*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// ParseCSR accepts a certificate request in PEM or DER.
func ParseCSR(data []byte) ([]byte, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, warden.FieldErrorf("csr", "csr PEM block is %q, not CERTIFICATE REQUEST", clip(block.Type))
		}
		return block.Bytes, nil
	}
	return data, nil
}

// ttlFor picks the lifetime: the requested one if any, capped by the
// entry's (or the issuer's default).
func ttlFor(requested, entry, def time.Duration) time.Duration {
	limit := def
	if entry > 0 {
		limit = entry
	}
	if requested > 0 && requested < limit {
		return requested
	}
	return limit
}

// IssueX509SVID signs an X.509-SVID for the caller's SPIFFE ID from a CSR
// (PEM or DER) and records it. ttl 0 means the entry's or issuer's default.
func (is *Issuer) IssueX509SVID(ctx context.Context, c *Caller, csrData []byte, ttl time.Duration) (*X509SVID, error) {
	der, err := ParseCSR(csrData)
	if err != nil {
		return nil, err
	}
	csr, err := checkCSR(der)
	if err != nil {
		return nil, err
	}
	keys := is.keys.Load()
	now := is.now()
	leaf, err := signSVID(keys.caCurrent, c.SPIFFEID, csr.PublicKey, now, ttlFor(ttl, time.Duration(c.Entry.X509TTL), is.cfg.X509TTL))
	if err != nil {
		return nil, err
	}
	rec := &warden.IssuedCredential{ID: serialID(leaf), Kind: warden.IssuedX509SVID, IdentityID: c.Identity.ID, EntryID: c.Entry.ID,
		SPIFFEID: c.SPIFFEID, Attestation: c.Attestation, IssuedAt: now, ExpiresAt: leaf.NotAfter}
	if err := is.record(ctx, c, rec); err != nil {
		return nil, fmt.Errorf("issue X.509-SVID: %w", err)
	}
	chain := []*x509.Certificate{leaf}
	if !slices.ContainsFunc(keys.caCurrent.roots, keys.caCurrent.cert.Equal) {
		chain = append(chain, keys.caCurrent.cert)
	}
	return &X509SVID{SPIFFEID: c.SPIFFEID, Chain: chain, Bundle: keys.roots(), ExpiresAt: leaf.NotAfter}, nil
}

// Token is a minted JWT with its record.
type Token struct {
	Raw       string
	Claims    *Claims
	ExpiresAt time.Time
}

// checkAudiences refuses audiences the entry does not allow.
func checkAudiences(e *warden.RegistrationEntry, aud []string) error {
	if len(aud) == 0 {
		return warden.FieldErrorf("audience", "at least one audience is required")
	}
	if len(aud) > warden.MaxEntryListItems {
		return warden.FieldErrorf("audience", "at most %d audiences are allowed", warden.MaxEntryListItems)
	}
	for _, a := range aud {
		if !slices.Contains(e.Audiences, a) {
			return warden.FieldErrorf("audience", "audience %q is not allowed for %s", clip(a), e.SPIFFEID)
		}
	}
	return nil
}

// IssueJWTSVID mints a JWT-SVID for the caller for audiences its entry
// allows, and records it.
func (is *Issuer) IssueJWTSVID(ctx context.Context, c *Caller, audience []string, ttl time.Duration) (*Token, error) {
	if err := checkAudiences(c.Entry, audience); err != nil {
		return nil, err
	}
	claims := is.newClaims(c, audience, ttlFor(ttl, time.Duration(c.Entry.JWTTTL), is.cfg.JWTTTL))
	return is.mintAndRecord(ctx, c, claims, warden.IssuedJWTSVID, "JWT", nil)
}

// newClaims fills the registered claims of a token for the caller.
func (is *Issuer) newClaims(c *Caller, audience []string, ttl time.Duration) *Claims {
	now := is.now()
	return &Claims{
		Issuer: is.cfg.IssuerURL, Subject: c.SPIFFEID, Audience: jwt.Audience(audience),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
		ID: newJTI(), IdentityID: c.Identity.ID,
	}
}

func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// mint signs claims with the current JWT key.
func (is *Issuer) mint(claims *Claims, typ string) (string, error) {
	k := is.keys.Load().jwtCurrent
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	signer := k.jose
	if typ != "JWT" {
		if signer, err = k.joseSigner(typ); err != nil {
			return "", fmt.Errorf("mint: %w", err)
		}
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	return jws.CompactSerialize()
}

func (is *Issuer) mintAndRecord(ctx context.Context, c *Caller, claims *Claims, kind, typ string, actors []string) (*Token, error) {
	raw, err := is.mint(claims, typ)
	if err != nil {
		return nil, err
	}
	var scope []string
	if claims.Scope != "" {
		scope = strings.Fields(claims.Scope)
	}
	rec := &warden.IssuedCredential{ID: claims.ID, Kind: kind, IdentityID: c.Identity.ID, EntryID: c.Entry.ID, SPIFFEID: claims.Subject,
		Attestation: c.Attestation, Audience: []string(claims.Audience), Scope: scope, Actors: actors,
		IssuedAt: claims.IssuedAt.Time(), ExpiresAt: claims.Expiry.Time()}
	if err := is.record(ctx, c, rec); err != nil {
		return nil, fmt.Errorf("issue %s: %w", kind, err)
	}
	return &Token{Raw: raw, Claims: claims, ExpiresAt: claims.Expiry.Time()}, nil
}
