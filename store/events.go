package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

var (
	_ warden.EventService     = (*DB)(nil)
	_ warden.ActivityRecorder = (*DB)(nil)
	_ warden.EventPruner      = (*DB)(nil)
)

const eventColumns = "id, time, source, raw_id, source_ref, identity_id, provider, principal, credential_id, session, action, resource, source_ip, user_agent, region, outcome, error_code, interactive"

// Limits on events, enforced by validateEvent: generous for real logs, but
// bounded so one record cannot bloat the table.
const (
	maxEventText  = 2048
	maxEventBatch = 20000
)

func validateEvent(e *warden.Event) error {
	if e.Time.IsZero() {
		return warden.FieldErrorf("time", "an event needs a time")
	}
	if e.Source == "" || len(e.Source) > 64 {
		return warden.FieldErrorf("source", "an event needs a source of at most 64 bytes")
	}
	if e.RawID == "" {
		return warden.FieldErrorf("raw_id", "an event needs the raw id of its record")
	}
	switch e.Outcome {
	case warden.OutcomeAllow, warden.OutcomeDeny, warden.OutcomeError:
	default:
		return warden.FieldErrorf("outcome", "outcome %q is not allow, deny or error", e.Outcome)
	}
	for field, v := range map[string]*string{
		"raw_id": &e.RawID, "source_ref": &e.SourceRef, "principal": &e.Principal, "credential_id": &e.CredentialID,
		"session": &e.Session, "action": &e.Action, "resource": &e.Resource, "source_ip": &e.SourceIP,
		"user_agent": &e.UserAgent, "region": &e.Region, "error_code": &e.ErrorCode,
	} {
		if len(*v) > maxEventText {
			return warden.FieldErrorf(field, "event %s is longer than %d bytes", field, maxEventText)
		}
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	return nil
}

func eventRow(e *warden.Event) []any {
	return []any{e.ID, micro(e.Time), e.Source, e.RawID, e.SourceRef, e.IdentityID, string(e.Provider), e.Principal, e.CredentialID,
		e.Session, e.Action, e.Resource, e.SourceIP, e.UserAgent, e.Region, string(e.Outcome), e.ErrorCode, e.Interactive}
}

func scanEvent(s interface{ Scan(...any) error }) (*warden.Event, error) {
	var e warden.Event
	var t int64
	if err := s.Scan(&e.ID, &t, &e.Source, &e.RawID, &e.SourceRef, &e.IdentityID, &e.Provider, &e.Principal, &e.CredentialID,
		&e.Session, &e.Action, &e.Resource, &e.SourceIP, &e.UserAgent, &e.Region, &e.Outcome, &e.ErrorCode, &e.Interactive); err != nil {
		return nil, err
	}
	e.Time = fromMicro(t)
	return &e, nil
}

// RecordEvents stores events, skipping those already stored, and resolves
// each event's identity from its provider and principal when it has none.
// Unknown principals stay unresolved; see RecordActivity to onboard them.
func (db *DB) RecordEvents(ctx context.Context, events []*warden.Event) (int, error) {
	res, err := db.RecordActivity(ctx, warden.ActivityBatch{Events: events})
	return res.Events.Created, err
}

// RecordActivity stores a batch of activity in one transaction; see
// warden.ActivityRecorder. Identities and credentials are updated once per
// batch with the earliest and latest time they appear, not once per event.
// One audit record summarises the batch, plus one per identity created.
func (db *DB) RecordActivity(ctx context.Context, batch warden.ActivityBatch) (warden.ActivityResult, error) {
	var res warden.ActivityResult
	if err := db.validateActivity(batch); err != nil {
		return res, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = db.recordActivity(ctx, tx, batch)
		return err
	})
	if err != nil {
		return warden.ActivityResult{}, err
	}
	res.Identities.Unchanged = len(batch.Principals) - res.Identities.Created
	return res, nil
}

// validateActivity checks a batch before anything of it is written, and
// marks its principals unmanaged.
func (db *DB) validateActivity(batch warden.ActivityBatch) error {
	if len(batch.Events) > maxEventBatch {
		return warden.Errorf(warden.EINVALID, "at most %d events per batch, got %d", maxEventBatch, len(batch.Events))
	}
	for n, e := range batch.Events {
		if err := validateEvent(e); err != nil {
			return fmt.Errorf("event %d (%s): %w", n, e.RawID, err)
		}
	}
	for _, p := range batch.Principals {
		p.Managed = false
	}
	if err := prepareImport(batch.Principals); err != nil {
		return fmt.Errorf("principals: %w", err)
	}
	if err := validateSeenCredentials(batch.Credentials); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	return nil
}

