package store

import (
	"context"
	"database/sql"
	"strings"
)

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// insertRows inserts n rows into table with the cached multi-row INSERT
// statements of insertBatch.
func (db *DB) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(i int) []any) error {
	_, err := db.insertBatch(ctx, tx, table, cols, "", n, row)
	return err
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// escapeLike escapes LIKE metacharacters for use with ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func splitColumns(cols string) []string { return strings.Split(cols, ", ") }
