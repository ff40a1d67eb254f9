package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

var (
	_ warden.FindingService = (*DB)(nil)
	_ warden.FindingSyncer  = (*DB)(nil)
)

const findingColumns = "id, identity_id, rule_id, subject, severity, severity_rank, title, detail, evidence, owasp, owasp_keys, nist, remediation, source, status, first_seen_at, last_seen_at, resolved_at, suppression, suppressed_until"

func scanFinding(s interface{ Scan(...any) error }) (*warden.Finding, error) {
	var f warden.Finding
	var rank int
	var evidence, owasp, owaspKeys, nist, suppression string
	var first, last int64
	var resolved, until sql.NullInt64
	if err := s.Scan(&f.ID, &f.IdentityID, &f.RuleID, &f.Subject, &f.Severity, &rank, &f.Title, &f.Detail, &evidence,
		&owasp, &owaspKeys, &nist, &f.Remediation, &f.Source, &f.Status, &first, &last, &resolved, &suppression, &until); err != nil {
		return nil, err
	}
	f.Evidence = json.RawMessage(evidence)
	if err := json.Unmarshal([]byte(owasp), &f.OWASP); err != nil {
		return nil, fmt.Errorf("finding %s: decode owasp: %w", f.ID, err)
	}
	if err := json.Unmarshal([]byte(nist), &f.NIST); err != nil {
		return nil, fmt.Errorf("finding %s: decode nist: %w", f.ID, err)
	}
	if suppression != "" {
		f.Suppression = &warden.Suppression{}
		if err := json.Unmarshal([]byte(suppression), f.Suppression); err != nil {
			return nil, fmt.Errorf("finding %s: decode suppression: %w", f.ID, err)
		}
	}
	f.FirstSeenAt, f.LastSeenAt, f.ResolvedAt = fromMicro(first), fromMicro(last), fromNullMicro(resolved)
	return &f, nil
}

// findingRow is the column values of f in findingColumns order.
func findingRow(f *warden.Finding) []any {
	owasp, _ := json.Marshal(f.OWASP)
	nist, _ := json.Marshal(f.NIST)
	suppression, until := "", sql.NullInt64{}
	if f.Suppression != nil {
		b, _ := json.Marshal(f.Suppression)
		suppression, until = string(b), sql.NullInt64{Int64: micro(f.Suppression.Until), Valid: true}
	}
	keys := ","
	for _, id := range f.OWASP {
		keys += id + ","
	}
	return []any{f.ID, f.IdentityID, f.RuleID, f.Subject, string(f.Severity), f.Severity.Rank(), f.Title, f.Detail, string(f.Evidence),
		string(owasp), keys, string(nist), f.Remediation, f.Source, string(f.Status), micro(f.FirstSeenAt), micro(f.LastSeenAt),
		microPtr(f.ResolvedAt), suppression, until}
}

var findingColumnList = splitColumns(findingColumns)

// writeFinding stores every column of an existing finding.
func (db *DB) writeFinding(ctx context.Context, tx *sql.Tx, f *warden.Finding) error {
	sets := make([]string, 0, len(findingColumnList)-1)
	for _, c := range findingColumnList[1:] {
		sets = append(sets, c+" = ?")
	}
	row := findingRow(f)
	if _, err := tx.ExecContext(ctx, db.q("UPDATE findings SET "+strings.Join(sets, ", ")+" WHERE id = ?"), append(row[1:], f.ID)...); err != nil {
		return fmt.Errorf("update finding %s: %w", f.ID, db.mapError(err))
	}
	return nil
}

// FindFindingByID returns the finding with the id.
func (db *DB) FindFindingByID(ctx context.Context, id string) (*warden.Finding, error) {
	return findFindingByID(ctx, db.db, db, id)
}

func findFindingByID(ctx context.Context, q querier, db *DB, id string) (*warden.Finding, error) {
	f, err := scanFinding(q.QueryRowContext(ctx, db.q("SELECT "+findingColumns+" FROM findings WHERE id = ?"), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "finding %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("find finding %s: %w", id, err)
	}
	return f, nil
}

// FindFindings returns a page of findings, newest first (ids are
// time-ordered), using keyset pagination on the id.
func (db *DB) FindFindings(ctx context.Context, f warden.FindingFilter) ([]*warden.Finding, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "findings")
	if err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.IdentityID != "" {
		add("identity_id = ?", f.IdentityID)
	}
	if f.RuleID != "" {
		add("rule_id = ?", f.RuleID)
	}
	if f.Severity != "" {
		add("severity = ?", string(f.Severity))
	}
	if f.OWASP != "" {
		add("owasp_keys LIKE ?", "%,"+f.OWASP+",%")
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if cur != nil {
		add("id < ?", cur.ID)
	}
	query := "SELECT " + findingColumns + " FROM findings" + whereClause(where) + " ORDER BY id DESC LIMIT " + strconv.Itoa(f.Limit+1)
	out, err := db.queryFindings(ctx, db.db, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find findings: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = encodeCursor(cursor{Sort: "findings", ID: out[len(out)-1].ID})
	}
	return out, next, nil
}

func (db *DB) queryFindings(ctx context.Context, q querier, query string, args ...any) ([]*warden.Finding, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*warden.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// RaiseFinding upserts a finding raised by a component (see
// warden.FindingService).
func (db *DB) RaiseFinding(ctx context.Context, f *warden.Finding) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := findIdentityByID(ctx, tx, db, f.IdentityID); err != nil {
			return err
		}
		existing, err := db.queryFindings(ctx, tx, "SELECT "+findingColumns+" FROM findings WHERE identity_id = ? AND rule_id = ? AND subject = ?", f.IdentityID, f.RuleID, f.Subject)
		if err != nil {
			return fmt.Errorf("raise finding: %w", err)
		}
		var old *warden.Finding
		if len(existing) == 1 {
			old = existing[0]
		}
		var entries []auditEntry
		stored, entry, err := db.upsertFinding(ctx, tx, old, f, db.now())
		if err != nil {
			return err
		}
		if entry != nil {
			entries = append(entries, *entry)
		}
		*f = *stored
		return db.appendAudit(ctx, tx, entries...)
	})
}

