package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/warden-nhi/warden"
)

var _ warden.GrantService = (*DB)(nil)

const grantColumns = "id, identity_id, source, position, kind, effect, actions, resources, principals, conditions, via, scope"

// Limits on grants, enforced by validateGrant.
const (
	maxGrantsPerIdentity = 10000
	maxGrantValues       = 4096
	maxGrantConditions   = 64 << 10
)

// validateGrant checks a grant from an importer and normalises it: effect
// lower case, nil lists empty, empty conditions null.
func validateGrant(g *warden.Grant, source string) error {
	switch g.Kind {
	case warden.GrantPermission, warden.GrantTrust:
	default:
		return warden.FieldErrorf("kind", "grant kind %q is not permission or trust", g.Kind)
	}
	g.Effect = strings.ToLower(g.Effect)
	if g.Effect != "allow" && g.Effect != "deny" {
		return warden.FieldErrorf("effect", "grant effect %q is not allow or deny", g.Effect)
	}
	for field, list := range map[string]*[]string{"actions": &g.Actions, "resources": &g.Resources, "principals": &g.Principals} {
		if *list == nil {
			*list = []string{}
		}
		if len(*list) > maxGrantValues {
			return warden.FieldErrorf(field, "a grant has at most %d %s, got %d", maxGrantValues, field, len(*list))
		}
		for _, v := range *list {
			if len(v) > warden.MaxExternalIDLen {
				return warden.FieldErrorf(field, "a grant's %s are at most %d bytes each", field, warden.MaxExternalIDLen)
			}
		}
	}
	if len(bytes.TrimSpace(g.Conditions)) == 0 {
		g.Conditions = json.RawMessage("null")
	}
	if len(g.Conditions) > maxGrantConditions || !json.Valid(g.Conditions) {
		return warden.FieldErrorf("conditions", "grant conditions must be valid JSON of at most %d bytes", maxGrantConditions)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, g.Conditions); err != nil {
		return warden.FieldErrorf("conditions", "grant conditions must be valid JSON")
	}
	g.Conditions = compact.Bytes()
	if len(g.Via) > warden.MaxExternalIDLen || len(g.Scope) > warden.MaxNameLen {
		return warden.FieldErrorf("via", "a grant's via is at most %d and scope %d bytes", warden.MaxExternalIDLen, warden.MaxNameLen)
	}
	g.Source = source
	return nil
}

func scanGrant(s interface{ Scan(...any) error }) (*warden.Grant, error) {
	var g warden.Grant
	var position int
	var actions, resources, principals, conditions string
	if err := s.Scan(&g.ID, &g.IdentityID, &g.Source, &position, &g.Kind, &g.Effect, &actions, &resources, &principals, &conditions, &g.Via, &g.Scope); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		dst *[]string
	}{{actions, &g.Actions}, {resources, &g.Resources}, {principals, &g.Principals}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("grant %s: decode: %w", g.ID, err)
		}
	}
	g.Conditions = json.RawMessage(conditions)
	return &g, nil
}

func grantRow(g *warden.Grant, position int) []any {
	actions, _ := json.Marshal(g.Actions)
	resources, _ := json.Marshal(g.Resources)
	principals, _ := json.Marshal(g.Principals)
	return []any{g.ID, g.IdentityID, g.Source, position, string(g.Kind), g.Effect, string(actions), string(resources), string(principals), string(g.Conditions), g.Via, g.Scope}
}

// grantKey is a grant's content without its id, to compare grant sets.
func grantKey(g *warden.Grant) string {
	row := grantRow(g, 0)
	b, _ := json.Marshal(row[2:])
	return string(b)
}

// ReplaceGrants sets the grants of the identity that came from source.
func (db *DB) ReplaceGrants(ctx context.Context, identityID, source string, grants []*warden.Grant) error {
	if source == "" {
		return warden.FieldErrorf("source", "a grant source is required")
	}
	if len(grants) > maxGrantsPerIdentity {
		return warden.FieldErrorf("grants", "an identity has at most %d grants per source", maxGrantsPerIdentity)
	}
	for n, g := range grants {
		if err := validateGrant(g, source); err != nil {
			return fmt.Errorf("grant %d: %w", n, err)
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := findIdentityByID(ctx, tx, db, identityID); err != nil {
			return err
		}
		_, err := db.replaceGrantsTx(ctx, tx, source, map[string][]*warden.Grant{identityID: grants})
		return err
	})
}

