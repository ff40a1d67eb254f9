package main

import (
	"context"
	"fmt"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

// defaultDB is the SQLite file used when neither --db nor WARDEN_DB is set.
const defaultDB = "./warden.db"

// addDBFlag registers --db (default $WARDEN_DB, then ./warden.db).
func addDBFlag(cmd *cobra.Command, dsn *string) {
	def := os.Getenv("WARDEN_DB")
	if def == "" {
		def = defaultDB
	}
	cmd.Flags().StringVar(dsn, "db", def, "database: a SQLite file path or a postgres:// URL (env WARDEN_DB)")
}

// openStore opens the database for a command, with an error that says what
// to check.
func openStore(ctx context.Context, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w (check --db or WARDEN_DB)", describeDSN(dsn), err)
	}
	return db, nil
}

// describeDSN names a database without revealing a password in its URL.
func describeDSN(dsn string) string {
	if store.IsPostgres(dsn) {
		return redactURL(dsn)
	}
	return dsn
}

// cliActor is who runs a direct-database command, for audit records.
func cliActor() warden.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return warden.Actor{Type: "cli", ID: name}
}
