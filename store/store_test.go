package store_test

import (
	"testing"

	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestConformance_SQLite(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) *store.DB { return storetest.OpenSQLite(tb) })
}

func TestConformance_Postgres(t *testing.T) {
	storetest.PostgresURL(t) // skip or fail early, with the reason, when PostgreSQL is unreachable
	storetest.Run(t, func(tb testing.TB) *store.DB { return storetest.OpenPostgres(tb) })
}
