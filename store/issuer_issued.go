package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

const issuedColumns = "id, kind, identity_id, entry_id, spiffe_id, attestation, audience, scope, actors, issued_at, expires_at, revoked_at, revoke_reason"

func scanIssued(s interface{ Scan(...any) error }) (*warden.IssuedCredential, error) {
	var c warden.IssuedCredential
	var aud, scope, actors string
	var issued, expires int64
	var revoked sql.NullInt64
	if err := s.Scan(&c.ID, &c.Kind, &c.IdentityID, &c.EntryID, &c.SPIFFEID, &c.Attestation, &aud, &scope, &actors,
		&issued, &expires, &revoked, &c.RevokeNote); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		dst *[]string
	}{{aud, &c.Audience}, {scope, &c.Scope}, {actors, &c.Actors}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("issued credential %s: %w", c.ID, err)
		}
	}
	c.IssuedAt, c.ExpiresAt, c.RevokedAt = fromMicro(issued), fromMicro(expires), fromNullMicro(revoked)
	return &c, nil
}

func issuedList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RecordIssuedCredential stores the record of a minted credential together
// with its audit record.
func (db *DB) RecordIssuedCredential(ctx context.Context, c *warden.IssuedCredential) error {
	if err := checkIssued(c); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return db.recordIssued(ctx, tx, c) })
}

// checkIssued checks and normalises a record before it is stored.
func checkIssued(c *warden.IssuedCredential) error {
	if c.ID == "" || c.IdentityID == "" || c.SPIFFEID == "" {
		return fmt.Errorf("record issued credential: id, identity and SPIFFE ID are required")
	}
	c.Audience, c.Scope, c.Actors = issuedList(c.Audience), issuedList(c.Scope), issuedList(c.Actors)
	c.IssuedAt, c.ExpiresAt = c.IssuedAt.UTC().Truncate(time.Microsecond), c.ExpiresAt.UTC().Truncate(time.Microsecond)
	return nil
}

// recordIssued inserts a checked record and its audit entry in tx.
func (db *DB) recordIssued(ctx context.Context, tx *sql.Tx, c *warden.IssuedCredential) error {
	_, err := tx.ExecContext(ctx, db.q("INSERT INTO issued_credentials ("+issuedColumns+") VALUES ("+placeholders(13)+")"),
		c.ID, c.Kind, c.IdentityID, c.EntryID, c.SPIFFEID, c.Attestation, issuerJSON(c.Audience), issuerJSON(c.Scope), issuerJSON(c.Actors),
		micro(c.IssuedAt), micro(c.ExpiresAt), microPtr(c.RevokedAt), c.RevokeNote)
	if err != nil {
		return fmt.Errorf("record issued credential: %w", db.mapError(err))
	}
	return db.appendAudit(ctx, tx, auditEntry{action: "issuer.credential.issue", targetType: "issued_credential", targetID: c.ID, after: c})
}

// FindIssuedCredential returns the record with the id.
func (db *DB) FindIssuedCredential(ctx context.Context, id string) (*warden.IssuedCredential, error) {
	c, err := scanIssued(db.db.QueryRowContext(ctx, db.q("SELECT "+issuedColumns+" FROM issued_credentials WHERE id = ?"), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "issued credential %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("find issued credential %s: %w", id, err)
	}
	return c, nil
}

// FindIssuedCredentials returns a page of records, newest first.
func (db *DB) FindIssuedCredentials(ctx context.Context, f warden.IssuedCredentialFilter) ([]*warden.IssuedCredential, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "-issued_at")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.EntryID != "" {
		c.add("entry_id = ?", f.EntryID)
	}
	if f.Kind != "" {
		c.add("kind = ?", f.Kind)
	}
	return timePage[warden.IssuedCredential]{
		what: "find issued credentials", from: "issued_credentials", columns: issuedColumns, timeCol: "issued_at", desc: true, sort: "-issued_at",
		scan: scanIssued, keyOf: func(c *warden.IssuedCredential) (int64, string) { return micro(c.IssuedAt), c.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// RevokeIssued revokes one credential, every credential of an identity or
// of a registration entry, with one audit record.
func (db *DB) RevokeIssued(ctx context.Context, r warden.Revocation) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var cond, target, targetType string
		switch {
		case r.CredentialID != "":
			cond, target, targetType = "id = ?", r.CredentialID, "issued_credential"
			var exists int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM issued_credentials WHERE id = ?"), target).Scan(&exists); err != nil {
				return fmt.Errorf("revoke: %w", err)
			}
			if exists == 0 {
				return warden.Errorf(warden.ENOTFOUND, "issued credential %q not found", target)
			}
		case r.IdentityID != "":
			cond, target, targetType = "identity_id = ?", r.IdentityID, "identity"
		default:
			cond, target, targetType = "entry_id = ?", r.EntryID, "registration_entry"
		}
		var err error
		if n, err = db.revokeWhere(ctx, tx, cond, target, r.Reason); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "issuer.credential.revoke", targetType: targetType, targetID: target,
			after: map[string]any{"revoked": n, "reason": r.Reason}})
	})
	return n, err
}

// revokeWhere marks live records matching cond (one '?' bound to arg) revoked.
func (db *DB) revokeWhere(ctx context.Context, tx *sql.Tx, cond string, arg any, reason string) (int, error) {
	res, err := tx.ExecContext(ctx, db.q("UPDATE issued_credentials SET revoked_at = ?, revoke_reason = ? WHERE "+cond+" AND revoked_at IS NULL"),
		micro(db.now()), reason, arg)
	if err != nil {
		return 0, fmt.Errorf("revoke issued credentials: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke issued credentials: %w", err)
	}
	return int(n), nil
}

// IsRevoked reports whether the credential with the id is revoked.
func (db *DB) IsRevoked(ctx context.Context, id string) (bool, error) {
	var revoked sql.NullInt64
	err := db.db.QueryRowContext(ctx, db.q("SELECT revoked_at FROM issued_credentials WHERE id = ?"), id).Scan(&revoked)
	if isNoRows(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("check revocation of %s: %w", id, err)
	}
	return revoked.Valid, nil
}

// RevokedSerials lists revoked X.509-SVIDs that have not expired.
func (db *DB) RevokedSerials(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, db.q("SELECT id FROM issued_credentials WHERE kind = ? AND expires_at > ? AND revoked_at IS NOT NULL ORDER BY id"),
		warden.IssuedX509SVID, micro(db.now()))
	if err != nil {
		return nil, fmt.Errorf("revoked serials: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("revoked serials: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
