package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/warden-nhi/warden"
)

var _ warden.DecisionActivityLog = (*DB)(nil)

const decisionColumns = "id, time, source, principal_type, principal_id, identity_id, action_type, action_id, resource_type, resource_id, decision, policies, errors, policy_version, latency_us, request, would_deny"

// RecordDecisions stores a batch of decisions in one transaction. Decision
// records are a log of what the decision point answered, not changes to
// warden's state, so they are not audited (auditing every request would
// make the audit chain the bottleneck of every decision).
func (db *DB) RecordDecisions(ctx context.Context, records []*warden.DecisionRecord) error {
	if len(records) == 0 {
		return nil
	}
	db.prepareDecisions(records)
	return db.tx(ctx, func(tx *sql.Tx) error { return db.insertDecisions(ctx, tx, records) })
}

// RecordDecisionActivity stores decisions and the activity events they
// became in one transaction.
func (db *DB) RecordDecisionActivity(ctx context.Context, records []*warden.DecisionRecord, activity warden.ActivityBatch) error {
	if err := db.validateActivity(activity); err != nil {
		return err
	}
	db.prepareDecisions(records)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertDecisions(ctx, tx, records); err != nil {
			return err
		}
		_, err := db.recordActivity(ctx, tx, activity)
		return err
	})
}

// prepareDecisions fills the ids, times and requests records lack.
func (db *DB) prepareDecisions(records []*warden.DecisionRecord) {
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
}

func (db *DB) insertDecisions(ctx context.Context, tx *sql.Tx, records []*warden.DecisionRecord) error {
	_, err := db.insertBatch(ctx, tx, "decisions", splitColumns(decisionColumns), "", len(records), func(i int) []any {
		r := records[i]
		policies, _ := json.Marshal(nonNil(r.Policies))
		errs, _ := json.Marshal(nonNil(r.Errors))
		return []any{r.ID, micro(r.Time), r.Source, r.Principal.Type, r.Principal.ID, r.IdentityID,
			r.Action.Type, r.Action.ID, r.Resource.Type, r.Resource.ID, r.Decision,
			string(policies), string(errs), r.PolicyVersion, r.LatencyMicros, string(r.Request), r.WouldDeny}
	})
	if err != nil {
		return fmt.Errorf("record decisions: %w", err)
	}
	return nil
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
		&policies, &errs, &r.PolicyVersion, &r.LatencyMicros, &request, &r.WouldDeny); err != nil {
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
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Decision != "" {
		c.add("decision = ?", f.Decision)
	}
	if f.Action != "" {
		c.add("action_id = ?", f.Action)
	}
	if f.WouldDeny {
		c.add("would_deny = ?", true)
	}
	if f.Since != nil {
		c.add("time >= ?", micro(*f.Since))
	}
	if f.Until != nil {
		c.add("time < ?", micro(*f.Until))
	}
	return timePage[warden.DecisionRecord]{
		what: "find decisions", from: "decisions", columns: decisionColumns, timeCol: "time", desc: true, sort: "-time",
		scan: scanDecision, keyOf: func(r *warden.DecisionRecord) (int64, string) { return micro(r.Time), r.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}
