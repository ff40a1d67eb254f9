package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/warden-nhi/warden"
)

var _ warden.ReviewStore = (*DB)(nil)

// Review campaigns and items are stored whole as JSON (doc), with the
// fields listings filter on beside it as columns. A campaign's progress
// is not stored: it is counted from its items when the campaign is read.

var (
	scanCampaign   = scanDoc[warden.ReviewCampaign]("review campaign")
	scanReviewItem = scanDoc[warden.ReviewItem]("review item")
)

// itemSortKey orders items by owner, then identity name.
func itemSortKey(it *warden.ReviewItem) string { return it.Owner + "\x1f" + it.Name }

func campaignDoc(c *warden.ReviewCampaign) (string, error) {
	stored := *c
	stored.Progress = warden.ReviewProgress{}
	b, err := json.Marshal(&stored)
	if err != nil {
		return "", fmt.Errorf("encode review campaign %s: %w", c.ID, err)
	}
	return string(b), nil
}

func itemRow(it *warden.ReviewItem) ([]any, error) {
	if it.Snapshot.Unused == nil {
		it.Snapshot.Unused = []warden.GrantedPermission{}
	}
	if it.Snapshot.Wildcards == nil {
		it.Snapshot.Wildcards = []warden.GrantedPermission{}
	}
	if it.Snapshot.Used == nil {
		it.Snapshot.Used = []string{}
	}
	if it.Snapshot.OpenFindings == nil {
		it.Snapshot.OpenFindings = []warden.ReviewFinding{}
	}
	doc, err := json.Marshal(it)
	if err != nil {
		return nil, fmt.Errorf("encode review item %s: %w", it.ID, err)
	}
	return []any{it.CampaignID, it.IdentityID, it.Owner, string(it.Status), string(it.Answer), itemSortKey(it), string(doc)}, nil
}

// CreateReviewCampaign implements warden.ReviewStore.
func (db *DB) CreateReviewCampaign(ctx context.Context, c *warden.ReviewCampaign, items []*warden.ReviewItem) error {
	if err := c.Validate(); err != nil {
		return err
	}
	now := db.now()
	c.ID, c.CreatedAt, c.Status, c.ClosedAt = newID(), now, warden.CampaignOpen, nil
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		busy, err := identitiesUnderReview(ctx, tx, db)
		if err != nil {
			return err
		}
		doc, err := campaignDoc(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO review_campaigns (id, status, created_at, due_at, doc) VALUES (?, ?, ?, ?, ?)"),
			c.ID, string(c.Status), micro(c.CreatedAt), micro(c.DueAt), doc); err != nil {
			return fmt.Errorf("create review campaign: %w", db.mapError(err))
		}
		c.Progress = warden.ReviewProgress{}
		taken := make([]string, 0, len(items))
		for _, it := range items {
			if busy[it.IdentityID] {
				continue
			}
			busy[it.IdentityID] = true
			if !it.Tier.Valid() {
				return warden.FieldErrorf("tier", "item tier %q is not privileged or standard", it.Tier)
			}
			it.ID, it.CampaignID, it.CreatedAt, it.Status = newID(), c.ID, now, warden.ItemPending
			row, err := itemRow(it)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO review_items (id, campaign_id, identity_id, owner, status, answer, sort_key, doc)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), append([]any{it.ID}, row...)...); err != nil {
				return fmt.Errorf("create review item: %w", db.mapError(err))
			}
			c.Progress.Add(it.Status, "", 1)
			taken = append(taken, it.IdentityID)
		}
		if len(taken) == 0 {
			return warden.Errorf(warden.ECONFLICT, "no identity is left to review: each one is due in no tier asked for or already in an open review")
		}
		return db.appendAudit(ctx, tx, auditEntry{action: "review.start", targetType: "review_campaign", targetID: c.ID,
			after: map[string]any{"campaign": c, "identities": taken}})
	})
}

