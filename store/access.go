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

var _ warden.AccessStore = (*DB)(nil)

// Access requests are stored whole as JSON (doc), with the fields that
// listings and the decision point filter on beside it as columns.

const accessColumns = "doc"

var scanAccessRequest = scanDoc[warden.AccessRequest]("access request")

// accessRow is the column values of a request, doc last.
func accessRow(r *warden.AccessRequest) ([]any, error) {
	if r.Approvals == nil {
		r.Approvals = []warden.AccessApproval{}
	}
	if r.Tokens == nil {
		r.Tokens = []string{}
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode access request %s: %w", r.ID, err)
	}
	var expires int64
	if r.ExpiresAt != nil {
		expires = micro(*r.ExpiresAt)
	}
	review := r.Review != nil && r.Review.Status == "pending"
	return []any{r.IdentityID, string(r.Status), r.BreakGlass, review, micro(r.CreatedAt), expires, string(doc)}, nil
}

// CreateAccessRequest implements warden.AccessStore.
func (db *DB) CreateAccessRequest(ctx context.Context, r *warden.AccessRequest, action string) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if !r.Status.Valid() {
		return warden.FieldErrorf("status", "status %q is not one of %s", r.Status, "pending, approved, denied, revoked, expired")
	}
	r.ID, r.CreatedAt = newID(), db.now().UTC().Truncate(time.Microsecond)
	return db.tx(ctx, func(tx *sql.Tx) error {
		row, err := accessRow(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO access_requests (id, identity_id, status, break_glass, review_pending, created_at, expires_at, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), append([]any{r.ID}, row...)...); err != nil {
			return fmt.Errorf("create access request: %w", db.mapError(err))
		}
		return db.appendAudit(ctx, tx, auditEntry{action: action, targetType: "access_request", targetID: r.ID, after: r})
	})
}

// FindAccessRequest implements warden.AccessStore.
func (db *DB) FindAccessRequest(ctx context.Context, id string) (*warden.AccessRequest, error) {
	return findAccessRequest(ctx, db.db, db, id, false)
}

func findAccessRequest(ctx context.Context, q querier, db *DB, id string, forUpdate bool) (*warden.AccessRequest, error) {
	query := "SELECT " + accessColumns + " FROM access_requests WHERE id = ?"
	if forUpdate && db.dialect.name() == "postgres" {
		query += " FOR UPDATE"
	}
	r, err := scanAccessRequest(q.QueryRowContext(ctx, db.q(query), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "access request %q not found", clipID(id))
	} else if err != nil {
		return nil, fmt.Errorf("find access request: %w", err)
	}
	return r, nil
}

func clipID(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// FindAccessRequests implements warden.AccessStore: newest first.
func (db *DB) FindAccessRequests(ctx context.Context, f warden.AccessRequestFilter) ([]*warden.AccessRequest, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "access_requests")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	if f.NeedsReview {
		c.add("review_pending = ?", true)
	}
	return timePage[warden.AccessRequest]{
		what: "find access requests", from: "access_requests", columns: accessColumns, timeCol: "created_at", desc: true, sort: "access_requests",
		scan: scanAccessRequest, keyOf: func(r *warden.AccessRequest) (int64, string) { return micro(r.CreatedAt), r.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// UpdateAccessRequest implements warden.AccessStore. The writers' lock is
// taken before the read, so two approvers answering at once are applied
// one after the other, never one over the other.
func (db *DB) UpdateAccessRequest(ctx context.Context, id, action string, fn func(r *warden.AccessRequest) error) (*warden.AccessRequest, error) {
	var out *warden.AccessRequest
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findAccessRequest(ctx, tx, db, id, true)
		if err != nil {
			return err
		}
		after, err := copyAccessRequest(before)
		if err != nil {
			return err
		}
		if err := fn(after); err != nil {
			return err
		}
		after.ID, after.CreatedAt = before.ID, before.CreatedAt
		row, err := accessRow(after)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE access_requests SET identity_id = ?, status = ?, break_glass = ?, review_pending = ?,
			created_at = ?, expires_at = ?, doc = ? WHERE id = ?`), append(row, id)...); err != nil {
			return fmt.Errorf("update access request %s: %w", id, err)
		}
		out = after
		return db.appendAudit(ctx, tx, auditEntry{action: action, targetType: "access_request", targetID: id, before: before, after: after})
	})
	return out, err
}

// copyAccessRequest deep-copies r through its JSON form.
func copyAccessRequest(r *warden.AccessRequest) (*warden.AccessRequest, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("copy access request: %w", err)
	}
	var out warden.AccessRequest
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy access request: %w", err)
	}
	return &out, nil
}

// FindActiveGrants implements warden.AccessStore.
func (db *DB) FindActiveGrants(ctx context.Context, identityID string, t time.Time) ([]*warden.AccessRequest, error) {
	rows, err := db.db.QueryContext(ctx, db.q("SELECT "+accessColumns+" FROM access_requests WHERE identity_id = ? AND status = ? AND expires_at > ? ORDER BY expires_at, id LIMIT 256"),
		identityID, string(warden.AccessApproved), micro(t))
	if err != nil {
		return nil, fmt.Errorf("find active grants: %w", err)
	}
	return collectAccess(rows, func(r *warden.AccessRequest) bool { return r.Active(t) })
}

// FindLapsedGrants implements warden.AccessStore.
func (db *DB) FindLapsedGrants(ctx context.Context, t time.Time, limit int) ([]*warden.AccessRequest, error) {
	if limit <= 0 || limit > warden.MaxPageSize {
		limit = warden.MaxPageSize
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT "+accessColumns+" FROM access_requests WHERE status = ? AND expires_at <= ? ORDER BY expires_at, id LIMIT "+strconv.Itoa(limit)),
		string(warden.AccessApproved), micro(t))
	if err != nil {
		return nil, fmt.Errorf("find lapsed grants: %w", err)
	}
	return collectAccess(rows, nil)
}

func collectAccess(rows *sql.Rows, keep func(*warden.AccessRequest) bool) ([]*warden.AccessRequest, error) {
	defer rows.Close()
	out := []*warden.AccessRequest{}
	for rows.Next() {
		r, err := scanAccessRequest(rows)
		if err != nil {
			return nil, err
		}
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}
