package store

import (
	"context"
	"database/sql"
	"strings"
)

// maxRowsPerInsert bounds the rows of one multi-row INSERT.
var maxRowsPerInsert = 500

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// insertRows inserts n rows into table with multi-row INSERT statements,
// as many rows per statement as the dialect's parameter limit allows.
func (db *DB) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(i int) []any) error {
	per := db.dialect.maxParams() / len(cols)
	if per > maxRowsPerInsert {
		per = maxRowsPerInsert
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, row(i)...)
		}
		if _, err := tx.ExecContext(ctx, db.q(b.String()), args...); err != nil {
			return db.mapError(err)
		}
	}
	return nil
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
