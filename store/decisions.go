package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/warden-nhi/warden"
)

var _ warden.DecisionLog = (*DB)(nil)

const decisionColumns = "id, time, source, principal_type, principal_id, identity_id, action_type, action_id, resource_type, resource_id, decision, policies, errors, policy_version, latency_us, request"

// RecordDecisions stores a batch of decisions in one transaction. Decision
// records are a log of what the decision point answered, not changes to
// warden's state, so they are not audited (auditing every request would
// make the audit chain the bottleneck of every decision).
func (db *DB) RecordDecisions(ctx context.Context, records []*warden.DecisionRecord) error {
	if len(records) == 0 {
		return nil
	}
	for _, r := range records {
		if r.ID == "" {
			r.ID = newID()
		}
		if r.Time.IsZero() {
			r.Time = db.now()
		}
		if len(r.Request) == 0 {
			r.Request = json.RawMessage("{}")
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		err := db.insertRows(ctx, tx, "decisions", splitColumns(decisionColumns), len(records), func(i int) []any {
			r := records[i]
			policies, _ := json.Marshal(nonNil(r.Policies))
			errs, _ := json.Marshal(nonNil(r.Errors))
			return []any{r.ID, micro(r.Time), r.Source, r.Principal.Type, r.Principal.ID, r.IdentityID,
				r.Action.Type, r.Action.ID, r.Resource.Type, r.Resource.ID, r.Decision,
				string(policies), string(errs), r.PolicyVersion, r.LatencyMicros, string(r.Request)}
		})
		if err != nil {
			return fmt.Errorf("record decisions: %w", err)
		}
		return nil
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scanDecision(s interface{ Scan(...any) error }) (*warden.DecisionRecord, error) {
	var r warden.DecisionRecord
	var t int64
	var policies, errs, request string
	if err := s.Scan(&r.ID, &t, &r.Source, &r.Principal.Type, &r.Principal.ID, &r.IdentityID,
		&r.Action.Type, &r.Action.ID, &r.Resource.Type, &r.Resource.ID, &r.Decision,
		&policies, &errs, &r.PolicyVersion, &r.LatencyMicros, &request); err != nil {
		return nil, err
	}
	r.Time = fromMicro(t)
	if err := json.Unmarshal([]byte(policies), &r.Policies); err != nil {
		return nil, fmt.Errorf("decision %s: decode policies: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(errs), &r.Errors); err != nil {
		return nil, fmt.Errorf("decision %s: decode errors: %w", r.ID, err)
	}
	r.Request = json.RawMessage(request)
	return &r, nil
}

// FindDecisions returns a page of decisions, newest first, with keyset
// pagination on (time, id).
func (db *DB) FindDecisions(ctx context.Context, f warden.DecisionFilter) ([]*warden.DecisionRecord, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "-time")
	if err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	if f.IdentityID != "" {
		add("identity_id = ?", f.IdentityID)
	}
	if f.Decision != "" {
		add("decision = ?", f.Decision)
	}
	if f.Action != "" {
		add("action_id = ?", f.Action)
	}
	if f.Since != nil {
		add("time >= ?", micro(*f.Since))
	}
	if f.Until != nil {
		add("time < ?", micro(*f.Until))
	}
	if cur != nil {
		add("(time < ? OR (time = ? AND id < ?))", cur.Int, cur.Int, cur.ID)
	}
	query := "SELECT " + decisionColumns + " FROM decisions" + whereClause(where) +
		" ORDER BY time DESC, id DESC LIMIT " + strconv.Itoa(f.Limit+1)
	rows, err := db.db.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find decisions: %w", err)
	}
	defer rows.Close()
	out := make([]*warden.DecisionRecord, 0, f.Limit+1)
	for rows.Next() {
		r, err := scanDecision(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find decisions: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find decisions: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeCursor(cursor{Sort: "-time", Int: micro(last.Time), ID: last.ID})
	}
	return out, next, nil
}
