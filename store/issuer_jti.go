package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// The replay cache of one-time token ids (used_jtis). A row lives until
// its token expires; an id whose row has expired may be recorded again
// (the token itself is refused by its exp by then), so the table needs no
// sweep on the request path: SweepUsedJTIs removes expired rows in the
// background.

// execer is what *sql.DB and *sql.Tx share for statements.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// useJTI records (issuer, jti) on ex, or refuses it with ECONFLICT when a
// live record exists. One statement: an insert that takes over the row
// only when the old one has expired.
func (db *DB) useJTI(ctx context.Context, ex execer, issuer, jti string, expiresAt time.Time) error {
	if jti == "" || len(jti) > 256 || len(issuer) > 2048 {
		return warden.Errorf(warden.EUNAUTHORIZED, "the token id (jti) is missing or too long")
	}
	res, err := ex.ExecContext(ctx, db.q("INSERT INTO used_jtis (issuer, jti, expires_at) VALUES (?, ?, ?) "+
		"ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at < ?"),
		issuer, jti, micro(expiresAt), micro(db.now()))
	if err != nil {
		return fmt.Errorf("record used token id: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record used token id: %w", err)
	} else if n != 1 {
		return warden.Errorf(warden.ECONFLICT, "token id %q was already used (replay)", issuerClip(jti))
	}
	return nil
}

// UseJTI records a one-time token id; a second use before it expires is
// ECONFLICT.
func (db *DB) UseJTI(ctx context.Context, issuer, jti string, expiresAt time.Time) error {
	return db.useJTI(ctx, db.db, issuer, jti, expiresAt)
}

// RecordIssuedCredentialUsingJTI records an issued credential and the
// one-time token id that authenticated its request in one transaction,
// with the audit entry: one durable write per token request instead of
// two. A jti already used is ECONFLICT and nothing is recorded, so the
// credential must not be handed out.
func (db *DB) RecordIssuedCredentialUsingJTI(ctx context.Context, c *warden.IssuedCredential, issuer, jti string, jtiExpiresAt time.Time) error {
	if err := checkIssued(c); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.useJTI(ctx, tx, issuer, jti, jtiExpiresAt); err != nil {
			return err
		}
		return db.recordIssued(ctx, tx, c)
	})
}

// SweepUsedJTIs deletes the records of token ids that have expired and
// returns how many it deleted.
func (db *DB) SweepUsedJTIs(ctx context.Context) (int64, error) {
	res, err := db.db.ExecContext(ctx, db.q("DELETE FROM used_jtis WHERE expires_at < ?"), micro(db.now()))
	if err != nil {
		return 0, fmt.Errorf("sweep used token ids: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sweep used token ids: %w", err)
	}
	return n, nil
}
