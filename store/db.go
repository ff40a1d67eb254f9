// Package store persists warden's inventory, API tokens and audit log in SQL:
// SQLite (embedded, the default) through modernc.org/sqlite, or PostgreSQL
// through pgx. Both dialects share the queries in this package; the small
// differences live in sqlite.go and postgres.go, and the schema in embedded,
// forward-only migrations per dialect. Every change is made in one
// transaction together with its audit record.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/warden-nhi/warden"
)

// DB is warden's store. It implements the root package's services.
type DB struct {
	db      *sql.DB
	dialect dialect
	dsn     string

	// Now returns the current time; tests replace it. Stored times are kept
	// at microsecond precision.
	Now func() time.Time

	// changes announces committed changes (notify.go).
	changes changeHub

	// stmts caches the prepared statements of hot writes (stmtcache.go).
	stmts stmtCache
}

var (
	_ warden.IdentityService   = (*DB)(nil)
	_ warden.IdentityImporter  = (*DB)(nil)
	_ warden.CredentialService = (*DB)(nil)
	_ warden.TokenService      = (*DB)(nil)
	_ warden.AuditService      = (*DB)(nil)
)

// Open connects to the database named by dsn and applies pending
// migrations. A dsn starting with postgres:// or postgresql:// selects
// PostgreSQL; anything else is a SQLite file path (created if missing).
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		d   dialect
		sdb *sql.DB
		err error
	)
	if IsPostgres(dsn) {
		d = postgresDialect{}
		sdb, err = openPostgres(dsn)
	} else {
		d = sqliteDialect{}
		sdb, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	db := &DB{db: sdb, dialect: d, dsn: dsn, Now: time.Now}
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to %s database: %w", d.name(), err)
	}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name() }

// Close closes the database.
func (db *DB) Close() error {
	db.stmts.close()
	return db.db.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// SQL returns the underlying connection pool, for tests and maintenance
// commands that must reach the tables directly.
func (db *DB) SQL() *sql.DB { return db.db }

// now returns the current time in UTC at microsecond precision.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// tx runs fn in a read-write transaction and commits when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		db.publishCommitted(tx, false)
		return err
	}
	if err := tx.Commit(); err != nil {
		db.publishCommitted(tx, false)
		return fmt.Errorf("commit: %w", db.mapError(err))
	}
	db.publishCommitted(tx, true)
	return nil
}

// q rewrites a query written with '?' placeholders for the dialect.
func (db *DB) q(query string) string { return db.dialect.rebind(query) }

// mapError turns constraint violations into ECONFLICT; other errors pass.
func (db *DB) mapError(err error) error {
	if err != nil && db.dialect.isUniqueViolation(err) {
		return warden.Errorf(warden.ECONFLICT, "an object with the same unique key already exists")
	}
	return err
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// looksLikeID reports whether s has the shape of an id warden generates.
func looksLikeID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// micro and friends convert times to the stored representation.
func micro(t time.Time) int64 { return t.UnixMicro() }

func fromMicro(v int64) time.Time { return time.UnixMicro(v).UTC() }

func microPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicro(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicro(v.Int64)
	return &t
}

// truncPtr returns a copy of t in UTC at microsecond precision.
func truncPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }

// Rebind rewrites a query written with '?' placeholders for the store's
// dialect; for tests and maintenance commands using SQL().
func (db *DB) Rebind(query string) string { return db.q(query) }
