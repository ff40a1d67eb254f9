package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/warden-nhi/warden"
)

const identityColumns = "id, kind, provider, external_id, name, owner, purpose, environment, labels, status, status_reason, managed, created_at, updated_at, first_seen_at, last_used_at, next_review_at, risk_score"

func scanIdentity(s interface{ Scan(...any) error }) (*warden.Identity, error) {
	var i warden.Identity
	var labels string
	var created, updated int64
	var firstSeen, lastUsed, nextReview sql.NullInt64
	if err := s.Scan(&i.ID, &i.Kind, &i.Provider, &i.ExternalID, &i.Name, &i.Owner, &i.Purpose, &i.Environment,
		&labels, &i.Status, &i.StatusReason, &i.Managed, &created, &updated, &firstSeen, &lastUsed, &nextReview, &i.RiskScore); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(labels), &i.Labels); err != nil {
		return nil, fmt.Errorf("identity %s: decode labels: %w", i.ID, err)
	}
	if i.Labels == nil {
		i.Labels = map[string]string{}
	}
	i.CreatedAt, i.UpdatedAt = fromMicro(created), fromMicro(updated)
	i.FirstSeenAt, i.LastUsedAt, i.NextReviewAt = fromNullMicro(firstSeen), fromNullMicro(lastUsed), fromNullMicro(nextReview)
	return &i, nil
}

// identityRow is the column values of an identity in identityColumns order,
// followed by the search column.
func identityRow(i *warden.Identity) []any {
	labels, _ := json.Marshal(i.Labels)
	return []any{i.ID, string(i.Kind), string(i.Provider), i.ExternalID, i.Name, i.Owner, i.Purpose, i.Environment,
		string(labels), string(i.Status), i.StatusReason, i.Managed, micro(i.CreatedAt), micro(i.UpdatedAt),
		microPtr(i.FirstSeenAt), microPtr(i.LastUsedAt), microPtr(i.NextReviewAt), i.RiskScore, searchText(i)}
}

var identityInsertColumns = append(splitColumns(identityColumns), "search")

// searchText is what free-text queries match: lower-cased name, external
// id, owner and purpose.
func searchText(i *warden.Identity) string {
	return strings.ToLower(i.Name + "\n" + i.ExternalID + "\n" + i.Owner + "\n" + i.Purpose)
}

