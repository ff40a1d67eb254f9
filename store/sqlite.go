package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

type sqliteDialect struct{}

func (sqliteDialect) name() string               { return "sqlite" }
func (sqliteDialect) rebind(query string) string { return query }
func (sqliteDialect) maxParams() int             { return 32000 }
func (sqliteDialect) cachesStatements() bool     { return false }

func (sqliteDialect) isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// lockWriters is a no-op: SQLite transactions begin IMMEDIATE (see
// openSQLite), which already admits one writer at a time.
func (sqliteDialect) lockWriters(context.Context, *sql.Tx) error { return nil }

// openSQLite opens the database file at path in WAL mode with foreign keys,
// a busy timeout, full fsync on commit (an acknowledged change survives a
// crash) and immediate transactions so that concurrent writers queue instead
// of failing with SQLITE_BUSY on upgrade.
func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite: empty database path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: create directory for %s: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "cache_size(-65536)")       // 64 MiB per connection: indexes of 100k identities stay in memory
	q.Add("_pragma", "wal_autocheckpoint(8192)") // checkpoint every 32 MiB of WAL: hot index pages are copied once, not per commit
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return db, nil
}
