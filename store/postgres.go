package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

type postgresDialect struct{}

func (postgresDialect) name() string               { return "postgres" }
func (postgresDialect) rebind(query string) string { return rebindDollar(query) }
func (postgresDialect) maxParams() int             { return 65000 }
func (postgresDialect) cachesStatements() bool     { return true }

func (postgresDialect) isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// writerLockKey is the advisory-lock key that serialises audit-chain writers
// across every replica sharing the database.
const writerLockKey = 0x77617264656e // "warden"

func (postgresDialect) lockWriters(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", writerLockKey); err != nil {
		return fmt.Errorf("lock audit chain: %w", err)
	}
	return nil
}

// openPostgres opens a pool on the PostgreSQL database at url through pgx.
func openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgconnConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	return db, nil
}