// FindIdentityByID returns the identity with the id.
func (db *DB) FindIdentityByID(ctx context.Context, id string) (*warden.Identity, error) {
	return findIdentityByID(ctx, db.db, db, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func findIdentityByID(ctx context.Context, q querier, db *DB, id string) (*warden.Identity, error) {
	row := q.QueryRowContext(ctx, db.q("SELECT "+identityColumns+" FROM identities WHERE id = ?"), id)
	i, err := scanIdentity(row)
	if isNoRows(err) {
		return nil, warden.Errorf(warden.ENOTFOUND, "identity %q not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("find identity %s: %w", id, err)
	}
	return i, nil
}

// FindIdentityByRef resolves ref as an id, then as an external id.
func (db *DB) FindIdentityByRef(ctx context.Context, ref string, provider warden.Provider) (*warden.Identity, error) {
	if ref == "" {
		return nil, warden.FieldErrorf("ref", "an identity id or external id is required")
	}
	if looksLikeID(ref) {
		i, err := db.FindIdentityByID(ctx, ref)
		if err == nil && (provider == "" || i.Provider == provider) {
			return i, nil
		} else if warden.ErrorCode(err) != warden.ENOTFOUND && err != nil {
			return nil, err
		}
	}
	query := "SELECT " + identityColumns + " FROM identities WHERE external_id = ?"
	args := []any{ref}
	if provider != "" {
		query += " AND provider = ?"
		args = append(args, string(provider))
	}
	rows, err := db.db.QueryContext(ctx, db.q(query+" ORDER BY provider LIMIT 10"), args...)
	if err != nil {
		return nil, fmt.Errorf("find identity %q: %w", ref, err)
	}
	defer rows.Close()
	var found []*warden.Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("find identity %q: %w", ref, err)
		}
		found = append(found, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find identity %q: %w", ref, err)
	}
	switch len(found) {
	case 0:
		return nil, warden.Errorf(warden.ENOTFOUND, "identity %q not found", ref)
	case 1:
		return found[0], nil
	}
	providers := make([]string, len(found))
	for n, i := range found {
		providers[n] = string(i.Provider)
	}
	return nil, warden.Errorf(warden.ECONFLICT, "external id %q exists in several providers (%s): name the provider", ref, strings.Join(providers, ", "))
}

// sortSpec describes how a sort key is compared and encoded in cursors.
type sortSpec struct {
	expr    string
	numeric bool
	value   func(i *warden.Identity) (string, int64)
}

var identitySortSpecs = map[string]sortSpec{
	"name":       {expr: "name", value: func(i *warden.Identity) (string, int64) { return i.Name, 0 }},
	"created_at": {expr: "created_at", numeric: true, value: func(i *warden.Identity) (string, int64) { return "", micro(i.CreatedAt) }},
	"updated_at": {expr: "updated_at", numeric: true, value: func(i *warden.Identity) (string, int64) { return "", micro(i.UpdatedAt) }},
	"last_used_at": {expr: "COALESCE(last_used_at, 0)", numeric: true, value: func(i *warden.Identity) (string, int64) {
		return "", microPtr(i.LastUsedAt).Int64
	}},
	"next_review_at": {expr: "COALESCE(next_review_at, 0)", numeric: true, value: func(i *warden.Identity) (string, int64) {
		return "", microPtr(i.NextReviewAt).Int64
	}},
	"risk_score": {expr: "risk_score", numeric: true, value: func(i *warden.Identity) (string, int64) { return "", int64(i.RiskScore) }},
}

// FindIdentities returns a page of identities using keyset pagination on
// the sort key and id, so pages stay fast and stable however deep they go.
func (db *DB) FindIdentities(ctx context.Context, f warden.IdentityFilter) ([]*warden.Identity, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	desc := strings.HasPrefix(f.Sort, "-")
	key := strings.TrimPrefix(f.Sort, "-")
	spec := identitySortSpecs[key]
	cur, err := decodeCursor(f.Cursor, f.Sort)
	if err != nil {
		return nil, "", err
	}

	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	if f.Kind != "" {
		add("kind = ?", string(f.Kind))
	}
	if f.Provider != "" {
		add("provider = ?", string(f.Provider))
	}
	if f.Owner != "" {
		add("owner = ?", f.Owner)
	}
	if f.Unowned {
		add("owner = ''")
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
		if f.Status != warden.StatusActive {
			// The same text as the partial index's predicate, so that
			// SQLite's planner can use identities_not_active.
			add("status <> 'active'")
		}
	}
	if f.Environment != "" {
		add("environment = ?", f.Environment)
	}
	if f.Managed != nil {
		add("managed = ?", *f.Managed)
	}
	keys := make([]string, 0, len(f.Labels))
	for k := range f.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := f.Labels[k]; v != "" {
			add("EXISTS (SELECT 1 FROM identity_labels l WHERE l.identity_id = identities.id AND l.key = ? AND l.value = ?)", k, v)
		} else {
			add("EXISTS (SELECT 1 FROM identity_labels l WHERE l.identity_id = identities.id AND l.key = ?)", k)
		}
	}
	if f.MinRisk > 0 {
		add("risk_score >= ?", f.MinRisk)
	}
	if f.Query != "" {
		add(`search LIKE ? ESCAPE '\'`, "%"+escapeLike(strings.ToLower(f.Query))+"%")
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if cur != nil {
		var v any = cur.Str
		if spec.numeric {
			v = cur.Int
		}
		add(fmt.Sprintf("(%[1]s %[2]s ? OR (%[1]s = ? AND id %[2]s ?))", spec.expr, op), v, v, cur.ID)
	}
	query := "SELECT " + identityColumns + " FROM identities" + whereClause(where) +
		" ORDER BY " + spec.expr + " " + dir + ", id " + dir + " LIMIT " + strconv.Itoa(f.Limit+1)
	rows, err := db.db.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, "", fmt.Errorf("find identities: %w", err)
	}
	defer rows.Close()
	out := make([]*warden.Identity, 0, f.Limit+1)
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find identities: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find identities: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		s, n := spec.value(last)
		next = encodeCursor(cursor{Sort: f.Sort, Str: s, Int: n, ID: last.ID})
	}
	return out, next, nil
}

