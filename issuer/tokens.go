package issuer

import (
	"context"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
)

// Token types of warden's JWTs (the typ header).
const (
	typJWTSVID     = "JWT"
	typAccessToken = "at+jwt"
)

// verifyOwn verifies a JWT warden signed with a published key, then checks
// that it is not revoked and that its identity is still active.
func (is *Issuer) verifyOwn(ctx context.Context, raw, audience string) (*Claims, error) {
	keys := is.keys.Load()
	claims, _, err := verifyJWT(raw, verifyOptions{
		algorithms: SigningAlgorithms,
		lookup: func(kid string) (verifyKey, bool) {
			k, ok := keys.jwtKey(kid)
			if !ok {
				return verifyKey{}, false
			}
			return verifyKey{key: k.public, alg: k.alg}, true
		},
		issuer:     is.cfg.IssuerURL,
		audience:   audience,
		types:      []string{typJWTSVID, typAccessToken},
		now:        is.now(),
		requireJTI: true,
	})
	if err != nil {
		return nil, err
	}
	revoked, err := is.store.IsRevoked(ctx, claims.ID)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, unauthorized("token was revoked")
	}
	if claims.IdentityID != "" {
		id, err := is.ids.FindIdentityByID(ctx, claims.IdentityID)
		if err != nil {
			if warden.ErrorCode(err) == warden.ENOTFOUND {
				return nil, unauthorized("token's identity no longer exists")
			}
			return nil, err
		}
		if id.Status != warden.StatusActive {
			return nil, unauthorized("token's identity is %s", id.Status)
		}
	}
	return claims, nil
}

// VerifyToken implements warden.TokenVerifier for the policy decision point
// and other consumers.
func (is *Issuer) VerifyToken(ctx context.Context, raw, audience string) (*warden.TokenClaims, error) {
	c, err := is.verifyOwn(ctx, raw, audience)
	if err != nil {
		return nil, err
	}
	return c.tokenClaims(), nil
}

func (c *Claims) tokenClaims() *warden.TokenClaims {
	out := &warden.TokenClaims{ID: c.ID, Subject: c.Subject, IdentityID: c.IdentityID, Audience: []string(c.Audience),
		Scope: strings.Fields(c.Scope), ExpiresAt: c.Expiry.Time(), Actors: c.Act.chain()}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time()
	}
	if out.Audience == nil {
		out.Audience = []string{}
	}
	if out.Scope == nil {
		out.Scope = []string{}
	}
	return out
}

// IsRevoked implements warden.RevocationChecker: by jti or serial (hex).
func (is *Issuer) IsRevoked(ctx context.Context, id string) (bool, error) {
	return is.store.IsRevoked(ctx, id)
}

// JWKS returns the published JWT keys (next, current and previous).
func (is *Issuer) JWKS() jose.JSONWebKeySet { return is.keys.Load().jwks() }
