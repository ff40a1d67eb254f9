package issuer

import (
	"context"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/warden-nhi/warden"
)

var _ warden.GrantTokenMinter = (*Issuer)(nil)

// MintGrantToken mints the access token of a just-in-time grant: for the
// registration entry of the token the workload authenticated with, scope
// exactly the grant's, expiring at req.ExpiresAt (never later), with the
// subject token's delegation chain kept. It is recorded like every token,
// its attestation naming the grant, so revoking the grant revokes it.
func (is *Issuer) MintGrantToken(ctx context.Context, req warden.GrantTokenRequest) (*warden.GrantToken, error) {
	if req.SubjectTokenID == "" {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "a grant token is minted for a workload that authenticated with a warden-issued token")
	}
	rec, err := is.store.FindIssuedCredential(ctx, req.SubjectTokenID)
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return nil, warden.Errorf(warden.EUNAUTHORIZED, "the caller's token has no issuance record")
		}
		return nil, err
	}
	if rec.RevokedAt != nil {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the caller's token is revoked")
	}
	c, err := is.caller(ctx, rec.EntryID, "")
	if err != nil {
		return nil, err
	}
	if err := checkAudiences(c.Entry, req.Audience); err != nil {
		return nil, err
	}
	now := is.now()
	if !req.ExpiresAt.After(now.Add(time.Second)) {
		return nil, warden.Errorf(warden.ECONFLICT, "the grant ends too soon to mint a token")
	}
	claims := is.newClaims(c, req.Audience, req.ExpiresAt.Sub(now))
	claims.Expiry = jwt.NewNumericDate(req.ExpiresAt) // whole seconds, rounded down: never after the grant
	claims.Scope, claims.ClientID = strings.Join(req.Scope, " "), c.SPIFFEID
	claims.Act = actorChain(rec.Actors)
	c.Attestation = "access_grant:" + req.GrantID
	tok, err := is.mintAndRecord(ctx, c, claims, warden.IssuedAccessToken, typAccessToken, rec.Actors)
	if err != nil {
		return nil, err
	}
	return &warden.GrantToken{AccessToken: tok.Raw, TokenType: "Bearer", ExpiresAt: tok.ExpiresAt, Scope: strings.Fields(claims.Scope), ID: claims.ID}, nil
}

// actorChain rebuilds the nested act claim from a recorded chain, the
// current actor first.
func actorChain(chain []string) *Actor {
	var act *Actor
	for i := len(chain) - 1; i >= 0; i-- {
		act = &Actor{Subject: chain[i], Act: act}
	}
	return act
}
