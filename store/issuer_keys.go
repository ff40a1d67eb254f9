package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/warden-nhi/warden"
)

const issuerKeyColumns = "id, purpose, algorithm, state, public_key, certificate, private_sealed, created_at, not_after, activated_at, retired_at"

func scanIssuerKey(s interface{ Scan(...any) error }) (*warden.IssuerKey, error) {
	var k warden.IssuerKey
	var created int64
	var notAfter, activated, retired sql.NullInt64
	if err := s.Scan(&k.ID, &k.Purpose, &k.Algorithm, &k.State, &k.PublicKey, &k.Certificate, &k.PrivateSealed,
		&created, &notAfter, &activated, &retired); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicro(created)
	k.NotAfter, k.ActivatedAt, k.RetiredAt = fromNullMicro(notAfter), fromNullMicro(activated), fromNullMicro(retired)
	return &k, nil
}

// IssuerKeys returns the non-retired keys of a purpose, oldest first.
func (db *DB) IssuerKeys(ctx context.Context, purpose string) ([]*warden.IssuerKey, error) {
	return issuerKeys(ctx, db.db, db, purpose)
}

func issuerKeys(ctx context.Context, q querier, db *DB, purpose string) ([]*warden.IssuerKey, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT "+issuerKeyColumns+" FROM issuer_keys WHERE purpose = ? AND state <> ? ORDER BY created_at, id"),
		purpose, warden.KeyRetired)
	if err != nil {
		return nil, fmt.Errorf("issuer keys: %w", err)
	}
	defer rows.Close()
	var out []*warden.IssuerKey
	for rows.Next() {
		k, err := scanIssuerKey(rows)
		if err != nil {
			return nil, fmt.Errorf("issuer keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RotateIssuerKeys shifts the key states of a purpose by one step and adds
// the given keys, in one transaction with one audit record. The private
// part of the key that retires is erased. Audit records carry public
// material only (IssuerKey's private field is never marshalled).
func (db *DB) RotateIssuerKeys(ctx context.Context, purpose string, add ...*warden.IssuerKey) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		// The writers' lock also serialises rotations of replicas.
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := issuerKeys(ctx, tx, db, purpose)
		if err != nil {
			return err
		}
		now := micro(db.now())
		if len(before) > 0 {
			steps := []struct{ from, to, extra string }{
				{warden.KeyPrevious, warden.KeyRetired, ", private_sealed = ?, retired_at = ?"},
				{warden.KeyCurrent, warden.KeyPrevious, ""},
				{warden.KeyNext, warden.KeyCurrent, ", activated_at = ?"},
			}
			for _, st := range steps {
				args := []any{st.to}
				switch st.to {
				case warden.KeyRetired:
					args = append(args, []byte{}, now)
				case warden.KeyCurrent:
					args = append(args, now)
				}
				args = append(args, purpose, st.from)
				if _, err := tx.ExecContext(ctx, db.q("UPDATE issuer_keys SET state = ?"+st.extra+" WHERE purpose = ? AND state = ?"), args...); err != nil {
					return fmt.Errorf("rotate %s keys: %w", purpose, err)
				}
			}
		}
		for _, k := range add {
			if k.Purpose != purpose || len(k.PrivateSealed) == 0 {
				return fmt.Errorf("rotate %s keys: key %s has purpose %q or no sealed private key", purpose, k.ID, k.Purpose)
			}
			k.CreatedAt = db.now()
			if k.State == warden.KeyCurrent {
				k.ActivatedAt = &k.CreatedAt
			}
			_, err := tx.ExecContext(ctx, db.q("INSERT INTO issuer_keys ("+issuerKeyColumns+") VALUES ("+placeholders(11)+")"),
				k.ID, k.Purpose, k.Algorithm, k.State, k.PublicKey, k.Certificate, k.PrivateSealed,
				micro(k.CreatedAt), microPtr(k.NotAfter), microPtr(k.ActivatedAt), microPtr(k.RetiredAt))
			if err != nil {
				return fmt.Errorf("rotate %s keys: add %s: %w", purpose, k.ID, db.mapError(err))
			}
		}
		after, err := issuerKeys(ctx, tx, db, purpose)
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "issuer.keys.rotate", targetType: "issuer_keys", targetID: purpose, before: before, after: after})
	})
}
