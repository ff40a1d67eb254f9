package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

const credentialColumns = "id, identity_id, type, public_id, fingerprint, description, status, created_at, updated_at, expires_at, last_rotated_at, last_used_at"

func scanCredential(s interface{ Scan(...any) error }) (*warden.Credential, error) {
	var c warden.Credential
	var created, updated int64
	var expires, rotated, used sql.NullInt64
	if err := s.Scan(&c.ID, &c.IdentityID, &c.Type, &c.PublicID, &c.Fingerprint, &c.Description, &c.Status,
		&created, &updated, &expires, &rotated, &used); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
	c.ExpiresAt, c.LastRotatedAt, c.LastUsedAt = fromNullMicro(expires), fromNullMicro(rotated), fromNullMicro(used)
	return &c, nil
}

func credentialRow(c *warden.Credential) []any {
	return []any{c.ID, c.IdentityID, string(c.Type), c.PublicID, c.Fingerprint, c.Description, string(c.Status),
		micro(c.CreatedAt), micro(c.UpdatedAt), microPtr(c.ExpiresAt), microPtr(c.LastRotatedAt), microPtr(c.LastUsedAt)}
}

var credentialInsertColumns = splitColumns(credentialColumns)

// FindCredentialByID returns the credential with the id.
func (db *DB) FindCredentialByID(ctx context.Context, id string) (*warden.Credential, error) {
	return findCredentialByID(ctx, db.db, db, id)
}

