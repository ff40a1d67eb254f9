package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/warden-nhi/warden"
)

var _ warden.LeakService = (*DB)(nil)

const leakColumns = "id, fingerprint, rule, type, source, file, line, commit_id, author, public_id, key_fingerprint, preview, " +
	"identity_id, credential_id, matched_by, first_seen_at, last_seen_at, seen_count"

var leakInsertColumns = splitColumns(leakColumns)

func scanLeak(s interface{ Scan(...any) error }) (*warden.Leak, error) {
	var l warden.Leak
	var first, last int64
	var line, seen int64
	if err := s.Scan(&l.ID, &l.Fingerprint, &l.Rule, &l.Type, &l.Source, &l.File, &line, &l.Commit, &l.Author,
		&l.PublicID, &l.KeyFingerprint, &l.Preview, &l.IdentityID, &l.CredentialID, &l.MatchedBy, &first, &last, &seen); err != nil {
		return nil, err
	}
	l.Line, l.SeenCount = int(line), int(seen)
	l.FirstSeenAt, l.LastSeenAt = fromMicro(first), fromMicro(last)
	return &l, nil
}

func leakRow(l *warden.Leak) []any {
	return []any{l.ID, l.Fingerprint, l.Rule, string(l.Type), l.Source, l.File, int64(l.Line), l.Commit, l.Author,
		l.PublicID, l.KeyFingerprint, l.Preview, l.IdentityID, l.CredentialID, l.MatchedBy,
		micro(l.FirstSeenAt), micro(l.LastSeenAt), int64(l.SeenCount)}
}

// RecordLeaks upserts the leaks in one transaction with an audit record
// for each: leak.record (new), leak.correlate (its identity changed) or
// leak.seen (seen again).
func (db *DB) RecordLeaks(ctx context.Context, leaks []*warden.Leak) error {
	if len(leaks) > warden.MaxLeaksPerReport {
		return warden.FieldErrorf("leaks", "at most %d leaks may be recorded at once, got %d", warden.MaxLeaksPerReport, len(leaks))
	}
	for i, l := range leaks {
		if err := l.Validate(); err != nil {
			return indexedFieldError("leaks", i, err)
		}
	}
	now := db.now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		var audits []auditEntry
		var fresh []*warden.Leak
		for _, l := range leaks {
			before, err := db.findLeakByKey(ctx, tx, l)
			if err != nil {
				return err
			}
			if before == nil {
				l.ID, l.FirstSeenAt, l.LastSeenAt, l.SeenCount = newID(), now, now, 1
				fresh = append(fresh, l)
				audits = append(audits, auditEntry{action: "leak.record", targetType: "leak", targetID: l.ID, after: l})
				continue
			}
			if l.IdentityID == "" {
				l.IdentityID, l.CredentialID, l.MatchedBy = before.IdentityID, before.CredentialID, before.MatchedBy
			}
			l.ID, l.FirstSeenAt, l.LastSeenAt, l.SeenCount = before.ID, before.FirstSeenAt, now, before.SeenCount+1
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE leaks SET last_seen_at = ?, seen_count = ?, identity_id = ?,
				credential_id = ?, matched_by = ?, preview = ?, author = ?, public_id = ?, key_fingerprint = ?, type = ?, rule = ? WHERE id = ?`),
				micro(now), int64(l.SeenCount), l.IdentityID, l.CredentialID, l.MatchedBy, l.Preview, l.Author,
				l.PublicID, l.KeyFingerprint, string(l.Type), l.Rule, l.ID); err != nil {
				return fmt.Errorf("update leak %s: %w", l.ID, db.mapError(err))
			}
			action := "leak.seen"
			if l.IdentityID != before.IdentityID || l.CredentialID != before.CredentialID {
				action = "leak.correlate"
			}
			audits = append(audits, auditEntry{action: action, targetType: "leak", targetID: l.ID, before: before, after: l})
		}
		if err := db.insertRows(ctx, tx, "leaks", leakInsertColumns, len(fresh), func(i int) []any { return leakRow(fresh[i]) }); err != nil {
			return fmt.Errorf("record leaks: %w", err)
		}
		return db.appendAudit(ctx, tx, audits...)
	})
}

// findLeakByKey returns the stored leak with l's unique key, or nil.
func (db *DB) findLeakByKey(ctx context.Context, tx *sql.Tx, l *warden.Leak) (*warden.Leak, error) {
	row := tx.QueryRowContext(ctx, db.q("SELECT "+leakColumns+" FROM leaks WHERE fingerprint = ? AND source = ? AND file = ? AND line = ? AND commit_id = ?"),
		l.Fingerprint, l.Source, l.File, int64(l.Line), l.Commit)
	got, err := scanLeak(row)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find leak: %w", err)
	}
	return got, nil
}

// FindLeaks returns a page of leaks, most recently seen first.
func (db *DB) FindLeaks(ctx context.Context, f warden.LeakFilter) ([]*warden.Leak, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "leaks")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Rule != "" {
		c.add("rule = ?", f.Rule)
	}
	if f.Fingerprint != "" {
		c.add("fingerprint = ?", f.Fingerprint)
	}
	if f.Source != "" {
		c.add("source = ?", f.Source)
	}
	if f.Correlated != nil {
		if *f.Correlated {
			c.add("identity_id <> ''")
		} else {
			c.add("identity_id = ''")
		}
	}
	return timePage[warden.Leak]{
		what: "find leaks", from: "leaks", columns: leakColumns, timeCol: "last_seen_at", desc: true, sort: "leaks",
		scan: scanLeak, keyOf: func(l *warden.Leak) (int64, string) { return micro(l.LastSeenAt), l.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// indexedFieldError prefixes the field of a validation error with the
// item's position in a list ("leaks[3].fingerprint").
func indexedFieldError(list string, i int, err error) error {
	field := warden.ErrorField(err)
	if warden.ErrorCode(err) != warden.EINVALID || field == "" {
		return err
	}
	name := fmt.Sprintf("%s[%d].%s", list, i, field)
	return warden.FieldErrorf(name, "%s: %s", name, warden.ErrorMessage(err))
}