// replaceGrantsTx replaces the grant sets from source of the identities in
// sets (identity id -> grants, already validated) inside tx, writing and
// auditing only the sets that change.
func (db *DB) replaceGrantsTx(ctx context.Context, tx *sql.Tx, source string, sets map[string][]*warden.Grant) (warden.ImportResult, error) {
	var res warden.ImportResult
	ids := make([]string, 0, len(sets))
	for id := range sets {
		ids = append(ids, id)
	}
	existing, err := db.findGrantsOf(ctx, tx, source, ids)
	if err != nil {
		return res, err
	}
	var changed []string
	var entries []auditEntry
	for _, id := range sortedKeys(sets) {
		old, grants := existing[id], sets[id]
		if grants == nil {
			grants = []*warden.Grant{}
		}
		if sameGrants(old, grants) {
			for n, g := range grants {
				*g = *old[n]
			}
			res.Unchanged++
			continue
		}
		if len(old) == 0 {
			res.Created++
		} else {
			res.Updated++
		}
		for _, g := range grants {
			g.ID, g.IdentityID = newID(), id
		}
		changed = append(changed, id)
		before := any(old)
		if len(old) == 0 {
			before = nil
		}
		entries = append(entries, auditEntry{action: "grant.replace", targetType: "identity", targetID: id, before: before, after: grants})
	}
	for start := 0; start < len(changed); start += importChunk {
		chunk := changed[start:min(start+importChunk, len(changed))]
		args := []any{source}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM grants WHERE source = ? AND identity_id IN ("+placeholders(len(chunk))+")"), args...); err != nil {
			return res, fmt.Errorf("replace grants: %w", err)
		}
	}
	type row struct {
		g        *warden.Grant
		position int
	}
	var rows []row
	for _, id := range changed {
		for n, g := range sets[id] {
			rows = append(rows, row{g, n})
		}
	}
	if err := db.insertRows(ctx, tx, "grants", splitColumns(grantColumns), len(rows), func(i int) []any {
		return grantRow(rows[i].g, rows[i].position)
	}); err != nil {
		return res, fmt.Errorf("replace grants: %w", err)
	}
	return res, db.appendAudit(ctx, tx, entries...)
}

func sameGrants(a, b []*warden.Grant) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if grantKey(a[i]) != grantKey(b[i]) {
			return false
		}
	}
	return true
}

// findGrantsOf loads the grants from source of the identities, by identity.
func (db *DB) findGrantsOf(ctx context.Context, q querier, source string, ids []string) (map[string][]*warden.Grant, error) {
	out := map[string][]*warden.Grant{}
	for start := 0; start < len(ids); start += importChunk {
		chunk := ids[start:min(start+importChunk, len(ids))]
		args := []any{source}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := q.QueryContext(ctx, db.q("SELECT "+grantColumns+" FROM grants WHERE source = ? AND identity_id IN ("+placeholders(len(chunk))+") ORDER BY identity_id, position"), args...)
		if err != nil {
			return nil, fmt.Errorf("find grants: %w", err)
		}
		for rows.Next() {
			g, err := scanGrant(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("find grants: %w", err)
			}
			out[g.IdentityID] = append(out[g.IdentityID], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("find grants: %w", err)
		}
	}
	return out, nil
}

// FindGrants lists the grants of an identity from every source, ordered by
// source and then as the source listed them.
func (db *DB) FindGrants(ctx context.Context, identityID string) ([]*warden.Grant, error) {
	if _, err := findIdentityByID(ctx, db.db, db, identityID); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT "+grantColumns+" FROM grants WHERE identity_id = ? ORDER BY source, position"), identityID)
	if err != nil {
		return nil, fmt.Errorf("find grants of %s: %w", identityID, err)
	}
	defer rows.Close()
	out := []*warden.Grant{}
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, fmt.Errorf("find grants of %s: %w", identityID, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find grants of %s: %w", identityID, err)
	}
	return out, nil
}
