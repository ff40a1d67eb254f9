package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.OwnerSuggestionStore = (*DB)(nil)

// Owner suggestions are stored whole as JSON (doc), with the identity,
// the owner key and the status beside it as columns; (identity_id,
// owner_key) is unique, so each owner is suggested once per identity and
// a decision on it is remembered.

const ownerSuggestionColumns = "doc"

var scanOwnerSuggestion = scanDoc[warden.OwnerSuggestion]("owner suggestion")

func ownerSuggestionDoc(o *warden.OwnerSuggestion) (string, error) {
	if o.Evidence == nil {
		o.Evidence = []warden.OwnerEvidence{}
	}
	doc, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("encode owner suggestion %s: %w", o.ID, err)
	}
	return string(doc), nil
}

// SaveOwnerSuggestions implements warden.OwnerSuggestionStore. The
// writers' lock is taken before reading the identity's suggestions, so
// two suggest runs at once cannot both create the same owner.
func (db *DB) SaveOwnerSuggestions(ctx context.Context, identityID string, suggestions []*warden.OwnerSuggestion) (warden.OwnerSuggestionSaveResult, error) {
	var res warden.OwnerSuggestionSaveResult
	for _, s := range suggestions {
		s.IdentityID, s.Status = identityID, warden.OwnerSuggestionPending
		if err := s.Validate(); err != nil {
			return res, err
		}
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		if _, err := findIdentityByID(ctx, tx, db, identityID); err != nil {
			return err
		}
		existing, err := db.ownerSuggestionsOf(ctx, tx, identityID)
		if err != nil {
			return err
		}
		var audit []auditEntry
		for _, s := range suggestions {
			key := warden.OwnerKey(s.Owner)
			old, ok := existing[key]
			switch {
			case !ok:
				s.ID, s.CreatedAt, s.UpdatedAt = newID(), now, now
				doc, err := ownerSuggestionDoc(s)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO owner_suggestions (id, identity_id, owner_key, status, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)`),
					s.ID, identityID, key, string(s.Status), micro(now), doc); err != nil {
					return fmt.Errorf("create owner suggestion: %w", db.mapError(err))
				}
				existing[key] = s
				res.Created++
				audit = append(audit, auditEntry{action: "owner.suggest", targetType: "owner_suggestion", targetID: s.ID, after: s})
			case old.Status == warden.OwnerSuggestionRejected || old.Status == warden.OwnerSuggestionAccepted:
				*s = *old
				res.Skipped++
			case old.Status == warden.OwnerSuggestionPending && old.Confidence == s.Confidence && reflect.DeepEqual(old.Evidence, normaliseEvidence(s.Evidence)):
				*s = *old
				res.Unchanged++
			default:
				before := *old
				after := *old
				after.Confidence, after.Evidence, after.Status, after.UpdatedAt = s.Confidence, s.Evidence, warden.OwnerSuggestionPending, now
				after.DecidedBy, after.DecidedAt, after.Reason = "", nil, ""
				if err := db.writeOwnerSuggestion(ctx, tx, &after); err != nil {
					return err
				}
				*s = after
				existing[key] = s
				res.Updated++
				audit = append(audit, auditEntry{action: "owner.suggest", targetType: "owner_suggestion", targetID: s.ID, before: &before, after: &after})
			}
		}
		return db.appendAudit(ctx, tx, audit...)
	})
	if err != nil {
		return warden.OwnerSuggestionSaveResult{}, err
	}
	return res, nil
}

// normaliseEvidence gives evidence the form it has after a JSON round
// trip, for comparing with a stored suggestion.
func normaliseEvidence(ev []warden.OwnerEvidence) []warden.OwnerEvidence {
	b, err := json.Marshal(ev)
	if err != nil {
		return ev
	}
	var out []warden.OwnerEvidence
	if json.Unmarshal(b, &out) != nil {
		return ev
	}
	return out
}

// ownerSuggestionsOf returns an identity's suggestions by owner key.
func (db *DB) ownerSuggestionsOf(ctx context.Context, q querier, identityID string) (map[string]*warden.OwnerSuggestion, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT "+ownerSuggestionColumns+" FROM owner_suggestions WHERE identity_id = ?"), identityID)
	if err != nil {
		return nil, fmt.Errorf("find owner suggestions of %s: %w", identityID, err)
	}
	defer rows.Close()
	out := map[string]*warden.OwnerSuggestion{}
	for rows.Next() {
		o, err := scanOwnerSuggestion(rows)
		if err != nil {
			return nil, fmt.Errorf("find owner suggestions of %s: %w", identityID, err)
		}
		out[warden.OwnerKey(o.Owner)] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find owner suggestions of %s: %w", identityID, err)
	}
	return out, nil
}

func (db *DB) writeOwnerSuggestion(ctx context.Context, tx *sql.Tx, o *warden.OwnerSuggestion) error {
	doc, err := ownerSuggestionDoc(o)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.q(`UPDATE owner_suggestions SET status = ?, doc = ? WHERE id = ?`), string(o.Status), doc, o.ID); err != nil {
		return fmt.Errorf("update owner suggestion %s: %w", o.ID, err)
	}
	return nil
}

// FindOwnerSuggestion implements warden.OwnerSuggestionStore.
func (db *DB) FindOwnerSuggestion(ctx context.Context, id string) (*warden.OwnerSuggestion, error) {
	return findOwnerSuggestion(ctx, db.db, db, id, false)
}

func findOwnerSuggestion(ctx context.Context, q querier, db *DB, id string, forUpdate bool) (*warden.OwnerSuggestion, error) {
	query := "SELECT " + ownerSuggestionColumns + " FROM owner_suggestions WHERE id = ?"
	if forUpdate && db.dialect.name() == "postgres" {
		query += " FOR UPDATE"
	}
	o, err := scanOwnerSuggestion(q.QueryRowContext(ctx, db.q(query), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "owner suggestion %q not found", clipID(id))
	} else if err != nil {
		return nil, fmt.Errorf("find owner suggestion: %w", err)
	}
	return o, nil
}

// FindOwnerSuggestions implements warden.OwnerSuggestionStore: newest first.
func (db *DB) FindOwnerSuggestions(ctx context.Context, f warden.OwnerSuggestionFilter) ([]*warden.OwnerSuggestion, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "owner_suggestions")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	return timePage[warden.OwnerSuggestion]{
		what: "find owner suggestions", from: "owner_suggestions", columns: ownerSuggestionColumns, timeCol: "created_at", desc: true, sort: "owner_suggestions",
		scan: scanOwnerSuggestion, keyOf: func(o *warden.OwnerSuggestion) (int64, string) { return micro(o.CreatedAt), o.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// DecideOwnerSuggestion implements warden.OwnerSuggestionStore. The
// decision, and for an acceptance the identity's new owner and the
// superseding of its other pending suggestions, are one transaction with
// their audit records: of two acceptances racing for one identity, the
// one that loses changes nothing.
func (db *DB) DecideOwnerSuggestion(ctx context.Context, id string, status warden.OwnerSuggestionStatus, reason string) (*warden.OwnerSuggestion, error) {
	if status != warden.OwnerSuggestionAccepted && status != warden.OwnerSuggestionRejected {
		return nil, warden.FieldErrorf("status", "a suggestion is decided accepted or rejected, not %q", status)
	}
	if len(reason) > warden.MaxTextLen {
		return nil, warden.FieldErrorf("reason", "reason is longer than %d bytes", warden.MaxTextLen)
	}
	action := "owner.accept"
	if status == warden.OwnerSuggestionRejected {
		action = "owner.reject"
	}
	now := db.now().UTC().Truncate(time.Microsecond)
	actor := warden.ActorFromContext(ctx).String()
	var out *warden.OwnerSuggestion
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findOwnerSuggestion(ctx, tx, db, id, true)
		if err != nil {
			return err
		}
		if before.Status != warden.OwnerSuggestionPending {
			return warden.Errorf(warden.ECONFLICT, "owner suggestion %s is %s, not pending", id, before.Status)
		}
		after := *before
		after.Status, after.DecidedBy, after.DecidedAt, after.Reason, after.UpdatedAt = status, actor, &now, reason, now
		if err := db.writeOwnerSuggestion(ctx, tx, &after); err != nil {
			return err
		}
		audit := []auditEntry{{action: action, targetType: "owner_suggestion", targetID: id, before: before, after: &after}}
		if status == warden.OwnerSuggestionAccepted {
			owner := before.Owner
			upd := warden.IdentityUpdate{Owner: &owner}
			if err := upd.Validate(); err != nil {
				return err
			}
			if _, err := db.updateIdentity(ctx, tx, before.IdentityID, upd); err != nil {
				return fmt.Errorf("set the owner of %s: %w", before.IdentityID, err)
			}
			others, err := db.ownerSuggestionsOf(ctx, tx, before.IdentityID)
			if err != nil {
				return err
			}
			for _, o := range others {
				if o.ID == id || o.Status != warden.OwnerSuggestionPending {
					continue
				}
				prev := *o
				o.Status, o.DecidedBy, o.DecidedAt, o.Reason, o.UpdatedAt = warden.OwnerSuggestionSuperseded, actor, &now, "owner "+after.Owner+" accepted", now
				if err := db.writeOwnerSuggestion(ctx, tx, o); err != nil {
					return err
				}
				audit = append(audit, auditEntry{action: "owner.supersede", targetType: "owner_suggestion", targetID: o.ID, before: &prev, after: o})
			}
		}
		out = &after
		return db.appendAudit(ctx, tx, audit...)
	})
	return out, err
}
