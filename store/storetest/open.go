// Package storetest is the conformance suite every store dialect must pass,
// plus helpers that open isolated SQLite and PostgreSQL databases for the
// tests of any package.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/warden-nhi/warden/store"
)

// DefaultPostgresURL is used when WARDEN_TEST_POSTGRES is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// OpenSQLite opens a store on a new SQLite file in a temporary directory
// and closes it when the test ends.
func OpenSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpen(tb, filepath.Join(tb.TempDir(), "warden.db"))
}

// OpenPostgres opens a store on a fresh schema of the test PostgreSQL
// database (see PostgresURL) and closes it when the test ends.
func OpenPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpen(tb, PostgresURL(tb))
}

func mustOpen(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL returns a connection URL for the test PostgreSQL server
// (WARDEN_TEST_POSTGRES, default DefaultPostgresURL) whose search_path is a
// new schema private to the test, dropped when the test ends. When the
// server is unreachable the test is skipped with a clear message, except
// when CI=true, where it fails: CI must prove the PostgreSQL path.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("WARDEN_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		msg := "PostgreSQL at " + redact(base) + " is unreachable (" + err.Error() + "); set WARDEN_TEST_POSTGRES to a reachable server"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg + " — failing because CI=true")
		}
		tb.Skip(msg)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "warden_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse WARDEN_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
