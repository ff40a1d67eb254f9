package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// sessionSecretPrefix starts every console session secret, so that a
// scanner or a person recognises one in a log or a paste.
const sessionSecretPrefix = "wds_"

// sessionSeenGranularity bounds how often authentication writes
// last_seen_at: a page with many requests costs one write a minute.
const sessionSeenGranularity = time.Minute

var _ warden.SessionService = (*DB)(nil)

// CreateSession opens a console session for the live token whose secret
// this is. Expired sessions are pruned on the way.
func (db *DB) CreateSession(ctx context.Context, tokenSecret string) (*warden.Session, string, error) {
	tok, err := db.AuthenticateToken(ctx, tokenSecret)
	if err != nil {
		return nil, "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	secret := sessionSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := db.now()
	s := &warden.Session{
		ID: newID(), TokenID: tok.ID, TokenName: tok.Name, Role: tok.Role,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(warden.SessionMaxAge),
	}
	ctx = warden.NewContextWithActor(ctx, s.Actor())
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?"),
			micro(now), micro(now.Add(-warden.SessionIdleTimeout))); err != nil {
			return fmt.Errorf("prune sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO console_sessions (id, secret_hash, token_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
			s.ID, hashSecret(secret), s.TokenID, micro(s.CreatedAt), micro(s.LastSeenAt), micro(s.ExpiresAt)); err != nil {
			return fmt.Errorf("create session: %w", db.mapError(err))
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "session.create", targetType: "session", targetID: s.ID, after: s})
	})
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

// AuthenticateSession returns the live session whose secret this is.
func (db *DB) AuthenticateSession(ctx context.Context, secret string) (*warden.Session, error) {
	if len(secret) < len(sessionSecretPrefix)+16 || len(secret) > 128 || secret[:len(sessionSecretPrefix)] != sessionSecretPrefix {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the session is not valid; sign in again")
	}
	var s warden.Session
	var created, seen, expires int64
	var revoked sql.NullInt64
	err := db.db.QueryRowContext(ctx, db.q(`SELECT s.id, s.token_id, t.name, t.role, t.revoked_at, s.created_at, s.last_seen_at, s.expires_at
		FROM console_sessions s JOIN api_tokens t ON t.id = s.token_id WHERE s.secret_hash = ?`), hashSecret(secret)).
		Scan(&s.ID, &s.TokenID, &s.TokenName, &s.Role, &revoked, &created, &seen, &expires)
	if isNoRows(err) {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the session is not valid; sign in again")
	} else if err != nil {
		return nil, fmt.Errorf("authenticate session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
	now := db.now()
	switch {
	case revoked.Valid:
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the API token of this session was revoked; sign in with a live token")
	case !now.Before(s.ExpiresAt), now.Sub(s.LastSeenAt) >= warden.SessionIdleTimeout:
		// Best effort: the row is pruned at the next sign-in anyway.
		_, _ = db.db.ExecContext(ctx, db.q("DELETE FROM console_sessions WHERE id = ?"), s.ID)
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the session has expired; sign in again")
	}
	if now.Sub(s.LastSeenAt) >= sessionSeenGranularity {
		if _, err := db.db.ExecContext(ctx, db.q("UPDATE console_sessions SET last_seen_at = ? WHERE id = ?"), micro(now), s.ID); err == nil {
			s.LastSeenAt = now
		}
	}
	return &s, nil
}

// DeleteSession ends the session whose secret this is.
func (db *DB) DeleteSession(ctx context.Context, secret string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var id, tokenID string
		err := tx.QueryRowContext(ctx, db.q("SELECT id, token_id FROM console_sessions WHERE secret_hash = ?"), hashSecret(secret)).Scan(&id, &tokenID)
		if isNoRows(err) {
			return nil
		} else if err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM console_sessions WHERE id = ?"), id); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "session.delete", targetType: "session", targetID: id,
			before: map[string]string{"id": id, "token_id": tokenID}})
	})
}
