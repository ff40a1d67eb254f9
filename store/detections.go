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

var (
	_ warden.DetectionService  = (*DB)(nil)
	_ warden.DeadLetterService = (*DB)(nil)
)

const detectionColumns = "id, detector, severity, severity_rank, time, detected_at, identity_id, provider, identity, technique, " +
	"technique_name, owasp, explanation, event_ids, evidence, responses"

var detectionInsertColumns = splitColumns(detectionColumns)

func scanDetection(s interface{ Scan(...any) error }) (*warden.Detection, error) {
	var d warden.Detection
	var t, at, rank int64
	var ids, evidence, responses string
	if err := s.Scan(&d.ID, &d.Detector, &d.Severity, &rank, &t, &at, &d.IdentityID, &d.Provider, &d.Identity, &d.Technique,
		&d.TechniqueName, &d.OWASP, &d.Explanation, &ids, &evidence, &responses); err != nil {
		return nil, err
	}
	d.Time, d.DetectedAt = fromMicro(t), fromMicro(at)
	for _, f := range []struct {
		src string
		dst any
	}{{ids, &d.EventIDs}, {evidence, &d.Evidence}, {responses, &d.Responses}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, fmt.Errorf("detection %s: %w", d.ID, err)
		}
	}
	return &d, nil
}

// RecordDetections stores detections in one transaction, one audit record
// (detection.record) each; see warden.DetectionService.
func (db *DB) RecordDetections(ctx context.Context, ds []*warden.Detection) error {
	if len(ds) > warden.MaxDetectionsBatch {
		return warden.FieldErrorf("detections", "at most %d detections at once, got %d", warden.MaxDetectionsBatch, len(ds))
	}
	rows := make([][]any, len(ds))
	now := db.now()
	for i, d := range ds {
		if err := d.Validate(); err != nil {
			return indexedFieldError("detections", i, err)
		}
		if d.ID == "" {
			d.ID = newID()
		}
		d.DetectedAt, d.Time = now, d.Time.UTC().Truncate(time.Microsecond)
		if d.Responses == nil {
			d.Responses = []string{}
		}
		ids, err1 := json.Marshal(d.EventIDs)
		ev, err2 := json.Marshal(d.Evidence)
		resp, err3 := json.Marshal(d.Responses)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("encode detection %s: %v %v %v", d.ID, err1, err2, err3)
		}
		rows[i] = []any{d.ID, d.Detector, string(d.Severity), int64(d.Severity.Rank()), micro(d.Time), micro(now), d.IdentityID, string(d.Provider),
			d.Identity, d.Technique, d.TechniqueName, d.OWASP, d.Explanation, string(ids), string(ev), string(resp)}
	}
	if len(ds) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertRows(ctx, tx, "detections", detectionInsertColumns, len(rows), func(i int) []any { return rows[i] }); err != nil {
			return fmt.Errorf("record detections: %w", err)
		}
		audits := make([]auditEntry, len(ds))
		for i, d := range ds {
			audits[i] = auditEntry{action: "detection.record", targetType: "detection", targetID: d.ID, after: d}
		}
		return db.appendAudit(ctx, tx, audits...)
	})
}

// FindDetections returns a page of detections, newest first.
func (db *DB) FindDetections(ctx context.Context, f warden.DetectionFilter) ([]*warden.Detection, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "detections")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Detector != "" {
		c.add("detector = ?", f.Detector)
	}
	if f.MinSeverity != "" {
		c.add("severity_rank >= ?", int64(f.MinSeverity.Rank()))
	}
	if f.Since != nil {
		c.add("time >= ?", micro(*f.Since))
	}
	if f.Until != nil {
		c.add("time < ?", micro(*f.Until))
	}
	return timePage[warden.Detection]{
		what: "find detections", from: "detections", columns: detectionColumns, timeCol: "time", desc: true, sort: "detections",
		scan: scanDetection, keyOf: func(d *warden.Detection) (int64, string) { return micro(d.Time), d.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// RecordDeadLetter stores an undeliverable alert, audited.
func (db *DB) RecordDeadLetter(ctx context.Context, d *warden.DeadLetter) error {
	if d.Sink == "" || d.Target == "" || len(d.Payload) == 0 {
		return warden.Errorf(warden.EINVALID, "a dead letter needs its sink, target and payload")
	}
	d.ID, d.CreatedAt = newID(), db.now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO alert_dead_letters (id, sink, target, detection_id, payload, attempts, last_error, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), d.ID, d.Sink, d.Target, d.DetectionID, string(d.Payload), int64(d.Attempts), d.LastError, micro(d.CreatedAt)); err != nil {
			return fmt.Errorf("record dead letter: %w", db.mapError(err))
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "alert.dead_letter", targetType: "dead_letter", targetID: d.ID,
			after: map[string]any{"sink": d.Sink, "target": d.Target, "detection_id": d.DetectionID, "attempts": d.Attempts, "last_error": d.LastError}})
	})
}

// FindDeadLetters lists dead letters, newest first.
func (db *DB) FindDeadLetters(ctx context.Context, limit int) ([]*warden.DeadLetter, error) {
	if limit <= 0 || limit > warden.MaxPageSize {
		limit = warden.DefaultPageSize
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT id, sink, target, detection_id, payload, attempts, last_error, created_at FROM alert_dead_letters ORDER BY created_at DESC, id DESC LIMIT "+strconv.Itoa(limit)))
	if err != nil {
		return nil, fmt.Errorf("find dead letters: %w", err)
	}
	defer rows.Close()
	var out []*warden.DeadLetter
	for rows.Next() {
		var d warden.DeadLetter
		var payload string
		var attempts, created int64
		if err := rows.Scan(&d.ID, &d.Sink, &d.Target, &d.DetectionID, &payload, &attempts, &d.LastError, &created); err != nil {
			return nil, fmt.Errorf("find dead letters: %w", err)
		}
		d.Payload, d.Attempts, d.CreatedAt = json.RawMessage(payload), int(attempts), fromMicro(created)
		out = append(out, &d)
	}
	return out, rows.Err()
}
