package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/warden-nhi/warden"
)

var _ warden.InventoryImporter = (*DB)(nil)

// ImportInventory stores an importer's batch in one transaction:
// identities first (merged as ImportIdentities does), then the grant sets
// from batch.Source, then credentials. Every change is audited.
func (db *DB) ImportInventory(ctx context.Context, batch warden.InventoryBatch) (warden.InventoryResult, error) {
	var res warden.InventoryResult
	if batch.Source == "" {
		return res, warden.FieldErrorf("source", "an import source is required")
	}
	if err := prepareImport(batch.Identities); err != nil {
		return res, err
	}
	sets := make(map[warden.IdentityRef][]*warden.Grant, len(batch.Grants))
	for _, ig := range batch.Grants {
		if _, dup := sets[ig.Identity]; dup {
			return res, warden.Errorf(warden.EINVALID, "grants of %s %q are listed twice in the import", ig.Identity.Provider, ig.Identity.ExternalID)
		}
		if len(ig.Grants) > maxGrantsPerIdentity {
			return res, warden.FieldErrorf("grants", "%s has more than %d grants", ig.Identity.ExternalID, maxGrantsPerIdentity)
		}
		for n, g := range ig.Grants {
			if err := validateGrant(g, batch.Source); err != nil {
				return res, fmt.Errorf("grant %d of %s: %w", n, ig.Identity.ExternalID, err)
			}
		}
		sets[ig.Identity] = ig.Grants
	}
	for n, ic := range batch.Credentials {
		c := &ic.Credential
		if err := c.Validate(); err != nil {
			return res, fmt.Errorf("credential %d (%s): %w", n, c.PublicID, err)
		}
		if c.PublicID == "" {
			return res, warden.FieldErrorf("public_id", "credential %d: imported credentials need a public id", n)
		}
		c.ExpiresAt, c.LastRotatedAt, c.LastUsedAt = truncPtr(c.ExpiresAt), truncPtr(c.LastRotatedAt), truncPtr(c.LastUsedAt)
	}

	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if res.Identities, err = db.importIdentitiesTx(ctx, tx, batch.Identities); err != nil {
			return err
		}
		ids, err := db.resolveRefs(ctx, tx, batch)
		if err != nil {
			return err
		}
		byID := make(map[string][]*warden.Grant, len(sets))
		for ref, grants := range sets {
			byID[ids[ref]] = grants
		}
		if res.Grants, err = db.replaceGrantsTx(ctx, tx, batch.Source, byID); err != nil {
			return err
		}
		res.Credentials, err = db.importCredentialsTx(ctx, tx, batch.Credentials, ids)
		return err
	})
	if err != nil {
		return warden.InventoryResult{}, err
	}
	return res, nil
}

// resolveRefs maps every identity reference of the batch to an id: from
// the batch's identities (already stored) or from the inventory. A
// reference to an identity that exists nowhere is EINVALID.
func (db *DB) resolveRefs(ctx context.Context, tx *sql.Tx, batch warden.InventoryBatch) (map[warden.IdentityRef]string, error) {
	ids := make(map[warden.IdentityRef]string, len(batch.Identities))
	for _, i := range batch.Identities {
		ids[warden.IdentityRef{Provider: i.Provider, ExternalID: i.ExternalID}] = i.ID
	}
	var missing []*warden.Identity
	want := func(ref warden.IdentityRef) {
		if _, ok := ids[ref]; !ok {
			ids[ref] = ""
			missing = append(missing, &warden.Identity{Provider: ref.Provider, ExternalID: ref.ExternalID})
		}
	}
	for _, ig := range batch.Grants {
		want(ig.Identity)
	}
	for _, ic := range batch.Credentials {
		want(ic.Identity)
	}
	if len(missing) == 0 {
		return ids, nil
	}
	found, err := db.findByExternalIDs(ctx, tx, missing)
	if err != nil {
		return nil, err
	}
	for _, m := range missing {
		i, ok := found[[2]string{string(m.Provider), m.ExternalID}]
		if !ok {
			return nil, warden.Errorf(warden.EINVALID, "the import refers to %s identity %q, which is neither in the import nor in the inventory", m.Provider, m.ExternalID)
		}
		ids[warden.IdentityRef{Provider: m.Provider, ExternalID: m.ExternalID}] = i.ID
	}
	return ids, nil
}

