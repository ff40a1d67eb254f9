package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.IssuerStore = (*DB)(nil)

const entryColumns = "id, spiffe_id, identity_id, method, oidc_issuer, selectors, x509_ttl, jwt_ttl, audiences, scopes, created_at, updated_at, created_by"

func scanEntry(s interface{ Scan(...any) error }) (*warden.RegistrationEntry, error) {
	var e warden.RegistrationEntry
	var selectors, audiences, scopes string
	var x509TTL, jwtTTL, created, updated int64
	if err := s.Scan(&e.ID, &e.SPIFFEID, &e.IdentityID, &e.Method, &e.OIDCIssuer, &selectors, &x509TTL, &jwtTTL,
		&audiences, &scopes, &created, &updated, &e.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(selectors), &e.Selectors); err != nil {
		return nil, fmt.Errorf("entry %s: decode selectors: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(audiences), &e.Audiences); err != nil {
		return nil, fmt.Errorf("entry %s: decode audiences: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &e.Scopes); err != nil {
		return nil, fmt.Errorf("entry %s: decode scopes: %w", e.ID, err)
	}
	e.X509TTL, e.JWTTTL = warden.Duration(time.Duration(x509TTL)*time.Second), warden.Duration(time.Duration(jwtTTL)*time.Second)
	e.CreatedAt, e.UpdatedAt = fromMicro(created), fromMicro(updated)
	return &e, nil
}

func issuerJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// CreateRegistrationEntry validates and stores a registration entry.
func (db *DB) CreateRegistrationEntry(ctx context.Context, e *warden.RegistrationEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := findIdentityByID(ctx, tx, db, e.IdentityID); err != nil {
			if warden.ErrorCode(err) == warden.ENOTFOUND {
				return warden.FieldErrorf("identity_id", "identity %q not found", e.IdentityID)
			}
			return err
		}
		entry, err := db.createEntryTx(ctx, tx, e)
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, entry)
	})
}

// createEntryTx inserts a validated entry for an existing identity in tx,
// setting its ID, times and creator, and returns its audit entry.
func (db *DB) createEntryTx(ctx context.Context, tx *sql.Tx, e *warden.RegistrationEntry) (auditEntry, error) {
	e.ID = newID()
	e.CreatedAt = db.now()
	e.UpdatedAt = e.CreatedAt
	e.CreatedBy = warden.ActorFromContext(ctx).String()
	_, err := tx.ExecContext(ctx, db.q("INSERT INTO registration_entries ("+entryColumns+") VALUES ("+placeholders(13)+")"),
		e.ID, e.SPIFFEID, e.IdentityID, e.Method, e.OIDCIssuer, issuerJSON(e.Selectors),
		int64(time.Duration(e.X509TTL)/time.Second), int64(time.Duration(e.JWTTTL)/time.Second),
		issuerJSON(e.Audiences), issuerJSON(e.Scopes), micro(e.CreatedAt), micro(e.UpdatedAt), e.CreatedBy)
	if err != nil {
		return auditEntry{}, fmt.Errorf("create registration entry: %w", db.mapError(err))
	}
	return auditEntry{action: "issuer.entry.create", targetType: "registration_entry", targetID: e.ID, after: e}, nil
}

// FindRegistrationEntryByID returns the entry with the id.
func (db *DB) FindRegistrationEntryByID(ctx context.Context, id string) (*warden.RegistrationEntry, error) {
	return findEntry(ctx, db.db, db, id)
}

func findEntry(ctx context.Context, q querier, db *DB, id string) (*warden.RegistrationEntry, error) {
	e, err := scanEntry(q.QueryRowContext(ctx, db.q("SELECT "+entryColumns+" FROM registration_entries WHERE id = ?"), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "registration entry %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("find registration entry %s: %w", id, err)
	}
	return e, nil
}

// FindRegistrationEntries lists entries, oldest first.
func (db *DB) FindRegistrationEntries(ctx context.Context, method, oidcIssuer string) ([]*warden.RegistrationEntry, error) {
	var where []string
	var args []any
	if method != "" {
		where, args = append(where, "method = ?"), append(args, method)
	}
	if oidcIssuer != "" {
		where, args = append(where, "oidc_issuer = ?"), append(args, oidcIssuer)
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT "+entryColumns+" FROM registration_entries"+whereClause(where)+" ORDER BY created_at, id"), args...)
	if err != nil {
		return nil, fmt.Errorf("find registration entries: %w", err)
	}
	defer rows.Close()
	out := []*warden.RegistrationEntry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("find registration entries: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeleteRegistrationEntry deletes the entry and its join tokens and revokes
// every live credential issued under it, in one transaction.
func (db *DB) DeleteRegistrationEntry(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		before, err := findEntry(ctx, tx, db, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM join_tokens WHERE entry_id = ?"), id); err != nil {
			return fmt.Errorf("delete registration entry %s: join tokens: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM registration_entries WHERE id = ?"), id); err != nil {
			return fmt.Errorf("delete registration entry %s: %w", id, err)
		}
		n, err := db.revokeWhere(ctx, tx, "entry_id = ?", id, "registration entry deleted")
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "issuer.entry.delete", targetType: "registration_entry", targetID: id,
			before: before, after: map[string]any{"revoked_credentials": n}})
	})
}