// CreateIdentity validates and inserts a new identity with its audit record.
func (db *DB) CreateIdentity(ctx context.Context, i *warden.Identity) error {
	if err := i.Validate(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		entry, err := db.createIdentityTx(ctx, tx, i)
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, entry)
	})
}

// createIdentityTx inserts a validated identity in tx, setting its ID and
// timestamps, and returns its audit entry for the caller to append.
// ECONFLICT if the provider already has the external id.
func (db *DB) createIdentityTx(ctx context.Context, tx *sql.Tx, i *warden.Identity) (auditEntry, error) {
	now := db.now()
	i.ID = newID()
	i.CreatedAt, i.UpdatedAt = now, now
	i.FirstSeenAt, i.LastUsedAt, i.NextReviewAt = truncPtr(i.FirstSeenAt), truncPtr(i.LastUsedAt), truncPtr(i.NextReviewAt)
	var exists int
	err := tx.QueryRowContext(ctx, db.q("SELECT 1 FROM identities WHERE provider = ? AND external_id = ?"), string(i.Provider), i.ExternalID).Scan(&exists)
	if err == nil {
		return auditEntry{}, warden.Errorf(warden.ECONFLICT, "provider %s already has an identity with external id %q", i.Provider, i.ExternalID)
	} else if !isNoRows(err) {
		return auditEntry{}, fmt.Errorf("create identity: %w", err)
	}
	if err := db.insertIdentities(ctx, tx, []*warden.Identity{i}); err != nil {
		return auditEntry{}, fmt.Errorf("create identity: %w", err)
	}
	return auditEntry{action: "identity.create", targetType: "identity", targetID: i.ID, after: i}, nil
}

func (db *DB) insertIdentities(ctx context.Context, tx *sql.Tx, ids []*warden.Identity) error {
	if err := db.insertRows(ctx, tx, "identities", identityInsertColumns, len(ids), func(n int) []any {
		return identityRow(ids[n])
	}); err != nil {
		return err
	}
	return db.insertLabels(ctx, tx, ids)
}

func (db *DB) insertLabels(ctx context.Context, tx *sql.Tx, ids []*warden.Identity) error {
	type label struct{ id, k, v string }
	var labels []label
	for _, i := range ids {
		for k, v := range i.Labels {
			labels = append(labels, label{i.ID, k, v})
		}
	}
	return db.insertRows(ctx, tx, "identity_labels", []string{"identity_id", "key", "value"}, len(labels), func(n int) []any {
		return []any{labels[n].id, labels[n].k, labels[n].v}
	})
}

// writeIdentity stores every column of an existing identity.
func (db *DB) writeIdentity(ctx context.Context, tx *sql.Tx, i *warden.Identity, labelsChanged bool) error {
	sets := make([]string, 0, len(identityInsertColumns)-1)
	for _, c := range identityInsertColumns[1:] {
		sets = append(sets, c+" = ?")
	}
	row := identityRow(i)
	args := append(row[1:], i.ID)
	if _, err := tx.ExecContext(ctx, db.q("UPDATE identities SET "+strings.Join(sets, ", ")+" WHERE id = ?"), args...); err != nil {
		return db.mapError(err)
	}
	if !labelsChanged {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.q("DELETE FROM identity_labels WHERE identity_id = ?"), i.ID); err != nil {
		return err
	}
	return db.insertLabels(ctx, tx, []*warden.Identity{i})
}