// importCredentialsTx upserts credentials keyed by type and public id.
func (db *DB) importCredentialsTx(ctx context.Context, tx *sql.Tx, in []*warden.ImportedCredential, ids map[warden.IdentityRef]string) (warden.ImportResult, error) {
	var res warden.ImportResult
	if len(in) == 0 {
		return res, nil
	}
	existing, err := db.findCredentialsByPublicID(ctx, tx, in)
	if err != nil {
		return res, err
	}
	now := db.now()
	var create []*warden.Credential
	var entries []auditEntry
	seen := map[[2]string]bool{}
	for n, ic := range in {
		c := ic.Credential
		c.IdentityID = ids[ic.Identity]
		key := [2]string{string(c.Type), c.PublicID}
		if seen[key] {
			return res, warden.Errorf(warden.EINVALID, "credential %d: type %s public id %q appears twice in the import", n, c.Type, c.PublicID)
		}
		seen[key] = true
		old, ok := existing[key]
		if !ok {
			c.ID, c.CreatedAt, c.UpdatedAt = newID(), now, now
			create = append(create, &c)
			entries = append(entries, auditEntry{action: "credential.create", targetType: "credential", targetID: c.ID, after: &c})
			res.Created++
			continue
		}
		if old.IdentityID != c.IdentityID {
			return res, warden.Errorf(warden.ECONFLICT, "credential %d: %s %q already belongs to identity %s, not %s %q", n, c.Type, c.PublicID, old.IdentityID, ic.Identity.Provider, ic.Identity.ExternalID)
		}
		merged := mergeCredential(old, &c)
		if credentialEqual(old, merged) {
			res.Unchanged++
			continue
		}
		merged.UpdatedAt = now
		if err := db.writeCredential(ctx, tx, merged); err != nil {
			return res, fmt.Errorf("import credential %s: %w", old.ID, err)
		}
		entries = append(entries, auditEntry{action: "credential.update", targetType: "credential", targetID: old.ID, before: old, after: merged})
		res.Updated++
	}
	if err := db.insertRows(ctx, tx, "credentials", credentialInsertColumns, len(create), func(i int) []any {
		return credentialRow(create[i])
	}); err != nil {
		return res, fmt.Errorf("import credentials: %w", err)
	}
	return res, db.appendAudit(ctx, tx, entries...)
}

// mergeCredential applies an imported credential to the stored one.
func mergeCredential(old, in *warden.Credential) *warden.Credential {
	m := *old
	m.Status = in.Status
	if m.Description == "" {
		m.Description = in.Description
	}
	if m.Fingerprint == "" {
		m.Fingerprint = in.Fingerprint
	}
	if in.ExpiresAt != nil {
		m.ExpiresAt = in.ExpiresAt
	}
	if in.LastRotatedAt != nil {
		m.LastRotatedAt = in.LastRotatedAt
	}
	if in.LastUsedAt != nil && (m.LastUsedAt == nil || in.LastUsedAt.After(*m.LastUsedAt)) {
		m.LastUsedAt = in.LastUsedAt
	}
	return &m
}

// findCredentialsByPublicID loads the stored credentials with the import's
// type and public id pairs.
func (db *DB) findCredentialsByPublicID(ctx context.Context, tx *sql.Tx, in []*warden.ImportedCredential) (map[[2]string]*warden.Credential, error) {
	byType := map[warden.CredentialType][]string{}
	for _, ic := range in {
		byType[ic.Credential.Type] = append(byType[ic.Credential.Type], ic.Credential.PublicID)
	}
	out := map[[2]string]*warden.Credential{}
	for typ, pids := range byType {
		for start := 0; start < len(pids); start += importChunk {
			chunk := pids[start:min(start+importChunk, len(pids))]
			args := []any{string(typ)}
			for _, p := range chunk {
				args = append(args, p)
			}
			rows, err := tx.QueryContext(ctx, db.q("SELECT "+credentialColumns+" FROM credentials WHERE type = ? AND public_id IN ("+placeholders(len(chunk))+")"), args...)
			if err != nil {
				return nil, fmt.Errorf("import: look up credentials: %w", err)
			}
			for rows.Next() {
				c, err := scanCredential(rows)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("import: look up credentials: %w", err)
				}
				out[[2]string{string(c.Type), c.PublicID}] = c
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("import: look up credentials: %w", err)
			}
		}
	}
	return out, nil
}

// sortedKeys returns the keys of m in order, for deterministic writes.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