// identitiesUnderReview returns the identities with an open item.
func identitiesUnderReview(ctx context.Context, q querier, db *DB) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT identity_id FROM review_items WHERE status IN (?, ?)"), string(warden.ItemPending), string(warden.ItemEscalated))
	if err != nil {
		return nil, fmt.Errorf("find identities under review: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find identities under review: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// FindReviewCampaign implements warden.ReviewStore.
func (db *DB) FindReviewCampaign(ctx context.Context, id string) (*warden.ReviewCampaign, error) {
	c, err := findCampaign(ctx, db.db, db, id, false)
	if err != nil {
		return nil, err
	}
	return c, db.countProgress(ctx, db.db, c)
}

func findCampaign(ctx context.Context, q querier, db *DB, id string, forUpdate bool) (*warden.ReviewCampaign, error) {
	query := "SELECT doc FROM review_campaigns WHERE id = ?"
	if forUpdate && db.dialect.name() == "postgres" {
		query += " FOR UPDATE"
	}
	c, err := scanCampaign(q.QueryRowContext(ctx, db.q(query), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "review campaign %q not found", clipID(id))
	} else if err != nil {
		return nil, fmt.Errorf("find review campaign: %w", err)
	}
	return c, nil
}

// countProgress fills c.Progress from its items.
func (db *DB) countProgress(ctx context.Context, q querier, c *warden.ReviewCampaign) error {
	rows, err := q.QueryContext(ctx, db.q("SELECT status, answer, COUNT(*) FROM review_items WHERE campaign_id = ? GROUP BY status, answer"), c.ID)
	if err != nil {
		return fmt.Errorf("count review progress: %w", err)
	}
	defer rows.Close()
	c.Progress = warden.ReviewProgress{}
	for rows.Next() {
		var status, answer string
		var n int
		if err := rows.Scan(&status, &answer, &n); err != nil {
			return fmt.Errorf("count review progress: %w", err)
		}
		c.Progress.Add(warden.ReviewItemStatus(status), warden.ReviewAnswer(answer), n)
	}
	return rows.Err()
}

// FindReviewCampaigns implements warden.ReviewStore: newest first, each
// with its progress.
func (db *DB) FindReviewCampaigns(ctx context.Context, f warden.ReviewCampaignFilter) ([]*warden.ReviewCampaign, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "review_campaigns")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	out, next, err := timePage[warden.ReviewCampaign]{
		what: "find review campaigns", from: "review_campaigns", columns: "doc", timeCol: "created_at", desc: true, sort: "review_campaigns",
		scan: scanCampaign, keyOf: func(c *warden.ReviewCampaign) (int64, string) { return micro(c.CreatedAt), c.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
	if err != nil {
		return nil, "", err
	}
	for _, c := range out {
		if err := db.countProgress(ctx, db.db, c); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// FindReviewItem implements warden.ReviewStore.
func (db *DB) FindReviewItem(ctx context.Context, id string) (*warden.ReviewItem, error) {
	return findReviewItem(ctx, db.db, db, id, false)
}

func findReviewItem(ctx context.Context, q querier, db *DB, id string, forUpdate bool) (*warden.ReviewItem, error) {
	query := "SELECT doc FROM review_items WHERE id = ?"
	if forUpdate && db.dialect.name() == "postgres" {
		query += " FOR UPDATE"
	}
	it, err := scanReviewItem(q.QueryRowContext(ctx, db.q(query), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "review item %q not found", clipID(id))
	} else if err != nil {
		return nil, fmt.Errorf("find review item: %w", err)
	}
	return it, nil
}

// FindReviewItems implements warden.ReviewStore: by owner, then identity
// name, then id.
func (db *DB) FindReviewItems(ctx context.Context, f warden.ReviewItemFilter) ([]*warden.ReviewItem, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "review_items")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.CampaignID != "" {
		c.add("campaign_id = ?", f.CampaignID)
	}
	if f.Owner != "" {
		c.add("owner = ?", f.Owner)
	}
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	if f.Open {
		c.add("status IN (?, ?)", string(warden.ItemPending), string(warden.ItemEscalated))
	}
	if cur != nil {
		c.add("(sort_key > ? OR (sort_key = ? AND id > ?))", cur.Str, cur.Str, cur.ID)
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT doc FROM review_items"+whereClause(c.terms)+
		" ORDER BY sort_key, id LIMIT "+strconv.Itoa(f.Limit+1)), c.args...)
	if err != nil {
		return nil, "", fmt.Errorf("find review items: %w", err)
	}
	defer rows.Close()
	out := make([]*warden.ReviewItem, 0, f.Limit+1)
	for rows.Next() {
		it, err := scanReviewItem(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find review items: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find review items: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeCursor(cursor{Sort: "review_items", Str: itemSortKey(last), ID: last.ID})
	}
	return out, next, nil
}

// UpdateReviewItem implements warden.ReviewStore. The writers' lock is
// taken before the read, so two answers to one item (or an answer and
// the sweep) are applied one after the other, never one over the other.
func (db *DB) UpdateReviewItem(ctx context.Context, id, action string, fn func(c *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error)) (*warden.ReviewItem, error) {
	var out *warden.ReviewItem
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findReviewItem(ctx, tx, db, id, true)
		if err != nil {
			return err
		}
		campaign, err := findCampaign(ctx, tx, db, before.CampaignID, true)
		if err != nil {
			return err
		}
		after, err := copyReviewItem(before)
		if err != nil {
			return err
		}
		upd, err := fn(campaign, after)
		if err != nil {
			return err
		}
		if !after.Status.Valid() {
			return fmt.Errorf("update review item %s: status %q is not valid", id, after.Status)
		}
		after.ID, after.CampaignID, after.IdentityID, after.CreatedAt = before.ID, before.CampaignID, before.IdentityID, before.CreatedAt
		row, err := itemRow(after)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE review_items SET campaign_id = ?, identity_id = ?, owner = ?, status = ?, answer = ?,
			sort_key = ?, doc = ? WHERE id = ?`), append(row, id)...); err != nil {
			return fmt.Errorf("update review item %s: %w", id, err)
		}
		if upd != nil {
			if err := upd.Validate(); err != nil {
				return err
			}
			if !upd.Empty() {
				if _, err := db.updateIdentity(ctx, tx, after.IdentityID, *upd); err != nil {
					return err
				}
			}
		}
		out = after
		if err := db.appendAudit(ctx, tx, auditEntry{action: action, targetType: "review_item", targetID: id, before: before, after: after}); err != nil {
			return err
		}
		return db.closeIfDone(ctx, tx, campaign)
	})
	return out, err
}

// closeIfDone closes an open campaign none of whose items is open.
func (db *DB) closeIfDone(ctx context.Context, tx *sql.Tx, c *warden.ReviewCampaign) error {
	if c.Status != warden.CampaignOpen {
		return nil
	}
	var open int
	if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM review_items WHERE campaign_id = ? AND status IN (?, ?)"),
		c.ID, string(warden.ItemPending), string(warden.ItemEscalated)).Scan(&open); err != nil {
		return fmt.Errorf("close review campaign %s: %w", c.ID, err)
	}
	if open > 0 {
		return nil
	}
	before := *c
	now := db.now()
	c.Status, c.ClosedAt = warden.CampaignClosed, &now
	doc, err := campaignDoc(c)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.q("UPDATE review_campaigns SET status = ?, doc = ? WHERE id = ?"), string(c.Status), doc, c.ID); err != nil {
		return fmt.Errorf("close review campaign %s: %w", c.ID, err)
	}
	if err := db.countProgress(ctx, tx, c); err != nil {
		return err
	}
	return db.appendAudit(ctx, tx, auditEntry{action: "review.close", targetType: "review_campaign", targetID: c.ID, before: &before, after: c})
}

// copyReviewItem deep-copies it through its JSON form.
func copyReviewItem(it *warden.ReviewItem) (*warden.ReviewItem, error) {
	b, err := json.Marshal(it)
	if err != nil {
		return nil, fmt.Errorf("copy review item: %w", err)
	}
	var out warden.ReviewItem
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy review item: %w", err)
	}
	return &out, nil
}
