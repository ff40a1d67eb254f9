package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/warden-nhi/warden"
)

var _ warden.BaselineService = (*DB)(nil)

// maxBaselineKeys bounds one FindBaselines or SaveBaselines call.
const maxBaselineKeys = 1000

// FindBaselines returns the stored baselines of the keys.
func (db *DB) FindBaselines(ctx context.Context, keys []string) (map[string]*warden.Baseline, error) {
	out := make(map[string]*warden.Baseline, len(keys))
	for start := 0; start < len(keys); start += maxBaselineKeys {
		chunk := keys[start:min(start+maxBaselineKeys, len(keys))]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := db.db.QueryContext(ctx, db.q("SELECT actor_key, identity_id, first_seen, last_seen, events, state, updated_at FROM baselines WHERE actor_key IN ("+placeholders(len(chunk))+")"), args...)
		if err != nil {
			return nil, fmt.Errorf("find baselines: %w", err)
		}
		for rows.Next() {
			var b warden.Baseline
			var first, last, updated int64
			var state string
			if err := rows.Scan(&b.Key, &b.IdentityID, &first, &last, &b.Events, &state, &updated); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find baselines: %w", err)
			}
			b.FirstSeen, b.LastSeen, b.UpdatedAt, b.State = fromMicro(first), fromMicro(last), fromMicro(updated), []byte(state)
			out[b.Key] = &b
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("find baselines: %w", err)
		}
	}
	return out, nil
}

// baselineSummary is the audit record of a SaveBaselines batch: learned
// state changes constantly, so one record names the actors whose
// baselines moved rather than copying their state.
type baselineSummary struct {
	Count int      `json:"count"`
	Keys  []string `json:"keys"`
}

// SaveBaselines upserts the baselines in one transaction with one audit
// record (baseline.update) for the batch.
func (db *DB) SaveBaselines(ctx context.Context, bs []*warden.Baseline) error {
	if len(bs) == 0 {
		return nil
	}
	if len(bs) > maxBaselineKeys {
		return warden.FieldErrorf("baselines", "at most %d baselines per save, got %d", maxBaselineKeys, len(bs))
	}
	for i, b := range bs {
		if b.Key == "" || len(b.Key) > 2*warden.MaxExternalIDLen {
			return warden.FieldErrorf(fmt.Sprintf("baselines[%d].key", i), "a baseline needs a key of at most %d bytes", 2*warden.MaxExternalIDLen)
		}
		if len(b.State) == 0 {
			return warden.FieldErrorf(fmt.Sprintf("baselines[%d].state", i), "a baseline needs its state")
		}
	}
	now := db.now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		sum := baselineSummary{Count: len(bs)}
		for _, b := range bs {
			b.UpdatedAt = now
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO baselines (actor_key, identity_id, first_seen, last_seen, events, state, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (actor_key) DO UPDATE SET identity_id = excluded.identity_id, first_seen = excluded.first_seen,
				last_seen = excluded.last_seen, events = excluded.events, state = excluded.state, updated_at = excluded.updated_at`),
				b.Key, b.IdentityID, micro(b.FirstSeen), micro(b.LastSeen), b.Events, string(b.State), micro(now)); err != nil {
				return fmt.Errorf("save baseline %s: %w", b.Key, db.mapError(err))
			}
			if len(sum.Keys) < 100 {
				sum.Keys = append(sum.Keys, b.Key)
			}
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "baseline.update", targetType: "baseline", targetID: bs[0].Key, after: sum})
	})
}
