package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/warden-nhi/warden"
)

// validateSeenCredentials checks the credentials of an activity batch.
func validateSeenCredentials(in []*warden.ImportedCredential) error {
	for n, ic := range in {
		c := &ic.Credential
		if err := c.Validate(); err != nil {
			return fmt.Errorf("credential %d (%s): %w", n, c.PublicID, err)
		}
		if c.PublicID == "" {
			return warden.FieldErrorf("public_id", "credential %d: credentials seen in activity need a public id", n)
		}
		c.ExpiresAt, c.LastRotatedAt, c.LastUsedAt = truncPtr(c.ExpiresAt), truncPtr(c.LastRotatedAt), truncPtr(c.LastUsedAt)
	}
	return nil
}

// recordSeenCredentials creates the credentials of an activity batch that
// are not recorded yet, for identities that exist and are not
// deprovisioned; one already recorded (same type and public id, or same
// fingerprint), even on another identity, is left alone. ids maps the
// batch's (provider, external id) pairs to identity ids; references
// outside it are looked up. It returns how many were created, each
// audited.
func (db *DB) recordSeenCredentials(ctx context.Context, tx *sql.Tx, in []*warden.ImportedCredential, ids map[[2]string]string) (int, error) {
	if len(in) == 0 {
		return 0, nil
	}
	var missing []*warden.Identity
	for _, ic := range in {
		key := [2]string{string(ic.Identity.Provider), ic.Identity.ExternalID}
		if _, ok := ids[key]; !ok {
			ids[key] = ""
			missing = append(missing, &warden.Identity{Provider: ic.Identity.Provider, ExternalID: ic.Identity.ExternalID})
		}
	}
	if len(missing) > 0 {
		found, err := db.findByExternalIDs(ctx, tx, missing)
		if err != nil {
			return 0, err
		}
		for key, i := range found {
			ids[key] = i.ID
		}
	}
	cols := credentialInsertColumns
	query := db.q("INSERT INTO credentials (" + credentialColumns + ") SELECT " + placeholders(len(cols)) +
		" WHERE EXISTS (SELECT 1 FROM identities WHERE id = ? AND status <> 'deprovisioned') ON CONFLICT DO NOTHING")
	now := db.now()
	created := 0
	for _, ic := range in {
		identityID := ids[[2]string{string(ic.Identity.Provider), ic.Identity.ExternalID}]
		if identityID == "" {
			continue
		}
		c := ic.Credential
		c.ID, c.IdentityID, c.CreatedAt, c.UpdatedAt = newID(), identityID, now, now
		r, err := tx.ExecContext(ctx, query, append(credentialRow(&c), identityID)...)
		if err != nil {
			return 0, fmt.Errorf("record credential %s seen in activity: %w", c.PublicID, db.mapError(err))
		}
		if n, _ := r.RowsAffected(); n == 0 {
			continue
		}
		created++
		if err := db.appendAudit(ctx, tx, auditEntry{action: "credential.create", targetType: "credential", targetID: c.ID, after: &c}); err != nil {
			return 0, err
		}
	}
	return created, nil
}
