package warden

import (
	"context"
	"time"
)

// Console sessions: the web console exchanges an API token for a session
// cookie so that the token itself never sits in the browser. A session
// acts with the role of the token it was opened with, and ends when it
// expires, when it is closed (logout) or when that token is revoked.

// Session lifetimes.
const (
	// SessionIdleTimeout ends a session nobody has used for this long.
	SessionIdleTimeout = 30 * time.Minute
	// SessionMaxAge ends every session this long after sign-in, used or not.
	SessionMaxAge = 8 * time.Hour
)

// Session is one signed-in console session.
type Session struct {
	ID         string    `json:"id"` // public id, for audit records; never the cookie value
	TokenID    string    `json:"token_id"`
	TokenName  string    `json:"token_name"`
	Role       Role      `json:"role"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute end: CreatedAt + SessionMaxAge
}

// Actor is who a session's requests act as: its token, so that audit
// records name the token whatever interface it used.
func (s *Session) Actor() Actor {
	return Actor{Type: "token", ID: s.TokenID, Name: s.TokenName, Role: s.Role}
}

// SessionService stores console sessions. Session secrets are stored only
// as hashes.
type SessionService interface {
	// CreateSession opens a session for the live API token whose secret
	// this is and returns it with the session secret (the cookie value),
	// shown once. EUNAUTHORIZED for an invalid or revoked token. Audited.
	CreateSession(ctx context.Context, tokenSecret string) (*Session, string, error)
	// AuthenticateSession returns the live session whose secret this is and
	// marks it used. EUNAUTHORIZED when the secret is unknown, the session
	// has expired (idle or absolute) or its token was revoked.
	AuthenticateSession(ctx context.Context, secret string) (*Session, error)
	// DeleteSession ends the session whose secret this is (logout); ending
	// an unknown session is not an error. Audited when a session ended.
	DeleteSession(ctx context.Context, secret string) error
}

// InventoryCounts is the shape of the inventory at a glance: how many
// identities of each kind, provider and status, and how many nobody owns
// or has onboarded. Deprovisioned identities count only in ByStatus.
type InventoryCounts struct {
	Total        int            `json:"total"` // not deprovisioned
	ByKind       map[string]int `json:"by_kind"`
	ByProvider   map[string]int `json:"by_provider"`
	ByStatus     map[string]int `json:"by_status"` // every status, deprovisioned included
	Unowned      int            `json:"unowned"`
	NotOnboarded int            `json:"not_onboarded"`
}

// InventoryCounter counts the inventory in one pass.
type InventoryCounter interface {
	CountInventory(ctx context.Context) (*InventoryCounts, error)
}
