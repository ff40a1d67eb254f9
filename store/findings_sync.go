package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/warden-nhi/warden"
)

// findingKey is the deduplication key of a finding.
type findingKey struct{ identity, rule, subject string }

func keyOf(f *warden.Finding) findingKey { return findingKey{f.IdentityID, f.RuleID, f.Subject} }

// SyncFindings replaces the findings of rules on identityIDs with found, in
// one transaction (see warden.FindingSyncer).
func (db *DB) SyncFindings(ctx context.Context, rules, identityIDs []string, found []*warden.Finding) (warden.FindingSyncResult, map[string][]*warden.Finding, error) {
	var res warden.FindingSyncResult
	seen := make(map[findingKey]bool, len(found))
	for n, f := range found {
		if err := f.Validate(); err != nil {
			return res, nil, fmt.Errorf("finding %d (%s on %s): %w", n, f.RuleID, f.IdentityID, err)
		}
		if !slices.Contains(rules, f.RuleID) || !slices.Contains(identityIDs, f.IdentityID) {
			return res, nil, warden.Errorf(warden.EINVALID, "finding %d: rule %s on identity %s is outside the synchronised rules and identities", n, f.RuleID, f.IdentityID)
		}
		if seen[keyOf(f)] {
			return res, nil, warden.Errorf(warden.EINVALID, "finding %d: rule %s on identity %s subject %q appears twice", n, f.RuleID, f.IdentityID, f.Subject)
		}
		seen[keyOf(f)] = true
	}
	var open map[string][]*warden.Finding
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, open = warden.FindingSyncResult{}, map[string][]*warden.Finding{}
		existing, err := db.findingsOf(ctx, tx, identityIDs)
		if err != nil {
			return err
		}
		byKey := make(map[findingKey]*warden.Finding, len(existing))
		for _, f := range existing {
			byKey[keyOf(f)] = f
		}
		now := db.now()
		var entries []auditEntry
		var touch []string
		current := make([]*warden.Finding, 0, len(existing)+len(found))
		for _, f := range found {
			old := byKey[keyOf(f)]
			if old != nil && old.Status != warden.FindingResolved && sameContent(old, f) &&
				(old.Status != warden.FindingSuppressed || old.Suppression == nil || now.Before(old.Suppression.Until)) {
				refreshed := *old
				refreshed.LastSeenAt = now
				touch = append(touch, old.ID)
				current = append(current, &refreshed)
				res.Refreshed++
				continue
			}
			stored, entry, err := db.upsertFinding(ctx, tx, old, f, now)
			if err != nil {
				return err
			}
			current = append(current, stored)
			switch {
			case entry == nil:
				res.Refreshed++
			case entry.action == "finding.open":
				res.Opened++
			case entry.action == "finding.reopen":
				res.Reopened++
			default:
				res.Expired++
			}
			if entry != nil {
				entries = append(entries, *entry)
			}
		}
		for _, old := range existing {
			if seen[keyOf(old)] {
				continue
			}
			after := *old
			switch {
			case old.Status == warden.FindingResolved:
			case slices.Contains(rules, old.RuleID):
				after.Status, after.ResolvedAt = warden.FindingResolved, &now
				entries = append(entries, auditEntry{action: "finding.resolve", targetType: "finding", targetID: old.ID, before: old, after: &after})
				res.Resolved++
			case old.Status == warden.FindingSuppressed && old.Suppression != nil && !now.Before(old.Suppression.Until):
				after.Status = warden.FindingOpen
				entries = append(entries, auditEntry{action: "finding.suppression_expired", targetType: "finding", targetID: old.ID, before: old, after: &after})
				res.Expired++
			}
			if after.Status != old.Status {
				if err := db.writeFinding(ctx, tx, &after); err != nil {
					return err
				}
			}
			current = append(current, &after)
		}
		if err := db.touchFindings(ctx, tx, touch, now); err != nil {
			return err
		}
		for _, f := range current {
			if f.Status == warden.FindingOpen {
				open[f.IdentityID] = append(open[f.IdentityID], f)
			}
		}
		if res.Refreshed > 0 {
			entries = append(entries, auditEntry{action: "findings.refresh", targetType: "governance", targetID: "findings", after: map[string]any{"refreshed": res.Refreshed, "rules": rules}})
		}
		return db.appendAudit(ctx, tx, entries...)
	})
	if err != nil {
		return warden.FindingSyncResult{}, nil, err
	}
	return res, open, nil
}

// sameContent reports whether found says the same as the stored finding.
func sameContent(old, found *warden.Finding) bool {
	return old.Severity == found.Severity && old.Title == found.Title && old.Detail == found.Detail &&
		bytes.Equal(old.Evidence, found.Evidence) && slices.Equal(old.OWASP, found.OWASP) &&
		slices.Equal(old.NIST, found.NIST) && old.Remediation == found.Remediation && old.Source == found.Source
}

// findingsOf loads every finding of the identities, a chunk per query.
func (db *DB) findingsOf(ctx context.Context, tx *sql.Tx, ids []string) ([]*warden.Finding, error) {
	var out []*warden.Finding
	for start := 0; start < len(ids); start += importChunk {
		chunk := ids[start:min(start+importChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		got, err := db.queryFindings(ctx, tx, "SELECT "+findingColumns+" FROM findings WHERE identity_id IN ("+placeholders(len(chunk))+") ORDER BY id", args...)
		if err != nil {
			return nil, fmt.Errorf("load findings: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// touchFindings moves the last-seen time of unchanged findings in bulk.
func (db *DB) touchFindings(ctx context.Context, tx *sql.Tx, ids []string, now time.Time) error {
	for start := 0; start < len(ids); start += importChunk {
		chunk := ids[start:min(start+importChunk, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, micro(now))
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE findings SET last_seen_at = ? WHERE id IN ("+placeholders(len(chunk))+")"), args...); err != nil {
			return fmt.Errorf("refresh findings: %w", err)
		}
	}
	return nil
}

// SetRiskScores stores changed risk scores with one audit record listing
// each change as [before, after].
func (db *DB) SetRiskScores(ctx context.Context, scores map[string]int) (int, error) {
	ids := make([]string, 0, len(scores))
	for id, s := range scores {
		if s < 0 || s > 100 {
			return 0, warden.FieldErrorf("risk_score", "risk score of %s must be 0-100, got %d", id, s)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	changed := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		changed = 0
		diff := map[string][2]int{}
		for start := 0; start < len(ids); start += importChunk {
			chunk := ids[start:min(start+importChunk, len(ids))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			rows, err := tx.QueryContext(ctx, db.q("SELECT id, risk_score FROM identities WHERE id IN ("+placeholders(len(chunk))+")"), args...)
			if err != nil {
				return fmt.Errorf("read risk scores: %w", err)
			}
			for rows.Next() {
				var id string
				var old int
				if err := rows.Scan(&id, &old); err != nil {
					rows.Close()
					return fmt.Errorf("read risk scores: %w", err)
				}
				if old != scores[id] {
					diff[id] = [2]int{old, scores[id]}
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read risk scores: %w", err)
			}
		}
		for _, id := range ids {
			d, ok := diff[id]
			if !ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, db.q("UPDATE identities SET risk_score = ? WHERE id = ?"), d[1], id); err != nil {
				return fmt.Errorf("set risk score of %s: %w", id, err)
			}
			changed++
		}
		if changed == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "identity.risk_scores", targetType: "governance", targetID: "risk_scores", after: diff})
	})
	return changed, err
}
