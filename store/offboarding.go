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

var _ warden.OffboardingStore = (*DB)(nil)

// Offboardings are stored whole as JSON (doc), with the fields listings
// and the sweep filter on beside it as columns. A partial unique index
// keeps one open offboarding per person.

var scanOffboarding = scanDoc[warden.Offboarding]("offboarding")

// offboardingRow is the column values of an offboarding after its id.
func offboardingRow(o *warden.Offboarding) ([]any, error) {
	if o.Items == nil {
		o.Items = []warden.OffboardingItem{}
	}
	if o.Credentials == nil {
		o.Credentials = []warden.RotationCredential{}
	}
	doc, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode offboarding %s: %w", o.ID, err)
	}
	return []any{o.Person, string(o.Status), micro(o.Deadline), micro(o.CreatedAt), string(doc)}, nil
}

// CreateOffboarding implements warden.OffboardingStore.
func (db *DB) CreateOffboarding(ctx context.Context, o *warden.Offboarding) (*warden.Offboarding, bool, error) {
	person, err := warden.NormalisePerson("person", o.Person)
	if err != nil {
		return nil, false, err
	}
	if o.DepartedAt.IsZero() || o.Deadline.Before(o.DepartedAt) {
		return nil, false, warden.FieldErrorf("deadline", "an offboarding needs a departure time and a deadline after it")
	}
	var out *warden.Offboarding
	created := false
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		open, err := scanOffboarding(tx.QueryRowContext(ctx, db.q("SELECT doc FROM offboardings WHERE person = ? AND status = ?"), person, string(warden.OffboardingOpen)))
		if err == nil {
			out = open
			return nil
		} else if !isNoRows(err) {
			return fmt.Errorf("find open offboarding: %w", err)
		}
		now := db.now()
		n := *o
		n.ID, n.Person, n.Status, n.CreatedAt = newID(), person, warden.OffboardingOpen, now
		n.CreatedBy = warden.ActorFromContext(ctx).String()
		n.DepartedAt, n.Deadline = n.DepartedAt.UTC().Truncate(time.Microsecond), n.Deadline.UTC().Truncate(time.Microsecond)
		n.ClosedAt = nil
		n.Items = []warden.OffboardingItem{}
		n.Credentials = append([]warden.RotationCredential{}, o.Credentials...)

		owned, err := db.ownedIdentities(ctx, tx, person)
		if err != nil {
			return err
		}
		entries := make([]auditEntry, 0, len(owned)+1)
		for _, before := range owned {
			after := *before
			after.Owner, after.UpdatedAt = "", now
			after.Labels = make(map[string]string, len(before.Labels)+2)
			for k, v := range before.Labels {
				after.Labels[k] = v
			}
			after.Labels[warden.LabelOffboarding] = n.ID
			after.Labels[warden.LabelPreviousOwner] = clipLabel(person)
			if err := db.writeIdentity(ctx, tx, &after, true); err != nil {
				return fmt.Errorf("flag identity %s: %w", after.ID, err)
			}
			entries = append(entries, auditEntry{action: "identity.update", targetType: "identity", targetID: after.ID, before: before, after: &after})
			n.Items = append(n.Items, warden.OffboardingItem{
				IdentityID: before.ID, IdentityExternalID: before.ExternalID, IdentityName: before.Name,
				Provider: before.Provider, PreviousOwner: before.Owner, Status: warden.OffboardItemFlagged,
			})
		}
		creds, err := db.activeCredentialsOf(ctx, tx, owned)
		if err != nil {
			return err
		}
		n.Credentials = appendRotation(n.Credentials, creds)

		row, err := offboardingRow(&n)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO offboardings (id, person, status, deadline, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)`),
			append([]any{n.ID}, row...)...); err != nil {
			return fmt.Errorf("create offboarding: %w", db.mapError(err))
		}
		entries = append([]auditEntry{{action: "offboarding.create", targetType: "offboarding", targetID: n.ID, after: &n}}, entries...)
		out, created = &n, true
		return db.appendAudit(ctx, tx, entries...)
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// clipLabel keeps a label value within its limit.
func clipLabel(v string) string {
	if len(v) > warden.MaxLabelValueLen {
		return v[:warden.MaxLabelValueLen]
	}
	return v
}

// ownedIdentities returns the identities (not deprovisioned) whose owner
// is person, case-insensitively, in creation order. person is lower-case
// already; LOWER(owner) uses identities_owner_lower. SQLite's LOWER folds
// ASCII letters only, so there an owner written with upper-case letters
// beyond ASCII ("Élise") is not matched by its lower-case form.
func (db *DB) ownedIdentities(ctx context.Context, tx *sql.Tx, person string) ([]*warden.Identity, error) {
	rows, err := tx.QueryContext(ctx, db.q("SELECT "+identityColumns+" FROM identities WHERE owner <> '' AND LOWER(owner) = ? AND status <> ? ORDER BY created_at, id"),
		person, string(warden.StatusDeprovisioned))
	if err != nil {
		return nil, fmt.Errorf("find identities owned by %s: %w", person, err)
	}
	defer rows.Close()
	var out []*warden.Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("find identities owned by %s: %w", person, err)
		}
		if strings.EqualFold(strings.TrimSpace(i.Owner), person) {
			out = append(out, i)
		}
	}
	return out, rows.Err()
}

// activeCredentialsOf returns the active credentials of the identities,
// by identity and creation.
func (db *DB) activeCredentialsOf(ctx context.Context, tx *sql.Tx, ids []*warden.Identity) ([]*warden.Credential, error) {
	var out []*warden.Credential
	const chunk = 200
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		args := make([]any, 0, end-start+1)
		for _, i := range ids[start:end] {
			args = append(args, i.ID)
		}
		args = append(args, string(warden.CredentialActive))
		rows, err := tx.QueryContext(ctx, db.q("SELECT "+credentialColumns+" FROM credentials WHERE identity_id IN ("+placeholders(end-start)+") AND status = ? ORDER BY identity_id, created_at, id"), args...)
		if err != nil {
			return nil, fmt.Errorf("find credentials to rotate: %w", err)
		}
		for rows.Next() {
			c, err := scanCredential(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("find credentials to rotate: %w", err)
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find credentials to rotate: %w", err)
		}
	}
	return out, nil
}

// appendRotation adds the credentials not yet listed (by credential id).
func appendRotation(list []warden.RotationCredential, creds []*warden.Credential) []warden.RotationCredential {
	seen := make(map[string]bool, len(list))
	for _, r := range list {
		if r.CredentialID != "" {
			seen[r.CredentialID] = true
		}
	}
	for _, c := range creds {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		created := c.CreatedAt
		list = append(list, warden.RotationCredential{
			CredentialID: c.ID, IdentityID: c.IdentityID, PublicID: c.PublicID, Type: c.Type,
			Reason: warden.RotateOwnedIdentity, CreatedAt: &created,
		})
	}
	return list
}

// FindOffboarding implements warden.OffboardingStore.
func (db *DB) FindOffboarding(ctx context.Context, id string) (*warden.Offboarding, error) {
	return findOffboarding(ctx, db.db, db, id, false)
}

func findOffboarding(ctx context.Context, q querier, db *DB, id string, forUpdate bool) (*warden.Offboarding, error) {
	query := "SELECT doc FROM offboardings WHERE id = ?"
	if forUpdate && db.dialect.name() == "postgres" {
		query += " FOR UPDATE"
	}
	o, err := scanOffboarding(q.QueryRowContext(ctx, db.q(query), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "offboarding %q not found", clipID(id))
	} else if err != nil {
		return nil, fmt.Errorf("find offboarding: %w", err)
	}
	return o, nil
}

// FindOffboardings implements warden.OffboardingStore: newest first.
func (db *DB) FindOffboardings(ctx context.Context, f warden.OffboardingFilter) ([]*warden.Offboarding, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "offboardings")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.Person != "" {
		c.add("person = ?", f.Person)
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	return timePage[warden.Offboarding]{
		what: "find offboardings", from: "offboardings", columns: "doc", timeCol: "created_at", desc: true, sort: "offboardings",
		scan: scanOffboarding, keyOf: func(o *warden.Offboarding) (int64, string) { return micro(o.CreatedAt), o.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// FindDueOffboardings implements warden.OffboardingStore.
func (db *DB) FindDueOffboardings(ctx context.Context, t time.Time, limit int) ([]*warden.Offboarding, error) {
	if limit <= 0 || limit > warden.MaxPageSize {
		limit = warden.MaxPageSize
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT doc FROM offboardings WHERE status = 'open' AND deadline <= ? ORDER BY deadline, id LIMIT "+strconv.Itoa(limit)), micro(t))
	if err != nil {
		return nil, fmt.Errorf("find due offboardings: %w", err)
	}
	defer rows.Close()
	out := []*warden.Offboarding{}
	for rows.Next() {
		o, err := scanOffboarding(rows)
		if err != nil {
			return nil, fmt.Errorf("find due offboardings: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// UpdateOffboarding implements warden.OffboardingStore. Person, id and
// creation never change; the writers' lock is taken before the read.
func (db *DB) UpdateOffboarding(ctx context.Context, id, action string, fn func(o *warden.Offboarding) error) (*warden.Offboarding, error) {
	var out *warden.Offboarding
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findOffboarding(ctx, tx, db, id, true)
		if err != nil {
			return err
		}
		after, err := copyOffboarding(before)
		if err != nil {
			return err
		}
		if err := fn(after); err != nil {
			return err
		}
		if !after.Status.Valid() {
			return warden.FieldErrorf("status", "status %q is not one of open, closed", after.Status)
		}
		for _, it := range after.Items {
			if !it.Status.Valid() {
				return warden.FieldErrorf("items.status", "item status %q is not valid", it.Status)
			}
		}
		after.ID, after.Person, after.CreatedAt, after.CreatedBy = before.ID, before.Person, before.CreatedAt, before.CreatedBy
		row, err := offboardingRow(after)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE offboardings SET person = ?, status = ?, deadline = ?, created_at = ?, doc = ? WHERE id = ?`),
			append(row, id)...); err != nil {
			return fmt.Errorf("update offboarding %s: %w", id, db.mapError(err))
		}
		out = after
		return db.appendAudit(ctx, tx, auditEntry{action: action, targetType: "offboarding", targetID: id, before: before, after: after})
	})
	return out, err
}

// copyOffboarding deep-copies o through its JSON form.
func copyOffboarding(o *warden.Offboarding) (*warden.Offboarding, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("copy offboarding: %w", err)
	}
	var out warden.Offboarding
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy offboarding: %w", err)
	}
	return &out, nil
}