// recordActivity stores a validated batch inside tx.
func (db *DB) recordActivity(ctx context.Context, tx *sql.Tx, batch warden.ActivityBatch) (warden.ActivityResult, error) {
	var res warden.ActivityResult
	ids, created, err := db.resolvePrincipals(ctx, tx, batch)
	if err != nil {
		return res, err
	}
	res.Identities.Created = created
	for _, e := range batch.Events {
		if e.IdentityID == "" {
			e.IdentityID = ids[[2]string{string(e.Provider), e.Principal}]
		}
	}
	if res.Events.Created, err = db.insertEvents(ctx, tx, batch.Events); err != nil {
		return res, err
	}
	res.Events.Unchanged = len(batch.Events) - res.Events.Created
	if res.Credentials.Created, err = db.recordSeenCredentials(ctx, tx, batch.Credentials, ids); err != nil {
		return res, err
	}
	if res.Identities.Updated, res.Credentials.Updated, err = db.touchLastUsed(ctx, tx, batch.Events, batch.LastUseGranularity); err != nil {
		return res, err
	}
	if res.Events.Created == 0 && res.Identities.Updated == 0 && res.Credentials.Updated == 0 && res.Credentials.Created == 0 {
		return res, nil
	}
	return res, db.appendAudit(ctx, tx, auditEntry{action: "activity.record", targetType: "events", targetID: batchSources(batch.Events), after: res})
}

// resolvePrincipals looks up the identities named by the batch's events
// and principals, creating the principals that do not exist yet as
// unmanaged identities. It returns (provider, external id) -> identity id
// and how many identities it created.
func (db *DB) resolvePrincipals(ctx context.Context, tx *sql.Tx, batch warden.ActivityBatch) (map[[2]string]string, int, error) {
	var want []*warden.Identity
	seen := map[[2]string]bool{}
	for _, p := range batch.Principals {
		seen[[2]string{string(p.Provider), p.ExternalID}] = true
		want = append(want, p)
	}
	for _, e := range batch.Events {
		key := [2]string{string(e.Provider), e.Principal}
		if e.IdentityID == "" && e.Principal != "" && !seen[key] {
			seen[key] = true
			want = append(want, &warden.Identity{Provider: e.Provider, ExternalID: e.Principal})
		}
	}
	found, err := db.findByExternalIDs(ctx, tx, want)
	if err != nil {
		return nil, 0, err
	}
	ids := make(map[[2]string]string, len(found)+len(batch.Principals))
	for key, i := range found {
		ids[key] = i.ID
	}
	var create []*warden.Identity
	for _, p := range batch.Principals {
		key := [2]string{string(p.Provider), p.ExternalID}
		if _, ok := ids[key]; !ok {
			create = append(create, p)
		}
	}
	if len(create) == 0 {
		return ids, 0, nil
	}
	// Identities created from activity get their first-seen and last-used
	// times from touchLastUsed like every other identity of the batch.
	for _, p := range create {
		p.FirstSeenAt, p.LastUsedAt = nil, nil
	}
	res, err := db.importIdentitiesTx(ctx, tx, create)
	if err != nil {
		return nil, 0, fmt.Errorf("create not-onboarded identities: %w", err)
	}
	for _, p := range create {
		ids[[2]string{string(p.Provider), p.ExternalID}] = p.ID
	}
	return ids, res.Created, nil
}

// insertEvents inserts the events that are not stored yet and returns how
// many were new.
func (db *DB) insertEvents(ctx context.Context, tx *sql.Tx, events []*warden.Event) (int, error) {
	n, err := db.insertBatch(ctx, tx, "events", splitColumns(eventColumns), " ON CONFLICT (source, raw_id) DO NOTHING", len(events), func(i int) []any {
		e := events[i]
		if e.ID == "" {
			e.ID = newID()
		}
		return eventRow(e)
	})
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	return n, nil
}

// span is the earliest and latest time something was seen in a batch.
type span struct{ first, last int64 }