func findCredentialByID(ctx context.Context, q querier, db *DB, id string) (*warden.Credential, error) {
	c, err := scanCredential(q.QueryRowContext(ctx, db.q("SELECT "+credentialColumns+" FROM credentials WHERE id = ?"), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "credential %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("find credential %s: %w", id, err)
	}
	return c, nil
}

// FindCredentials returns a page of credentials in creation order.
func (db *DB) FindCredentials(ctx context.Context, f warden.CredentialFilter) ([]*warden.Credential, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Type != "" {
		c.add("type = ?", string(f.Type))
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	if f.PublicID != "" {
		c.add("public_id = ?", f.PublicID)
	}
	if f.Fingerprint != "" {
		c.add("fingerprint = ?", f.Fingerprint)
	}
	return timePage[warden.Credential]{
		what: "find credentials", from: "credentials", columns: credentialColumns, timeCol: "created_at",
		scan: scanCredential, keyOf: func(c *warden.Credential) (int64, string) { return micro(c.CreatedAt), c.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// CreateCredential records a credential for an existing identity.
func (db *DB) CreateCredential(ctx context.Context, c *warden.Credential) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.IdentityID == "" {
		return warden.FieldErrorf("identity_id", "identity_id is required")
	}
	now := db.now()
	c.ID = newID()
	c.CreatedAt, c.UpdatedAt = now, now
	c.ExpiresAt, c.LastRotatedAt, c.LastUsedAt = truncPtr(c.ExpiresAt), truncPtr(c.LastRotatedAt), truncPtr(c.LastUsedAt)
	return db.tx(ctx, func(tx *sql.Tx) error {
		owner, err := findIdentityByID(ctx, tx, db, c.IdentityID)
		if err != nil {
			return err
		}
		if owner.Status == warden.StatusDeprovisioned {
			return warden.Errorf(warden.ECONFLICT, "identity %s is deprovisioned: it can get no new credentials", owner.ID)
		}
		if err := db.checkCredentialUnique(ctx, tx, c); err != nil {
			return err
		}
		if err := db.insertRows(ctx, tx, "credentials", credentialInsertColumns, 1, func(int) []any { return credentialRow(c) }); err != nil {
			return fmt.Errorf("create credential: %w", err)
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "credential.create", targetType: "credential", targetID: c.ID, after: c})
	})
}

// checkCredentialUnique gives a clear conflict before the unique indexes
// would reject the row.
func (db *DB) checkCredentialUnique(ctx context.Context, tx *sql.Tx, c *warden.Credential) error {
	var other string
	if c.PublicID != "" {
		err := tx.QueryRowContext(ctx, db.q("SELECT id FROM credentials WHERE type = ? AND public_id = ? AND id <> ?"), string(c.Type), c.PublicID, c.ID).Scan(&other)
		if err == nil {
			return warden.Errorf(warden.ECONFLICT, "credential %s already has type %s and public id %q", other, c.Type, c.PublicID)
		} else if !isNoRows(err) {
			return fmt.Errorf("check credential: %w", err)
		}
	}
	if c.Fingerprint != "" {
		err := tx.QueryRowContext(ctx, db.q("SELECT id FROM credentials WHERE fingerprint = ? AND id <> ?"), c.Fingerprint, c.ID).Scan(&other)
		if err == nil {
			return warden.Errorf(warden.ECONFLICT, "credential %s already has this fingerprint", other)
		} else if !isNoRows(err) {
			return fmt.Errorf("check credential: %w", err)
		}
	}
	return nil
}

// UpdateCredential changes a credential's metadata; a new fingerprint
// records a rotation.
func (db *DB) UpdateCredential(ctx context.Context, id string, upd warden.CredentialUpdate) (*warden.Credential, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	if upd.Empty() {
		return nil, warden.Errorf(warden.EINVALID, "the update changes no field")
	}
	var out *warden.Credential
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, err := findCredentialByID(ctx, tx, db, id)
		if err != nil {
			return err
		}
		after := *before
		now := db.now()
		if upd.Status != nil {
			after.Status = *upd.Status
		}
		if upd.Description != nil {
			after.Description = *upd.Description
		}
		if upd.Fingerprint != nil && *upd.Fingerprint != before.Fingerprint {
			after.Fingerprint = *upd.Fingerprint
			after.LastRotatedAt = &now
		}
		if upd.ExpiresAt != nil {
			after.ExpiresAt = truncPtr(upd.ExpiresAt)
		}
		if upd.LastRotatedAt != nil {
			after.LastRotatedAt = truncPtr(upd.LastRotatedAt)
		}
		if upd.LastUsedAt != nil {
			after.LastUsedAt = truncPtr(upd.LastUsedAt)
		}
		if credentialEqual(before, &after) {
			out = before
			return nil
		}
		if err := db.checkCredentialUnique(ctx, tx, &after); err != nil {
			return err
		}
		after.UpdatedAt = now
		if err := db.writeCredential(ctx, tx, &after); err != nil {
			return fmt.Errorf("update credential %s: %w", id, err)
		}
		out = &after
		return db.appendAudit(ctx, tx, auditEntry{action: "credential.update", targetType: "credential", targetID: id, before: before, after: &after})
	})
	return out, err
}

func (db *DB) writeCredential(ctx context.Context, tx *sql.Tx, c *warden.Credential) error {
	_, err := tx.ExecContext(ctx, db.q(`UPDATE credentials SET status = ?, description = ?, fingerprint = ?, updated_at = ?,
		expires_at = ?, last_rotated_at = ?, last_used_at = ? WHERE id = ?`),
		string(c.Status), c.Description, c.Fingerprint, micro(c.UpdatedAt), microPtr(c.ExpiresAt), microPtr(c.LastRotatedAt), microPtr(c.LastUsedAt), c.ID)
	return db.mapError(err)
}

// revokeCredentialsOf marks the identity's active credentials revoked and
// returns the audit entries for the caller to append.
func (db *DB) revokeCredentialsOf(ctx context.Context, tx *sql.Tx, identityID string, now time.Time) ([]auditEntry, error) {
	rows, err := tx.QueryContext(ctx, db.q("SELECT "+credentialColumns+" FROM credentials WHERE identity_id = ? AND status = ? ORDER BY created_at, id"), identityID, string(warden.CredentialActive))
	if err != nil {
		return nil, fmt.Errorf("revoke credentials of %s: %w", identityID, err)
	}
	var active []*warden.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("revoke credentials of %s: %w", identityID, err)
		}
		active = append(active, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revoke credentials of %s: %w", identityID, err)
	}
	entries := make([]auditEntry, 0, len(active))
	for _, before := range active {
		after := *before
		after.Status, after.UpdatedAt = warden.CredentialRevoked, now
		if err := db.writeCredential(ctx, tx, &after); err != nil {
			return nil, fmt.Errorf("revoke credential %s: %w", before.ID, err)
		}
		entries = append(entries, auditEntry{action: "credential.revoke", targetType: "credential", targetID: before.ID, before: before, after: &after})
	}
	return entries, nil
}

func credentialEqual(a, b *warden.Credential) bool {
	return a.Status == b.Status && a.Description == b.Description && a.Fingerprint == b.Fingerprint &&
		timeEqual(a.ExpiresAt, b.ExpiresAt) && timeEqual(a.LastRotatedAt, b.LastRotatedAt) && timeEqual(a.LastUsedAt, b.LastUsedAt)
}

func timeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
