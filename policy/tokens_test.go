package policy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/warden-nhi/warden"
)

// testIssuer mints and verifies real ES256 JWTs with go-jose, standing in
// for warden's issuer: the decision point only consumes the
// warden.TokenVerifier and warden.RevocationChecker interfaces.
type testIssuer struct {
	key    *ecdsa.PrivateKey
	signer jose.Signer
	issuer string
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return &testIssuer{key: key, signer: signer, issuer: "https://warden.test"}
}

type tokenExtra struct {
	IdentityID string `json:"identity_id"`
	Scope      string `json:"scope,omitempty"`
	Act        *struct {
		Sub string `json:"sub"`
	} `json:"act,omitempty"`
}

func (i *testIssuer) mint(t testing.TB, jti, identityID, subject string, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	raw, err := jwt.Signed(i.signer).Claims(jwt.Claims{
		ID: jti, Subject: subject, Issuer: i.issuer, Audience: jwt.Audience{"pdp"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
	}).Claims(tokenExtra{IdentityID: identityID, Scope: "read write"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// VerifyToken implements warden.TokenVerifier: ES256 only, issuer,
// audience and expiry checked.
func (i *testIssuer) VerifyToken(_ context.Context, raw, audience string) (*warden.TokenClaims, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "malformed token")
	}
	var c jwt.Claims
	var extra tokenExtra
	if err := tok.Claims(&i.key.PublicKey, &c, &extra); err != nil {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "bad signature")
	}
	exp := jwt.Expected{Issuer: i.issuer, Time: time.Now()}
	if audience != "" {
		exp.AnyAudience = jwt.Audience{audience}
	}
	if err := c.ValidateWithLeeway(exp, 0); err != nil {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "token %v", err)
	}
	out := &warden.TokenClaims{ID: c.ID, Subject: c.Subject, IdentityID: extra.IdentityID, Audience: c.Audience,
		Scope: strings.Fields(extra.Scope), IssuedAt: c.IssuedAt.Time(), ExpiresAt: c.Expiry.Time()}
	if extra.Act != nil {
		out.Actors = []string{extra.Act.Sub}
	}
	return out, nil
}

// credentialRevocations implements warden.RevocationChecker on warden's
// credential inventory: an issued token is recorded as a credential of
// type token whose public id is its jti, and revoking it sets the
// credential's status.
type credentialRevocations struct{ creds warden.CredentialService }

func (r credentialRevocations) IsRevoked(ctx context.Context, jti string) (bool, error) {
	list, _, err := r.creds.FindCredentials(ctx, warden.CredentialFilter{PublicID: jti, Type: warden.CredentialToken, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(list) == 1 && list[0].Status == warden.CredentialRevoked, nil
}
