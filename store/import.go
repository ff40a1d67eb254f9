package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"

	"github.com/warden-nhi/warden"
)

// importChunk bounds how many external ids one lookup query carries.
const importChunk = 500

// ImportIdentities upserts identities keyed by provider and external id in
// one transaction, with one audit record per created or changed identity.
//
// Merge rules, so that what people set in warden survives re-imports: kind
// and name follow the source; owner, purpose, environment and review date
// are taken from the source only while warden has none; labels from the
// source overwrite the same keys and keep the others; an identity once
// managed stays managed; first-seen keeps the earliest and last-used the
// latest time; status is never changed by an import.
func (db *DB) ImportIdentities(ctx context.Context, in []*warden.Identity) (warden.ImportResult, error) {
	var res warden.ImportResult
	if err := prepareImport(in); err != nil {
		return res, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = db.importIdentitiesTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return warden.ImportResult{}, err
	}
	return res, nil
}

// prepareImport validates identities to import, rejects duplicates and
// truncates their times to the stored precision.
func prepareImport(in []*warden.Identity) error {
	seen := make(map[[2]string]bool, len(in))
	for n, i := range in {
		if err := i.Validate(); err != nil {
			return fmt.Errorf("identity %d (%s): %w", n, i.ExternalID, err)
		}
		key := [2]string{string(i.Provider), i.ExternalID}
		if seen[key] {
			return warden.Errorf(warden.EINVALID, "identity %d: provider %s external id %q appears twice in the import", n, i.Provider, i.ExternalID)
		}
		seen[key] = true
		i.FirstSeenAt, i.LastUsedAt, i.NextReviewAt = truncPtr(i.FirstSeenAt), truncPtr(i.LastUsedAt), truncPtr(i.NextReviewAt)
	}
	return nil
}

// importIdentitiesTx upserts identities already validated by the caller
// inside tx, auditing each change, and sets their ids and stored fields.
func (db *DB) importIdentitiesTx(ctx context.Context, tx *sql.Tx, in []*warden.Identity) (warden.ImportResult, error) {
	var res warden.ImportResult
	existing, err := db.findByExternalIDs(ctx, tx, in)
	if err == nil && db.dialect.name() == "postgres" {
		// The lookup above needs a plan made for its actual ids (sessions
		// force custom plans, see postgres_config.go); the multi-row INSERTs
		// below have one plan whatever the values, so let PostgreSQL cache
		// it for the rest of this transaction instead of planning thousands
		// of parameters per statement (about 10% of a 100k import).
		_, err = tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = auto")
	}
	if err != nil {
		return res, err
	}
	now := db.now()
	var create []*warden.Identity
	var entries []auditEntry
	for _, i := range in {
		old, ok := existing[[2]string{string(i.Provider), i.ExternalID}]
		if !ok {
			created := *i
			created.ID, created.CreatedAt, created.UpdatedAt = newID(), now, now
			i.ID, i.CreatedAt, i.UpdatedAt = created.ID, now, now
			create = append(create, &created)
			entries = append(entries, auditEntry{action: "identity.create", targetType: "identity", targetID: created.ID, after: &created})
			res.Created++
			continue
		}
		merged := mergeImported(old, i)
		if identityEqual(old, merged) {
			*i = *old
			res.Unchanged++
			continue
		}
		merged.UpdatedAt = now
		if err := db.writeIdentity(ctx, tx, merged, !maps.Equal(old.Labels, merged.Labels)); err != nil {
			return res, fmt.Errorf("import: update %s: %w", old.ID, err)
		}
		*i = *merged
		entries = append(entries, auditEntry{action: "identity.update", targetType: "identity", targetID: old.ID, before: old, after: merged})
		res.Updated++
	}
	if err := db.insertIdentities(ctx, tx, create); err != nil {
		return res, fmt.Errorf("import: insert: %w", err)
	}
	return res, db.appendAudit(ctx, tx, entries...)
}

// findByExternalIDs loads the existing identities matching the import's
// provider and external id pairs, a chunk of ids per query.
func (db *DB) findByExternalIDs(ctx context.Context, tx *sql.Tx, in []*warden.Identity) (map[[2]string]*warden.Identity, error) {
	byProvider := map[warden.Provider][]string{}
	for _, i := range in {
		byProvider[i.Provider] = append(byProvider[i.Provider], i.ExternalID)
	}
	out := make(map[[2]string]*warden.Identity)
	for provider, ids := range byProvider {
		for start := 0; start < len(ids); start += importChunk {
			chunk := ids[start:min(start+importChunk, len(ids))]
			args := make([]any, 0, len(chunk)+1)
			args = append(args, string(provider))
			for _, id := range chunk {
				args = append(args, id)
			}
			rows, err := tx.QueryContext(ctx, db.q("SELECT "+identityColumns+" FROM identities WHERE provider = ? AND external_id IN ("+placeholders(len(chunk))+")"), args...)
			if err != nil {
				return nil, fmt.Errorf("import: look up existing identities: %w", err)
			}
			for rows.Next() {
				i, err := scanIdentity(rows)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("import: look up existing identities: %w", err)
				}
				out[[2]string{string(i.Provider), i.ExternalID}] = i
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("import: look up existing identities: %w", err)
			}
		}
	}
	return out, nil
}

func mergeImported(old, in *warden.Identity) *warden.Identity {
	m := *old
	m.Kind, m.Name = in.Kind, in.Name
	if m.Owner == "" {
		m.Owner = in.Owner
	}
	if m.Purpose == "" {
		m.Purpose = in.Purpose
	}
	if m.Environment == "" {
		m.Environment = in.Environment
	}
	if m.NextReviewAt == nil {
		m.NextReviewAt = in.NextReviewAt
	}
	m.Labels = maps.Clone(old.Labels)
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	maps.Copy(m.Labels, in.Labels)
	m.Managed = old.Managed || in.Managed
	if in.FirstSeenAt != nil && (m.FirstSeenAt == nil || in.FirstSeenAt.Before(*m.FirstSeenAt)) {
		m.FirstSeenAt = in.FirstSeenAt
	}
	if in.LastUsedAt != nil && (m.LastUsedAt == nil || in.LastUsedAt.After(*m.LastUsedAt)) {
		m.LastUsedAt = in.LastUsedAt
	}
	return &m
}
