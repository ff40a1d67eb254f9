package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// TokenPrefix starts every API token secret, so that secret scanners and
// people recognise one.
const TokenPrefix = "wdn_"

// tokenLastUsedGranularity bounds how often authentication writes
// last_used_at, so that a busy token does not turn reads into writes.
const tokenLastUsedGranularity = time.Minute

const tokenColumns = "id, name, role, prefix, created_at, created_by, last_used_at, revoked_at"

func scanToken(s interface{ Scan(...any) error }) (*warden.APIToken, error) {
	var t warden.APIToken
	var created int64
	var used, revoked sql.NullInt64
	if err := s.Scan(&t.ID, &t.Name, &t.Role, &t.Prefix, &created, &t.CreatedBy, &used, &revoked); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicro(created)
	t.LastUsedAt, t.RevokedAt = fromNullMicro(used), fromNullMicro(revoked)
	return &t, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateToken makes a new API token and returns its secret once.
func (db *DB) CreateToken(ctx context.Context, name string, role warden.Role) (*warden.APIToken, string, error) {
	var tok *warden.APIToken
	var secret string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		tok, secret, err = db.createToken(ctx, tx, name, role)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

func (db *DB) createToken(ctx context.Context, tx *sql.Tx, name string, role warden.Role) (*warden.APIToken, string, error) {
	if !role.Valid() {
		return nil, "", warden.FieldErrorf("role", "role %q is not one of admin, operator, auditor, approver", role)
	}
	if name == "" {
		name = string(role)
	}
	if len(name) > warden.MaxNameLen {
		return nil, "", warden.FieldErrorf("name", "name is longer than %d bytes", warden.MaxNameLen)
	}
	secret := newSecret()
	tok := &warden.APIToken{
		ID: newID(), Name: name, Role: role, Prefix: secret[:len(TokenPrefix)+6],
		CreatedAt: db.now(), CreatedBy: warden.ActorFromContext(ctx).String(),
	}
	_, err := tx.ExecContext(ctx, db.q("INSERT INTO api_tokens (id, name, role, prefix, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		tok.ID, tok.Name, string(tok.Role), tok.Prefix, hashSecret(secret), micro(tok.CreatedAt), tok.CreatedBy)
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", db.mapError(err))
	}
	if err := db.appendAudit(ctx, tx, auditEntry{action: "token.create", targetType: "token", targetID: tok.ID, after: tok}); err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// BootstrapAdminToken creates an admin token when the database has no
// tokens at all, so that a fresh install can be administered. It returns
// the secret and true when it created one, and "", false otherwise.
func (db *DB) BootstrapAdminToken(ctx context.Context) (string, bool, error) {
	var secret string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM api_tokens").Scan(&n); err != nil {
			return fmt.Errorf("bootstrap admin token: %w", err)
		}
		if n > 0 {
			return nil
		}
		var err error
		_, secret, err = db.createToken(ctx, tx, "bootstrap-admin", warden.RoleAdmin)
		return err
	})
	if err != nil {
		return "", false, err
	}
	return secret, secret != "", nil
}

// AuthenticateToken returns the live token whose secret this is.
func (db *DB) AuthenticateToken(ctx context.Context, secret string) (*warden.APIToken, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the API token is malformed")
	}
	row := db.db.QueryRowContext(ctx, db.q("SELECT "+tokenColumns+" FROM api_tokens WHERE secret_hash = ?"), hashSecret(secret))
	tok, err := scanToken(row)
	if isNoRows(err) {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the API token is not valid")
	} else if err != nil {
		return nil, fmt.Errorf("authenticate token: %w", err)
	}
	if tok.RevokedAt != nil {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "the API token was revoked")
	}
	now := db.now()
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= tokenLastUsedGranularity {
		// Best effort: a failed bookkeeping write must not refuse a valid token.
		if _, err := db.db.ExecContext(ctx, db.q("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"), micro(now), tok.ID); err == nil {
			tok.LastUsedAt = &now
		}
	}
	return tok, nil
}

// FindTokens lists every token, oldest first.
func (db *DB) FindTokens(ctx context.Context) ([]*warden.APIToken, error) {
	rows, err := db.db.QueryContext(ctx, "SELECT "+tokenColumns+" FROM api_tokens ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("find tokens: %w", err)
	}
	defer rows.Close()
	var out []*warden.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("find tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes the token with the id.
func (db *DB) RevokeToken(ctx context.Context, id string) (*warden.APIToken, error) {
	var out *warden.APIToken
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, err := scanToken(tx.QueryRowContext(ctx, db.q("SELECT "+tokenColumns+" FROM api_tokens WHERE id = ?"), id))
		if isNoRows(err) {
			return warden.Errorf(warden.ENOTFOUND, "token %q not found", id)
		} else if err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		if before.RevokedAt != nil {
			out = before
			return nil
		}
		after := *before
		now := db.now()
		after.RevokedAt = &now
		if _, err := tx.ExecContext(ctx, db.q("UPDATE api_tokens SET revoked_at = ? WHERE id = ?"), micro(now), id); err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		out = &after
		return db.appendAudit(ctx, tx, auditEntry{action: "token.revoke", targetType: "token", targetID: id, before: before, after: &after})
	})
	return out, err
}
