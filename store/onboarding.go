package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.OnboardingStore = (*DB)(nil)

// Onboarding requests are stored whole as JSON (doc), with the fields
// listings filter on beside it as columns. The identity and registration
// entry an approval creates are written in the request's transaction, so
// a request is approved exactly when its identity exists.

const onboardingColumns = "doc"

var scanOnboarding = scanDoc[warden.OnboardingRequest]("onboarding request")

// onboardingRow is the column values of a request, doc last.
func onboardingRow(r *warden.OnboardingRequest) ([]any, error) {
	if r.Approvals == nil {
		r.Approvals = []warden.OnboardingApproval{}
	}
	if r.Permissions == nil {
		r.Permissions = []string{}
	}
	if r.Labels == nil {
		r.Labels = map[string]string{}
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode onboarding request %s: %w", r.ID, err)
	}
	return []any{string(r.Type), string(r.Status), r.IdentityID, micro(r.CreatedAt), string(doc)}, nil
}

// CreateOnboardingRequest implements warden.OnboardingStore.
func (db *DB) CreateOnboardingRequest(ctx context.Context, r *warden.OnboardingRequest, action string, effect *warden.OnboardingEffect) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if !r.Status.Valid() {
		return warden.FieldErrorf("status", "status %q is not one of pending, approved, denied", r.Status)
	}
	if err := validateEffect(effect); err != nil {
		return err
	}
	id, created := newID(), db.now().UTC().Truncate(time.Microsecond)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		r.ID, r.CreatedAt = id, created
		entries, err := db.applyOnboarding(ctx, tx, r, effect)
		if err != nil {
			return err
		}
		row, err := onboardingRow(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO onboarding_requests (id, type, status, identity_id, created_at, doc)
			VALUES (?, ?, ?, ?, ?, ?)`), append([]any{r.ID}, row...)...); err != nil {
			return fmt.Errorf("create onboarding request: %w", db.mapError(err))
		}
		entries = append([]auditEntry{{action: action, targetType: "onboarding_request", targetID: r.ID, after: r}}, entries...)
		return db.appendAudit(ctx, tx, entries...)
	})
}

// validateEffect checks what an effect would create before any write.
func validateEffect(e *warden.OnboardingEffect) error {
	if e == nil {
		return nil
	}
	if e.Create != nil && e.Claim != nil {
		return warden.Errorf(warden.EINVALID, "an onboarding creates an identity or claims one, not both")
	}
	if e.Create != nil {
		if err := e.Create.Validate(); err != nil {
			return err
		}
	}
	if e.Entry != nil {
		if e.Create == nil {
			return warden.Errorf(warden.EINVALID, "a registration entry is created only with its new identity")
		}
		e.Entry.IdentityID = "pending"
		if err := e.Entry.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// applyOnboarding writes the effect of r in tx: the new identity and its
// entry, or the claimed identity's update; it records their ids on r and
// returns their audit entries.
func (db *DB) applyOnboarding(ctx context.Context, tx *sql.Tx, r *warden.OnboardingRequest, e *warden.OnboardingEffect) ([]auditEntry, error) {
	if e == nil {
		return nil, nil
	}
	var out []auditEntry
	if e.Create != nil {
		// The request id of a request approved at once is known only
		// now, inside the transaction.
		e.Create.Labels[warden.LabelOnboardingRequest] = r.ID
		entry, err := db.createIdentityTx(ctx, tx, e.Create)
		if err != nil {
			return nil, fmt.Errorf("create the identity of onboarding request %s: %w", r.ID, err)
		}
		r.IdentityID = e.Create.ID
		out = append(out, entry)
		if e.Entry != nil {
			e.Entry.IdentityID = e.Create.ID
			audit, err := db.createEntryTx(ctx, tx, e.Entry)
			if err != nil {
				return nil, fmt.Errorf("create the registration entry of onboarding request %s: %w", r.ID, err)
			}
			r.EntryID = e.Entry.ID
			out = append(out, audit)
		}
	}
	if e.Claim != nil {
		before, err := findIdentityByID(ctx, tx, db, r.IdentityID)
		if err != nil {
			return nil, fmt.Errorf("claim identity %s: %w", r.IdentityID, err)
		}
		if before.Managed {
			return nil, warden.Errorf(warden.ECONFLICT, "identity %s is onboarded already (owner %q): deny this claim, or change the owner on the identity", before.ID, before.Owner)
		}
		upd := e.Claim(before)
		if upd.Labels != nil {
			// The request id of a claim approved at once is known only now.
			(*upd.Labels)[warden.LabelOnboardingRequest] = r.ID
		}
		if err := upd.Validate(); err != nil {
			return nil, err
		}
		// updateIdentity appends its own audit record (identity.update).
		if _, err := db.updateIdentity(ctx, tx, before.ID, upd); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FindOnboardingRequest implements warden.OnboardingStore.
func (db *DB) FindOnboardingRequest(ctx context.Context, id string) (*warden.OnboardingRequest, error) {
	return findOnboarding(ctx, db.db, db, id, false)
}

func findOnboarding(ctx context.Context, q querier, db *DB, id string, forUpdate bool) (*warden.OnboardingRequest, error) {
	query := "SELECT " + onboardingColumns + " FROM onboarding_requests WHERE id = ?"
	if forUpdate && db.dialect.name() == "postgres" {
		query += " FOR UPDATE"
	}
	r, err := scanOnboarding(q.QueryRowContext(ctx, db.q(query), id))
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "onboarding request %q not found", clipID(id))
	} else if err != nil {
		return nil, fmt.Errorf("find onboarding request: %w", err)
	}
	return r, nil
}

// FindOnboardingRequests implements warden.OnboardingStore: newest first.
func (db *DB) FindOnboardingRequests(ctx context.Context, f warden.OnboardingFilter) ([]*warden.OnboardingRequest, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(f.Cursor, "onboarding_requests")
	if err != nil {
		return nil, "", err
	}
	var c conditions
	if f.Type != "" {
		c.add("type = ?", string(f.Type))
	}
	if f.Status != "" {
		c.add("status = ?", string(f.Status))
	}
	if f.IdentityID != "" {
		c.add("identity_id = ?", f.IdentityID)
	}
	return timePage[warden.OnboardingRequest]{
		what: "find onboarding requests", from: "onboarding_requests", columns: onboardingColumns, timeCol: "created_at", desc: true, sort: "onboarding_requests",
		scan: scanOnboarding, keyOf: func(r *warden.OnboardingRequest) (int64, string) { return micro(r.CreatedAt), r.ID }, pageSize: f.Limit,
	}.find(ctx, db, c, cur)
}

// UpdateOnboardingRequest implements warden.OnboardingStore. The writers'
// lock is taken before the read, so two approvers answering at once are
// applied one after the other, never one over the other, and an identity
// is created at most once.
func (db *DB) UpdateOnboardingRequest(ctx context.Context, id, action string, fn func(r *warden.OnboardingRequest) (*warden.OnboardingEffect, error)) (*warden.OnboardingRequest, error) {
	var out *warden.OnboardingRequest
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.dialect.lockWriters(ctx, tx); err != nil {
			return err
		}
		before, err := findOnboarding(ctx, tx, db, id, true)
		if err != nil {
			return err
		}
		after, err := copyOnboarding(before)
		if err != nil {
			return err
		}
		effect, err := fn(after)
		if err != nil {
			return err
		}
		after.ID, after.CreatedAt, after.Type = before.ID, before.CreatedAt, before.Type
		if err := after.Validate(); err != nil {
			return err
		}
		if err := validateEffect(effect); err != nil {
			return err
		}
		entries, err := db.applyOnboarding(ctx, tx, after, effect)
		if err != nil {
			return err
		}
		row, err := onboardingRow(after)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE onboarding_requests SET type = ?, status = ?, identity_id = ?, created_at = ?, doc = ? WHERE id = ?`),
			append(row, id)...); err != nil {
			return fmt.Errorf("update onboarding request %s: %w", id, err)
		}
		out = after
		entries = append([]auditEntry{{action: action, targetType: "onboarding_request", targetID: id, before: before, after: after}}, entries...)
		return db.appendAudit(ctx, tx, entries...)
	})
	return out, err
}

// copyOnboarding deep-copies r through its JSON form.
func copyOnboarding(r *warden.OnboardingRequest) (*warden.OnboardingRequest, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("copy onboarding request: %w", err)
	}
	var out warden.OnboardingRequest
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy onboarding request: %w", err)
	}
	return &out, nil
}
