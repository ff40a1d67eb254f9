package warden

import (
	"context"
	"time"
)

// TokenClaims are the verified claims of a token warden issued (a JWT-SVID
// or an OAuth2 access token), as the policy decision point and other
// consumers see them.
type TokenClaims struct {
	ID         string    `json:"jti"`         // token id, the handle for revocation
	Subject    string    `json:"sub"`         // SPIFFE ID of the workload
	IdentityID string    `json:"identity_id"` // warden identity the token was issued to
	Audience   []string  `json:"aud"`
	Scope      []string  `json:"scope"`
	IssuedAt   time.Time `json:"iat"`
	ExpiresAt  time.Time `json:"exp"`
	// Actors is the delegation chain of an RFC 8693 exchange, the current
	// actor first: an AI agent acting for a workload acting for a person.
	Actors []string `json:"actors,omitempty"`
}

// TokenVerifier verifies tokens warden issued: signature against warden's
// current keys, algorithm, issuer, expiry, audience (when non-empty) and
// revocation. It returns EUNAUTHORIZED with the reason for any failure.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, raw string, audience string) (*TokenClaims, error)
}

// RevocationChecker reports whether an issued credential (by jti or
// certificate serial) has been revoked.
type RevocationChecker interface {
	IsRevoked(ctx context.Context, id string) (bool, error)
}