func (s *span) add(t int64) {
	if s.first == 0 || t < s.first {
		s.first = t
	}
	if t > s.last {
		s.last = t
	}
}

// touchLastUsed moves the first-seen and last-used times of the batch's
// identities and the last-used time of its credentials, one statement per
// identity or credential, only where the batch has an earlier or later
// time than stored. It returns how many identities and credentials moved.
func (db *DB) touchLastUsed(ctx context.Context, tx *sql.Tx, events []*warden.Event, granularity time.Duration) (int, int, error) {
	slack := granularity.Microseconds()
	identities := map[string]*span{}
	credentials := map[string]*span{}
	for _, e := range events {
		t := micro(e.Time)
		if e.IdentityID != "" {
			s := identities[e.IdentityID]
			if s == nil {
				s = &span{}
				identities[e.IdentityID] = s
			}
			s.add(t)
		}
		if e.CredentialID != "" {
			s := credentials[e.CredentialID]
			if s == nil {
				s = &span{}
				credentials[e.CredentialID] = s
			}
			s.add(t)
		}
	}
	identityQuery := `UPDATE identities SET
		last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END,
		first_seen_at = CASE WHEN first_seen_at IS NULL OR first_seen_at > ? THEN ? ELSE first_seen_at END
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ? OR first_seen_at IS NULL OR first_seen_at > ?)`
	// With a granularity, last use moves only when it moves by at least
	// that much: a row already touched recently is looked up, not written.
	movedIdentities := 0
	for _, id := range sortedKeys(identities) {
		s := identities[id]
		r, err := db.execCached(ctx, tx, identityQuery, s.last, s.last, s.first, s.first, id, s.last-slack, s.first)
		if err != nil {
			return 0, 0, fmt.Errorf("update last use of identity %s: %w", id, err)
		}
		n, _ := r.RowsAffected()
		movedIdentities += int(n)
	}
	credentialQuery := "UPDATE credentials SET last_used_at = ? WHERE public_id = ? AND (last_used_at IS NULL OR last_used_at < ?)"
	movedCredentials := 0
	for _, pid := range sortedKeys(credentials) {
		s := credentials[pid]
		r, err := db.execCached(ctx, tx, credentialQuery, s.last, pid, s.last-slack)
		if err != nil {
			return 0, 0, fmt.Errorf("update last use of credential %s: %w", pid, err)
		}
		n, _ := r.RowsAffected()
		movedCredentials += int(n)
	}
	return movedIdentities, movedCredentials, nil
}

// batchSources names the sources of a batch for its audit record.
func batchSources(events []*warden.Event) string {
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Source] = true
	}
	return strings.Join(sortedKeys(seen), ",")
}

// FindEvents returns a page of events, oldest first (newest first with
// f.Newest).
func (db *DB) FindEvents(ctx context.Context, f warden.EventFilter) ([]*warden.Event, string, error) {
	switch {
	case f.Limit == 0:
		f.Limit = warden.DefaultPageSize
	case f.Limit < 0 || f.Limit > warden.MaxPageSize:
		return nil, "", warden.FieldErrorf("limit", "limit must be between 1 and %d, got %d", warden.MaxPageSize, f.Limit)
	}
	sort := ""
	if f.Newest {
		sort = "newest"
	}
	cur, err := decodeCursor(f.Cursor, sort)
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Source != "" {
		c.add("source = ?", f.Source)
	}
	if f.Since != nil {
		c.add("time >= ?", micro(*f.Since))
	}
	if f.Until != nil {
		c.add("time < ?", micro(*f.Until))
	}
	return timePage[warden.Event]{
		what: "find events", from: "events", columns: eventColumns, timeCol: "time", desc: f.Newest, sort: sort,
		scan: scanEvent, keyOf: func(e *warden.Event) (int64, string) { return micro(e.Time), e.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// PruneEvents deletes the events that happened before the time, in one
// transaction with one audit record saying how many went.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var deleted int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, db.q("DELETE FROM events WHERE time < ?"), micro(before))
		if err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		if deleted, err = r.RowsAffected(); err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		if deleted == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "events.prune", targetType: "events", targetID: "*",
			after: map[string]any{"before": before.UTC().Truncate(time.Microsecond), "deleted": deleted}})
	})
	return deleted, err
}
