package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestAuditVerify_DetectsTampering_SQLite(t *testing.T) {
	testAuditVerifyCLI(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "warden.db") })
}

func TestAuditVerify_DetectsTampering_Postgres(t *testing.T) {
	testAuditVerifyCLI(t, func(t *testing.T) string { return storetest.PostgresURL(t) })
}

// testAuditVerifyCLI tampers with the audit log through SQL and checks that
// "warden audit verify" exits 1 naming the first bad record, and 0 before.
func testAuditVerifyCLI(t *testing.T, newDSN func(t *testing.T) string) {
	for _, tc := range []struct {
		name, sql string
		bad       string
	}{
		{"EditedRow", `UPDATE audit_log SET after = REPLACE(after, 'team-2', 'mallory') WHERE seq = 3`, "#3"},
		{"DeletedRow", `DELETE FROM audit_log WHERE seq = 2`, "#3"},
		{"DeletedLastRow", `DELETE FROM audit_log WHERE seq = 4`, "#4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := newDSN(t)
			ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "cli", ID: "test"})
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			i := &warden.Identity{Kind: warden.KindBot, Provider: "generic", ExternalID: "bot-1", Name: "bot-1"}
			if err := db.CreateIdentity(ctx, i); err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= 3; n++ {
				owner := fmt.Sprintf("team-%d", n)
				if _, err := db.UpdateIdentity(ctx, i.ID, warden.IdentityUpdate{Owner: &owner}); err != nil {
					t.Fatal(err)
				}
			}
			out, errOut, code := runWarden(t, "audit", "verify", "--db", dsn)
			if code != 0 || !strings.Contains(out, "intact: 4 records") {
				t.Fatalf("before tampering: exit %d\n%s%s", code, out, errOut)
			}
			if _, err := db.SQL().Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			out, errOut, code = runWarden(t, "audit", "verify", "--db", dsn)
			if code != 1 || !strings.Contains(errOut, "BROKEN at record "+tc.bad) {
				t.Fatalf("after %s: exit %d, want 1 naming record %s\nstdout: %s\nstderr: %s", tc.name, code, tc.bad, out, errOut)
			}
		})
	}
}

func TestAuditVerify_ExitsTwoWhenDatabaseUnreachable(t *testing.T) {
	_, errOut, code := runWarden(t, "audit", "verify", "--db", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if code != 2 || !strings.Contains(errOut, "open database") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
