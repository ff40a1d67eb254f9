package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

var _ warden.EnforcementStore = (*DB)(nil)

// PutEnforcementSetting implements warden.EnforcementStore.
func (db *DB) PutEnforcementSetting(ctx context.Context, s *warden.EnforcementSetting) error {
	if err := s.Validate(); err != nil {
		return err
	}
	s.UpdatedAt, s.UpdatedBy = db.now(), warden.ActorFromContext(ctx).String()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findEnforcementSetting(ctx, tx, db, s.Control, s.Scope)
		if err != nil && warden.ErrorCode(err) != warden.ENOTFOUND {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO enforcement_settings (control, scope, mode, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (control, scope) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			string(s.Control), s.Scope, string(s.Mode), micro(s.UpdatedAt), s.UpdatedBy); err != nil {
			return fmt.Errorf("put enforcement setting: %w", err)
		}
		entry := auditEntry{action: "enforcement.set", targetType: "enforcement_setting", targetID: string(s.Control) + "/" + s.Scope, after: s}
		if before != nil {
			entry.before = before
		}
		return db.appendAudit(ctx, tx, entry)
	})
}

// DeleteEnforcementSetting implements warden.EnforcementStore.
func (db *DB) DeleteEnforcementSetting(ctx context.Context, c warden.Control, scope string) error {
	scope, err := warden.ParseEnforcementScope(scope)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findEnforcementSetting(ctx, tx, db, c, scope)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM enforcement_settings WHERE control = ? AND scope = ?"), string(c), scope); err != nil {
			return fmt.Errorf("delete enforcement setting: %w", err)
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "enforcement.delete", targetType: "enforcement_setting", targetID: string(c) + "/" + scope, before: before})
	})
}

func findEnforcementSetting(ctx context.Context, q querier, db *DB, c warden.Control, scope string) (*warden.EnforcementSetting, error) {
	s, err := scanEnforcementSetting(q.QueryRowContext(ctx, db.q("SELECT control, scope, mode, updated_at, updated_by FROM enforcement_settings WHERE control = ? AND scope = ?"), string(c), scope))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "no %s setting for scope %s", c, scope)
	} else if err != nil {
		return nil, fmt.Errorf("find enforcement setting: %w", err)
	}
	return s, nil
}

func scanEnforcementSetting(s rowScanner) (*warden.EnforcementSetting, error) {
	var out warden.EnforcementSetting
	var control, mode string
	var updated int64
	if err := s.Scan(&control, &out.Scope, &mode, &updated, &out.UpdatedBy); err != nil {
		return nil, err
	}
	out.Control, out.Mode, out.UpdatedAt = warden.Control(control), warden.EnforcementMode(mode), fromMicro(updated)
	return &out, nil
}

// FindEnforcementSettings implements warden.EnforcementStore.
func (db *DB) FindEnforcementSettings(ctx context.Context) ([]*warden.EnforcementSetting, error) {
	rows, err := db.db.QueryContext(ctx, "SELECT control, scope, mode, updated_at, updated_by FROM enforcement_settings ORDER BY control, scope")
	if err != nil {
		return nil, fmt.Errorf("find enforcement settings: %w", err)
	}
	defer rows.Close()
	out := []*warden.EnforcementSetting{}
	for rows.Next() {
		s, err := scanEnforcementSetting(rows)
		if err != nil {
			return nil, fmt.Errorf("find enforcement settings: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RecordEnforcementEvent implements warden.EnforcementStore.
func (db *DB) RecordEnforcementEvent(ctx context.Context, e *warden.EnforcementEvent) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.insertEnforcementEvent(ctx, tx, e) })
}

func (db *DB) insertEnforcementEvent(ctx context.Context, tx *sql.Tx, e *warden.EnforcementEvent) error {
	if !e.Control.Valid() {
		return warden.FieldErrorf("control", "control %q is not a known control", e.Control)
	}
	e.ID = newID()
	if e.Time.IsZero() {
		e.Time = db.now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	doc, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode enforcement event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.q("INSERT INTO enforcement_events (id, time, control, enforced, identity_id, doc) VALUES (?, ?, ?, ?, ?, ?)"),
		e.ID, micro(e.Time), string(e.Control), e.Enforced, e.IdentityID, string(doc)); err != nil {
		return fmt.Errorf("record enforcement event: %w", err)
	}
	return nil
}

// DisableIdentityEnforced implements warden.EnforcementStore.
func (db *DB) DisableIdentityEnforced(ctx context.Context, e *warden.EnforcementEvent) (*warden.Identity, error) {
	var out *warden.Identity
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findIdentityByID(ctx, tx, db, e.IdentityID)
		if err != nil {
			return err
		}
		if before.Status == warden.StatusDisabled || before.Status == warden.StatusDeprovisioned {
			return nil
		}
		after := *before
		after.Status, after.StatusReason = warden.StatusDisabled, clipReason(e.Reason)
		after.UpdatedAt = db.now()
		if err := db.writeIdentity(ctx, tx, &after, false); err != nil {
			return fmt.Errorf("disable identity %s: %w", e.IdentityID, err)
		}
		e.Enforced, e.Owner = true, before.Owner
		if err := db.insertEnforcementEvent(ctx, tx, e); err != nil {
			return err
		}
		out = &after
		return db.appendAudit(ctx, tx, auditEntry{action: "enforcement.disable", targetType: "identity", targetID: after.ID, before: before, after: &after})
	})
	return out, err
}

// FindEnforcementEvents implements warden.EnforcementStore: newest first.
func (db *DB) FindEnforcementEvents(ctx context.Context, f warden.EnforcementEventFilter) ([]*warden.EnforcementEvent, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "enforcement_events")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.Control != "" {
		c.add("control = ?", string(f.Control))
	}
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Enforced != nil {
		c.add("enforced = ?", *f.Enforced)
	}
	if f.Since != nil {
		c.add("time >= ?", micro(*f.Since))
	}
	return timePage[warden.EnforcementEvent]{
		what: "find enforcement events", from: "enforcement_events", columns: "doc", timeCol: "time", desc: true, sort: "enforcement_events",
		scan: scanEnforcementEvent, keyOf: func(e *warden.EnforcementEvent) (int64, string) { return micro(e.Time), e.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

var scanEnforcementEvent = scanDoc[warden.EnforcementEvent]("enforcement event")

// clipReason cuts a status reason to warden.MaxTextLen at a rune boundary.
func clipReason(s string) string {
	if len(s) <= warden.MaxTextLen {
		return s
	}
	cut := warden.MaxTextLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
