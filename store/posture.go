package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.PostureService = (*DB)(nil)

// RecordPosture stores a posture snapshot with its audit record. A zero
// Time is set to now.
func (db *DB) RecordPosture(ctx context.Context, p *warden.PostureSnapshot) error {
	if p.Time.IsZero() {
		p.Time = db.now()
	}
	p.Time = p.Time.UTC().Truncate(time.Microsecond)
	p.ID = newID()
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("record posture: %w", err)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO posture_snapshots (id, time, data) VALUES (?, ?, ?)"), p.ID, micro(p.Time), string(data)); err != nil {
			return fmt.Errorf("record posture: %w", db.mapError(err))
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "posture.record", targetType: "posture", targetID: p.ID, after: p})
	})
}

// FindPosture returns snapshots newest first.
func (db *DB) FindPosture(ctx context.Context, f warden.PostureFilter) ([]*warden.PostureSnapshot, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if f.Since != nil {
		where, args = append(where, "time >= ?"), append(args, micro(*f.Since))
	}
	if f.Until != nil {
		where, args = append(where, "time <= ?"), append(args, micro(*f.Until))
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT data FROM posture_snapshots"+whereClause(where)+" ORDER BY time DESC, id DESC LIMIT "+strconv.Itoa(f.Limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("find posture: %w", err)
	}
	defer rows.Close()
	out := []*warden.PostureSnapshot{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("find posture: %w", err)
		}
		var p warden.PostureSnapshot
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return nil, fmt.Errorf("find posture: decode: %w", err)
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}
