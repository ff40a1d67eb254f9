package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps prepared statements for the hot, repeated writes (the
// decision log and activity events), so that a batch costs executions,
// not SQL parsing. database/sql prepares each statement once per pooled
// connection and reuses it inside transactions on that connection.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// execCached runs query inside tx through the statement cache.
func (db *DB) execCached(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := db.stmts.get(ctx, db.db, db.q(query))
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// batchRowCounts are the row counts of the multi-row INSERT statements a
// cached batch insert uses: any batch is cut greedily into these, so that
// only a handful of distinct statements exist per table.
var batchRowCounts = []int{256, 64, 16, 4, 1}

// insertBatch inserts n rows into table with cached multi-row INSERT
// statements of the sizes in batchRowCounts, each followed by suffix
// (e.g. an ON CONFLICT clause). It returns the rows the database reports
// as inserted.
func (db *DB) insertBatch(ctx context.Context, tx *sql.Tx, table string, cols []string, suffix string, n int, row func(i int) []any) (int, error) {
	tuple := "(" + placeholders(len(cols)) + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	maxRows := db.dialect.maxParams() / len(cols)
	inserted := 0
	for start := 0; start < n; {
		rows := 1
		for _, c := range batchRowCounts {
			if c <= n-start && c <= maxRows {
				rows = c
				break
			}
		}
		query := head + strings.TrimSuffix(strings.Repeat(tuple+", ", rows), ", ") + suffix
		args := make([]any, 0, rows*len(cols))
		for i := start; i < start+rows; i++ {
			args = append(args, row(i)...)
		}
		r, err := db.execCached(ctx, tx, query, args...)
		if err != nil {
			return inserted, db.mapError(err)
		}
		if k, err := r.RowsAffected(); err == nil {
			inserted += int(k)
		}
		start += rows
	}
	return inserted, nil
}
