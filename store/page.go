package store

import (
	"context"
	"fmt"
	"strconv"
)

// rowScanner is what scan functions read a row from: *sql.Row or *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

// conditions collects the terms and arguments of a WHERE clause.
type conditions struct {
	terms []string
	args  []any
}

func (c *conditions) add(term string, v ...any) {
	c.terms = append(c.terms, term)
	c.args = append(c.args, v...)
}

// timePage describes one keyset-paginated listing ordered by a time column
// (Unix microseconds) and then id.
type timePage[T any] struct {
	what     string // for errors: "find leaks"
	from     string // "leaks", with the selected columns in columns
	columns  string
	timeCol  string
	desc     bool   // newest first
	sort     string // the cursor's sort tag, so a cursor is used only with its listing
	scan     func(rowScanner) (*T, error)
	keyOf    func(*T) (int64, string) // time and id of a row, for the next cursor
	pageSize int
}

// find runs the listing with the conditions and the cursor (nil for the
// first page) and returns one page and the next cursor ("" on the last).
func (p timePage[T]) find(ctx context.Context, db *DB, c conditions, cur *cursor) ([]*T, string, error) {
	op, dir := ">", "ASC"
	if p.desc {
		op, dir = "<", "DESC"
	}
	if cur != nil {
		c.add(fmt.Sprintf("(%[1]s %[2]s ? OR (%[1]s = ? AND id %[2]s ?))", p.timeCol, op), cur.Int, cur.Int, cur.ID)
	}
	query := "SELECT " + p.columns + " FROM " + p.from + whereClause(c.terms) +
		" ORDER BY " + p.timeCol + " " + dir + ", id " + dir + " LIMIT " + strconv.Itoa(p.pageSize+1)
	rows, err := db.db.QueryContext(ctx, db.q(query), c.args...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", p.what, err)
	}
	defer rows.Close()
	out := make([]*T, 0, p.pageSize+1)
	for rows.Next() {
		v, err := p.scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", p.what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("%s: %w", p.what, err)
	}
	next := ""
	if len(out) > p.pageSize {
		out = out[:p.pageSize]
		t, id := p.keyOf(out[len(out)-1])
		next = encodeCursor(cursor{Sort: p.sort, Int: t, ID: id})
	}
	return out, next, nil
}
