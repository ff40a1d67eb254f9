package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/audit"
)

// auditEntry is a change to record; before and after are marshalled to JSON.
type auditEntry struct {
	action     string
	targetType string
	targetID   string
	before     any
	after      any
}

// appendAudit writes the entries to the hash chain inside tx, attributed to
// the actor in ctx. It takes the writers' lock, so call it after the change
// itself to keep the lock short.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, entries ...auditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := db.dialect.lockWriters(ctx, tx); err != nil {
		return err
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &prev); err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	actor := warden.ActorFromContext(ctx).String()
	now := db.now()
	records := make([]*warden.AuditRecord, len(entries))
	for i, e := range entries {
		before, err := auditJSON(e.before)
		if err != nil {
			return err
		}
		after, err := auditJSON(e.after)
		if err != nil {
			return err
		}
		seq++
		r := &warden.AuditRecord{
			Seq: seq, Time: now, Actor: actor, Action: e.action,
			TargetType: e.targetType, TargetID: e.targetID, Before: before, After: after,
		}
		audit.Seal(r, prev)
		prev = r.Hash
		records[i] = r
	}
	cols := []string{"seq", "time", "actor", "action", "target_type", "target_id", "before", "after", "prev_hash", "hash"}
	err := db.insertRows(ctx, tx, "audit_log", cols, len(records), func(i int) []any {
		r := records[i]
		return []any{r.Seq, micro(r.Time), r.Actor, r.Action, r.TargetType, r.TargetID, string(r.Before), string(r.After), r.PrevHash, r.Hash}
	})
	if err != nil {
		return fmt.Errorf("write audit records: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.q("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"), seq, prev); err != nil {
		return fmt.Errorf("advance audit head: %w", err)
	}
	return db.queueChanges(ctx, tx, entries)
}

func auditJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode audit record: %w", err)
	}
	return b, nil
}

const auditColumns = "seq, time, actor, action, target_type, target_id, before, after, prev_hash, hash"

func scanAudit(s interface{ Scan(...any) error }) (*warden.AuditRecord, error) {
	var r warden.AuditRecord
	var t int64
	var before, after string
	if err := s.Scan(&r.Seq, &t, &r.Actor, &r.Action, &r.TargetType, &r.TargetID, &before, &after, &r.PrevHash, &r.Hash); err != nil {
		return nil, err
	}
	r.Time = fromMicro(t)
	r.Before, r.After = json.RawMessage(before), json.RawMessage(after)
	return &r, nil
}

// FindAuditRecords returns a page of audit records, oldest first.
func (db *DB) FindAuditRecords(ctx context.Context, f warden.AuditFilter) ([]*warden.AuditRecord, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.TargetType != "" {
		add("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		add("target_id = ?", f.TargetID)
	}
	if f.Cursor != "" {
		after, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || after < 0 {
			return nil, "", warden.FieldErrorf("cursor", "cursor is not valid: pass the next_cursor of a previous page unchanged")
		}
		if f.Newest {
			add("seq < ?", after)
		} else {
			add("seq > ?", after)
		}
	}
	order := " ORDER BY seq"
	if f.Newest {
		order = " ORDER BY seq DESC"
	}
	query := "SELECT " + auditColumns + " FROM audit_log" + whereClause(where) + order + " LIMIT " + strconv.Itoa(f.Limit+1)
	rows, err := db.db.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find audit records: %w", err)
	}
	defer rows.Close()
	var out []*warden.AuditRecord
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find audit records: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find audit records: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = strconv.FormatInt(out[len(out)-1].Seq, 10)
	}
	return out, next, nil
}

// VerifyAudit walks the chain in sequence order, streaming, and checks that
// the head record agrees with the last row (so truncation is caught too).
func (db *DB) VerifyAudit(ctx context.Context) (*warden.AuditVerification, error) {
	var headSeq int64
	var headHash string
	if err := db.db.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		if isNoRows(err) {
			return &warden.AuditVerification{Problem: "the audit head row is missing"}, nil
		}
		return nil, fmt.Errorf("verify audit: read head: %w", err)
	}
	rows, err := db.db.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_log ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	var v audit.Verifier
	res := &warden.AuditVerification{}
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("verify audit: %w", err)
		}
		if err := v.Check(r); err != nil {
			res.Records = v.Count()
			res.HeadSeq, res.HeadHash = v.Head()
			res.BadSeq, res.Problem = r.Seq, fmt.Sprintf("record %d: %v", r.Seq, err)
			return res, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify audit: %w", err)
	}
	res.Records = v.Count()
	res.HeadSeq, res.HeadHash = v.Head()
	if res.Records == 0 {
		res.HeadHash = audit.GenesisHash
	}
	if res.HeadSeq != headSeq || res.HeadHash != headHash {
		res.BadSeq = res.HeadSeq + 1
		res.Problem = fmt.Sprintf("the log ends at record %d but its head says %d (%.12s…): records at the end were deleted or the head was edited", res.HeadSeq, headSeq, headHash)
		return res, nil
	}
	res.OK = true
	return res, nil
}
