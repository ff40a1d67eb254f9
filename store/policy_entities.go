package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/warden-nhi/warden"
)

var _ warden.EntityStore = (*DB)(nil)

// PutPolicyEntities creates or replaces user policy entities in one
// transaction, auditing each with its previous state.
func (db *DB) PutPolicyEntities(ctx context.Context, entities []*warden.PolicyEntity) error {
	if len(entities) == 0 {
		return warden.FieldErrorf("entities", "at least one entity is required")
	}
	now := db.now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		entries := make([]auditEntry, 0, len(entities))
		for _, e := range entities {
			if e.Parents == nil {
				e.Parents = []warden.EntityRef{}
			}
			if len(e.Attrs) == 0 {
				e.Attrs = json.RawMessage("{}")
			}
			e.UpdatedAt = now
			before, err := findPolicyEntity(ctx, tx, db, warden.EntityRef{Type: e.Type, ID: e.ID})
			if err != nil && warden.ErrorCode(err) != warden.ENOTFOUND {
				return err
			}
			parents, _ := json.Marshal(e.Parents)
			if before != nil {
				_, err = tx.ExecContext(ctx, db.q("UPDATE policy_entities SET parents = ?, attrs = ?, updated_at = ? WHERE type = ? AND id = ?"),
					string(parents), string(e.Attrs), micro(now), e.Type, e.ID)
			} else {
				_, err = tx.ExecContext(ctx, db.q("INSERT INTO policy_entities (type, id, parents, attrs, updated_at) VALUES (?, ?, ?, ?, ?)"),
					e.Type, e.ID, string(parents), string(e.Attrs), micro(now))
			}
			if err != nil {
				return fmt.Errorf("put policy entity %s::%q: %w", e.Type, e.ID, db.mapError(err))
			}
			var b any
			if before != nil {
				b = before
			}
			entries = append(entries, auditEntry{action: "policy_entity.put", targetType: "policy_entity", targetID: e.Type + "::" + e.ID, before: b, after: e})
		}
		return db.appendAudit(ctx, tx, entries...)
	})
}

// DeletePolicyEntity removes a user policy entity, audited.
func (db *DB) DeletePolicyEntity(ctx context.Context, ref warden.EntityRef) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		before, err := findPolicyEntity(ctx, tx, db, ref)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM policy_entities WHERE type = ? AND id = ?"), ref.Type, ref.ID); err != nil {
			return fmt.Errorf("delete policy entity: %w", err)
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "policy_entity.delete", targetType: "policy_entity", targetID: ref.Type + "::" + ref.ID, before: before})
	})
}

const policyEntityColumns = "type, id, parents, attrs, updated_at"

func scanPolicyEntity(s interface{ Scan(...any) error }) (*warden.PolicyEntity, error) {
	var e warden.PolicyEntity
	var parents, attrs string
	var t int64
	if err := s.Scan(&e.Type, &e.ID, &parents, &attrs, &t); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(parents), &e.Parents); err != nil {
		return nil, fmt.Errorf("policy entity %s::%q: decode parents: %w", e.Type, e.ID, err)
	}
	e.Attrs = json.RawMessage(attrs)
	e.UpdatedAt = fromMicro(t)
	return &e, nil
}

func findPolicyEntity(ctx context.Context, q querier, db *DB, ref warden.EntityRef) (*warden.PolicyEntity, error) {
	e, err := scanPolicyEntity(q.QueryRowContext(ctx, db.q("SELECT "+policyEntityColumns+" FROM policy_entities WHERE type = ? AND id = ?"), ref.Type, ref.ID))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "policy entity %s::%q not found", ref.Type, ref.ID)
	} else if err != nil {
		return nil, fmt.Errorf("find policy entity: %w", err)
	}
	return e, nil
}

// FindPolicyEntities returns every stored policy entity by type and id.
func (db *DB) FindPolicyEntities(ctx context.Context) ([]*warden.PolicyEntity, error) {
	rows, err := db.db.QueryContext(ctx, "SELECT "+policyEntityColumns+" FROM policy_entities ORDER BY type, id")
	if err != nil {
		return nil, fmt.Errorf("find policy entities: %w", err)
	}
	defer rows.Close()
	out := []*warden.PolicyEntity{}
	for rows.Next() {
		e, err := scanPolicyEntity(rows)
		if err != nil {
			return nil, fmt.Errorf("find policy entities: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
