package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/warden-nhi/warden"
)

// FindJoinTokens lists the join tokens of an entry, newest first, at most
// warden.MaxPageSize of them (never their secrets: only hashes are
// stored). ENOTFOUND if the entry does not exist.
func (db *DB) FindJoinTokens(ctx context.Context, entryID string) ([]*warden.JoinToken, error) {
	if _, err := findEntry(ctx, db.db, db, entryID); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, db.q("SELECT id, entry_id, created_at, expires_at, used_at FROM join_tokens "+
		"WHERE entry_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"), entryID, warden.MaxPageSize)
	if err != nil {
		return nil, fmt.Errorf("find join tokens of %s: %w", entryID, err)
	}
	defer rows.Close()
	out := []*warden.JoinToken{}
	for rows.Next() {
		var t warden.JoinToken
		var created, expires int64
		var used sql.NullInt64
		if err := rows.Scan(&t.ID, &t.EntryID, &created, &expires, &used); err != nil {
			return nil, fmt.Errorf("find join tokens of %s: %w", entryID, err)
		}
		t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMicro(created), fromMicro(expires), fromNullMicro(used)
		out = append(out, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find join tokens of %s: %w", entryID, err)
	}
	return out, nil
}