// UpdateIdentity applies upd to the identity and audits before and after.
func (db *DB) UpdateIdentity(ctx context.Context, id string, upd warden.IdentityUpdate) (*warden.Identity, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	if upd.Empty() {
		return nil, warden.Errorf(warden.EINVALID, "the update changes no field")
	}
	var out *warden.Identity
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = db.updateIdentity(ctx, tx, id, upd)
		return err
	})
	return out, err
}

// updateIdentity applies a validated, non-empty upd inside tx, audited as
// "identity.update"; an update that changes nothing writes nothing.
func (db *DB) updateIdentity(ctx context.Context, tx *sql.Tx, id string, upd warden.IdentityUpdate) (*warden.Identity, error) {
	before, err := findIdentityByID(ctx, tx, db, id)
	if err != nil {
		return nil, err
	}
	if before.Status == warden.StatusDeprovisioned {
		return nil, warden.Errorf(warden.ECONFLICT, "identity %s is deprovisioned and can no longer change", id)
	}
	after := *before
	upd.Apply(&after)
	if identityEqual(before, &after) {
		return before, nil
	}
	after.UpdatedAt = db.now()
	if err := db.writeIdentity(ctx, tx, &after, upd.Labels != nil); err != nil {
		return nil, fmt.Errorf("update identity %s: %w", id, err)
	}
	return &after, db.appendAudit(ctx, tx, auditEntry{action: "identity.update", targetType: "identity", targetID: id, before: before, after: &after})
}

// DeprovisionIdentity moves the identity to deprovisioned and revokes its
// active credentials, auditing each change.
func (db *DB) DeprovisionIdentity(ctx context.Context, id string, reason string) (*warden.Identity, error) {
	if len(reason) > warden.MaxTextLen {
		return nil, warden.FieldErrorf("reason", "reason is longer than %d bytes", warden.MaxTextLen)
	}
	var out *warden.Identity
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, err := findIdentityByID(ctx, tx, db, id)
		if err != nil {
			return err
		}
		if before.Status == warden.StatusDeprovisioned {
			out = before
			return nil
		}
		after := *before
		after.Status, after.StatusReason, after.UpdatedAt = warden.StatusDeprovisioned, reason, db.now()
		if err := db.writeIdentity(ctx, tx, &after, false); err != nil {
			return fmt.Errorf("deprovision identity %s: %w", id, err)
		}
		entries := []auditEntry{{action: "identity.deprovision", targetType: "identity", targetID: id, before: before, after: &after}}
		revoked, err := db.revokeCredentialsOf(ctx, tx, id, after.UpdatedAt)
		if err != nil {
			return err
		}
		entries = append(entries, revoked...)
		out = &after
		return db.appendAudit(ctx, tx, entries...)
	})
	return out, err
}

func identityEqual(a, b *warden.Identity) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

var _ warden.IdentityBatchFinder = (*DB)(nil)

// FindIdentitiesByID returns the identities with these ids in one query.
func (db *DB) FindIdentitiesByID(ctx context.Context, ids []string) (map[string]*warden.Identity, error) {
	out := make(map[string]*warden.Identity, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > warden.MaxPageSize {
		return nil, warden.Errorf(warden.EINVALID, "at most %d identities per lookup, got %d", warden.MaxPageSize, len(ids))
	}
	args := make([]any, len(ids))
	for n, id := range ids {
		args[n] = id
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT "+identityColumns+" FROM identities WHERE id IN ("+placeholders(len(ids))+")"), args...)
	if err != nil {
		return nil, fmt.Errorf("find identities by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("find identities by id: %w", err)
		}
		out[i.ID] = i
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find identities by id: %w", err)
	}
	return out, nil
}
