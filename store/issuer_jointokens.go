package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// JoinTokenPrefix starts every join token secret.
const JoinTokenPrefix = "wjt_"

// Bounds of a join token's lifetime.
const (
	MinJoinTokenTTL = time.Minute
	MaxJoinTokenTTL = 7 * 24 * time.Hour
)

// CreateJoinToken makes a one-time join token for a join_token entry.
func (db *DB) CreateJoinToken(ctx context.Context, entryID string, ttl time.Duration) (*warden.JoinToken, string, error) {
	if ttl < MinJoinTokenTTL || ttl > MaxJoinTokenTTL {
		return nil, "", warden.FieldErrorf("ttl", "ttl must be between %s and %s", MinJoinTokenTTL, MaxJoinTokenTTL)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", fmt.Errorf("create join token: %w", err)
	}
	secret := JoinTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	var out *warden.JoinToken
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e, err := findEntry(ctx, tx, db, entryID)
		if err != nil {
			return err
		}
		if e.Method != warden.AttestJoinToken {
			return warden.Errorf(warden.ECONFLICT, "entry %s attests by %s, not by join token", e.ID, e.Method)
		}
		now := db.now()
		out = &warden.JoinToken{ID: newID(), EntryID: entryID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO join_tokens (id, entry_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
			out.ID, out.EntryID, hashSecret(secret), micro(out.CreatedAt), micro(out.ExpiresAt)); err != nil {
			return fmt.Errorf("create join token: %w", db.mapError(err))
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "issuer.join_token.create", targetType: "join_token", targetID: out.ID, after: out})
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// ConsumeJoinToken marks the token used. The UPDATE's condition on
// used_at makes a concurrent second use lose: exactly one caller wins.
func (db *DB) ConsumeJoinToken(ctx context.Context, secret string) (*warden.JoinToken, error) {
	if !strings.HasPrefix(secret, JoinTokenPrefix) || len(secret) > 128 {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the join token is malformed")
	}
	var out *warden.JoinToken
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var t warden.JoinToken
		var created, expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, db.q("SELECT id, entry_id, created_at, expires_at, used_at FROM join_tokens WHERE secret_hash = ?"), hashSecret(secret)).
			Scan(&t.ID, &t.EntryID, &created, &expires, &used)
		if isNoRows(err) {
			return warden.Errorf(warden.EUNAUTHORIZED, "the join token is not valid")
		} else if err != nil {
			return fmt.Errorf("consume join token: %w", err)
		}
		t.CreatedAt, t.ExpiresAt = fromMicro(created), fromMicro(expires)
		now := db.now()
		if used.Valid {
			return warden.Errorf(warden.EUNAUTHORIZED, "the join token was already used")
		}
		if !now.Before(t.ExpiresAt) {
			return warden.Errorf(warden.EUNAUTHORIZED, "the join token expired")
		}
		// An identity that is not active gets nothing, and its token stays
		// unused so that it still works once the identity is released.
		var status string
		if err := tx.QueryRowContext(ctx, db.q("SELECT i.status FROM registration_entries e JOIN identities i ON i.id = e.identity_id WHERE e.id = ?"), t.EntryID).
			Scan(&status); err != nil && !isNoRows(err) {
			return fmt.Errorf("consume join token: %w", err)
		} else if err == nil && status != string(warden.StatusActive) {
			return warden.Errorf(warden.EFORBIDDEN, "the join token's identity is %s: no credentials are issued to it; the token stays unused", status)
		}
		res, err := tx.ExecContext(ctx, db.q("UPDATE join_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL"), micro(now), t.ID)
		if err != nil {
			return fmt.Errorf("consume join token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return warden.Errorf(warden.EUNAUTHORIZED, "the join token was already used")
		}
		t.UsedAt = &now
		out = &t
		return db.appendAudit(ctx, tx, auditEntry{action: "issuer.join_token.use", targetType: "join_token", targetID: t.ID, after: &t})
	})
	return out, err
}

func issuerClip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
