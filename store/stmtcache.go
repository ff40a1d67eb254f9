package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps prepared statements for the repeated writes (batch
// inserts, the decision log's last-use updates) on SQLite, so that a batch
// costs executions, not SQL parsing. database/sql prepares each statement
// once per pooled connection and reuses it inside transactions on that
// connection. PostgreSQL's driver caches statements itself.
//
// A statement is first prepared in the background, never by the
// transaction that needs it: preparing takes a connection from the pool,
// and a transaction waiting for one while it holds SQLite's write lock
// would deadlock with the writers queued behind that lock on the other
// connections. Until it is ready the transaction runs the SQL directly.
type stmtCache struct {
	mu        sync.Mutex
	stmts     map[string]*sql.Stmt
	preparing map[string]bool
	closed    bool
}

// get returns the prepared statement for query, or nil while it is not
// prepared yet, in which case it starts preparing it.
func (c *stmtCache) get(db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok || c.closed || c.preparing[query] {
		return st
	}
	if c.preparing == nil {
		c.preparing = map[string]bool{}
	}
	c.preparing[query] = true
	go c.prepare(db, query)
	return nil
}

func (c *stmtCache) prepare(db *sql.DB, query string) {
	st, err := db.PrepareContext(context.Background(), query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.preparing, query)
	if err != nil {
		return // the SQL runs unprepared; a later call tries again
	}
	if c.closed {
		st.Close()
		return
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// execCached runs query inside tx through the statement cache, or
// directly where the driver caches statements itself or the statement is
// not prepared yet.
func (db *DB) execCached(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	query = db.q(query)
	if db.dialect.cachesStatements() {
		return tx.ExecContext(ctx, query, args...)
	}
	if st := db.stmts.get(db.db, query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// batchRowCounts are the row counts of the multi-row INSERT statements a
// cached batch insert uses: any batch is cut greedily into these, so that
// only a handful of distinct statements exist per table.
var batchRowCounts = []int{256, 64, 16, 4, 1}

// maxRowsPerInsert bounds the rows of one multi-row INSERT.
const maxRowsPerInsert = 500

// statementRows is how many of the remaining rows the next INSERT
// carries: as many as allowed where the driver caches statements by their
// text whatever their number, else the largest of batchRowCounts that
// fits, so that only those few statements are ever prepared.
func statementRows(remaining, maxRows int, driverCaches bool) int {
	if driverCaches {
		return min(remaining, maxRows, maxRowsPerInsert)
	}
	for _, c := range batchRowCounts {
		if c <= remaining && c <= maxRows {
			return c
		}
	}
	return 1
}

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
		rows := statementRows(n-start, maxRows, db.dialect.cachesStatements())
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