// upsertFinding inserts found or merges it into old, returning the stored
// finding and the audit entry of a state change (nil for a refresh).
func (db *DB) upsertFinding(ctx context.Context, tx *sql.Tx, old, found *warden.Finding, now time.Time) (*warden.Finding, *auditEntry, error) {
	if old == nil {
		n := *found
		n.ID, n.Status, n.FirstSeenAt, n.LastSeenAt, n.ResolvedAt, n.Suppression = newID(), warden.FindingOpen, now, now, nil, nil
		if err := db.insertRows(ctx, tx, "findings", findingColumnList, 1, func(int) []any { return findingRow(&n) }); err != nil {
			return nil, nil, fmt.Errorf("insert finding: %w", err)
		}
		return &n, &auditEntry{action: "finding.open", targetType: "finding", targetID: n.ID, after: &n}, nil
	}
	n := *old
	n.Severity, n.Title, n.Detail, n.Evidence = found.Severity, found.Title, found.Detail, found.Evidence
	n.OWASP, n.NIST, n.Remediation, n.Source, n.LastSeenAt = found.OWASP, found.NIST, found.Remediation, found.Source, now
	var entry *auditEntry
	switch {
	case old.Status == warden.FindingResolved:
		n.Status, n.ResolvedAt = warden.FindingOpen, nil
		entry = &auditEntry{action: "finding.reopen", targetType: "finding", targetID: n.ID, before: old, after: &n}
	case old.Status == warden.FindingSuppressed && old.Suppression != nil && !now.Before(old.Suppression.Until):
		n.Status = warden.FindingOpen
		entry = &auditEntry{action: "finding.suppression_expired", targetType: "finding", targetID: n.ID, before: old, after: &n}
	}
	if err := db.writeFinding(ctx, tx, &n); err != nil {
		return nil, nil, err
	}
	return &n, entry, nil
}

// ResolveFinding marks a finding resolved.
func (db *DB) ResolveFinding(ctx context.Context, id string) (*warden.Finding, error) {
	return db.changeFinding(ctx, id, "finding.resolve", func(f *warden.Finding, now time.Time) (bool, error) {
		if f.Status == warden.FindingResolved {
			return false, nil
		}
		f.Status, f.ResolvedAt = warden.FindingResolved, &now
		return true, nil
	})
}

// SuppressFinding accepts a finding's risk until a time.
func (db *DB) SuppressFinding(ctx context.Context, id, reason string, until time.Time) (*warden.Finding, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, warden.FieldErrorf("reason", "a suppression needs a reason")
	}
	if len(reason) > warden.MaxTextLen {
		return nil, warden.FieldErrorf("reason", "reason is longer than %d bytes", warden.MaxTextLen)
	}
	until = until.UTC().Truncate(time.Microsecond)
	by := warden.ActorFromContext(ctx).String()
	return db.changeFinding(ctx, id, "finding.suppress", func(f *warden.Finding, now time.Time) (bool, error) {
		if !until.After(now) {
			return false, warden.FieldErrorf("until", "until must be in the future")
		}
		if until.Sub(now) > warden.MaxSuppression {
			return false, warden.FieldErrorf("until", "a suppression lasts at most %d days", int(warden.MaxSuppression/(24*time.Hour)))
		}
		if f.Status == warden.FindingResolved {
			return false, warden.Errorf(warden.ECONFLICT, "finding %s is resolved; only open findings can be suppressed", f.ID)
		}
		f.Status = warden.FindingSuppressed
		f.Suppression = &warden.Suppression{Reason: reason, Until: until, By: by, At: now}
		return true, nil
	})
}

// UnsuppressFinding ends a suppression early.
func (db *DB) UnsuppressFinding(ctx context.Context, id string) (*warden.Finding, error) {
	return db.changeFinding(ctx, id, "finding.unsuppress", func(f *warden.Finding, now time.Time) (bool, error) {
		if f.Status != warden.FindingSuppressed {
			return false, warden.Errorf(warden.ECONFLICT, "finding %s is %s, not suppressed", f.ID, f.Status)
		}
		f.Status = warden.FindingOpen
		return true, nil
	})
}

// changeFinding loads a finding, lets change modify it and, when it did,
// stores it with an audit record of before and after.
func (db *DB) changeFinding(ctx context.Context, id, action string, change func(f *warden.Finding, now time.Time) (bool, error)) (*warden.Finding, error) {
	var out *warden.Finding
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, err := findFindingByID(ctx, tx, db, id)
		if err != nil {
			return err
		}
		after := *before
		changed, err := change(&after, db.now())
		if err != nil {
			return err
		}
		out = &after
		if !changed {
			return nil
		}
		if err := db.writeFinding(ctx, tx, &after); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, auditEntry{action: action, targetType: "finding", targetID: id, before: before, after: &after})
	})
	return out, err
}
