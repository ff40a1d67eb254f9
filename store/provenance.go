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

var _ warden.ProvenanceStore = (*DB)(nil)

// RecordProvenance implements warden.ProvenanceStore. Records are logs of
// what activity logs said, not changes to warden's state, so they are not
// audited; a record already stored (same source, event, identity and
// credential) is skipped. The created identities are resolved with one
// query per chunk of distinct external ids and the records written with
// multi-row inserts, so an import pays a few statements per batch, not
// two per record.
func (db *DB) RecordProvenance(ctx context.Context, records []*warden.Provenance) error {
	if len(records) == 0 {
		return nil
	}
	for i, r := range records {
		if err := validateProvenance(r); err != nil {
			return fmt.Errorf("provenance record %d: %w", i, err)
		}
	}
	docs := make([]string, len(records))
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.resolveProvenanceIdentities(ctx, tx, records); err != nil {
			return err
		}
		for i, r := range records {
			r.ID = newID()
			r.Time = r.Time.UTC().Truncate(time.Microsecond)
			doc, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode provenance: %w", err)
			}
			docs[i] = string(doc)
		}
		_, err := db.insertBatch(ctx, tx, "provenance", provenanceInsertColumns,
			" ON CONFLICT (source, event_id, identity_external_id, credential_external_id) DO NOTHING", len(records), func(i int) []any {
				r := records[i]
				return []any{r.ID, r.Source, r.EventID, string(r.Provider), r.IdentityExternalID, r.IdentityID, r.CredentialExternalID,
					strings.ToLower(r.Creator), strings.ToLower(r.CreatorRef), micro(r.Time), docs[i]}
			})
		if err != nil {
			return fmt.Errorf("record provenance: %w", err)
		}
		return nil
	})
}

// provenanceInsertColumns are the columns RecordProvenance writes.
var provenanceInsertColumns = []string{"id", "source", "event_id", "provider", "identity_external_id", "identity_id",
	"credential_external_id", "creator_key", "creator_ref_key", "time", "doc"}

// provenanceLookupChunk is how many external ids one identity lookup of
// RecordProvenance asks for.
const provenanceLookupChunk = 500

// resolveProvenanceIdentities fills the IdentityID of records that lack
// it from the inventory (by provider and external id); identities not in
// the inventory stay unresolved.
func (db *DB) resolveProvenanceIdentities(ctx context.Context, tx *sql.Tx, records []*warden.Provenance) error {
	type key struct{ provider, externalID string }
	found := map[key]string{}
	var ids []string
	seen := map[string]bool{}
	for _, r := range records {
		if r.IdentityID == "" && !seen[r.IdentityExternalID] {
			seen[r.IdentityExternalID] = true
			ids = append(ids, r.IdentityExternalID)
		}
	}
	for start := 0; start < len(ids); start += provenanceLookupChunk {
		chunk := ids[start:min(start+provenanceLookupChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, db.q("SELECT provider, external_id, id FROM identities WHERE external_id IN ("+placeholders(len(chunk))+")"), args...)
		if err != nil {
			return fmt.Errorf("record provenance: resolve identities: %w", err)
		}
		for rows.Next() {
			var k key
			var id string
			if err := rows.Scan(&k.provider, &k.externalID, &id); err != nil {
				rows.Close()
				return fmt.Errorf("record provenance: resolve identities: %w", err)
			}
			found[k] = id
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("record provenance: resolve identities: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("record provenance: resolve identities: %w", err)
		}
	}
	for _, r := range records {
		if r.IdentityID == "" {
			r.IdentityID = found[key{string(r.Provider), r.IdentityExternalID}]
		}
	}
	return nil
}

func validateProvenance(r *warden.Provenance) error {
	switch {
	case r.Source == "" || r.EventID == "":
		return warden.FieldErrorf("event_id", "a provenance record needs its source and event id")
	case !r.Provider.Valid():
		return warden.FieldErrorf("provider", "provider %q is not a valid provider name", r.Provider)
	case r.IdentityExternalID == "" || len(r.IdentityExternalID) > warden.MaxExternalIDLen:
		return warden.FieldErrorf("identity_external_id", "the created identity's external id must be 1-%d bytes", warden.MaxExternalIDLen)
	case r.Creator == "" && r.CreatorRef == "":
		return warden.FieldErrorf("creator", "a provenance record needs its creator")
	case r.Time.IsZero():
		return warden.FieldErrorf("time", "a provenance record needs the event's time")
	}
	return nil
}

// FindProvenance implements warden.ProvenanceStore. Records whose identity
// was not in the inventory when they were stored are resolved now.
func (db *DB) FindProvenance(ctx context.Context, f warden.ProvenanceFilter) ([]*warden.Provenance, error) {
	if f.IdentityID == "" && f.Creator == "" {
		return nil, warden.FieldErrorf("identity", "name an identity or a creator")
	}
	if f.Limit <= 0 || f.Limit > warden.MaxPageSize {
		f.Limit = warden.MaxPageSize
	}
	var c conditions
	if f.IdentityID != "" {
		c.add("(p.identity_id = ? OR (p.identity_id = '' AND i.id = ?))", f.IdentityID, f.IdentityID)
	}
	if f.Creator != "" {
		key := strings.ToLower(f.Creator)
		c.add("(p.creator_key = ? OR p.creator_ref_key = ?)", key, key)
	}
	query := "SELECT p.doc, COALESCE(i.id, '') FROM provenance p LEFT JOIN identities i ON p.identity_id = '' AND i.provider = p.provider AND i.external_id = p.identity_external_id" +
		whereClause(c.terms) + " ORDER BY p.time, p.id LIMIT " + strconv.Itoa(f.Limit)
	rows, err := db.db.QueryContext(ctx, db.q(query), c.args...)
	if err != nil {
		return nil, fmt.Errorf("find provenance: %w", err)
	}
	defer rows.Close()
	out := []*warden.Provenance{}
	for rows.Next() {
		var doc, resolved string
		if err := rows.Scan(&doc, &resolved); err != nil {
			return nil, fmt.Errorf("find provenance: %w", err)
		}
		var p warden.Provenance
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			return nil, fmt.Errorf("decode provenance: %w", err)
		}
		if p.IdentityID == "" {
			p.IdentityID = resolved
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}
