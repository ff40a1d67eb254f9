package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/store"
)

// TestLeaksList_ShowsCorrelatedIdentity scans a tree with a real server,
// then lists the leaks: the AWS key names its identity, the filters work,
// and neither output holds a secret.
func TestLeaksList_ShowsCorrelatedIdentity(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, token, err := db.CreateToken(ctx, "ci-scanner", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	actx := warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "test"})
	id := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/deployer", Name: "deployer", Owner: "team-platform", Managed: true}
	if err := db.CreateIdentity(actx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCredential(actx, &warden.Credential{IdentityID: id.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAFAKEBVEPDTBMDE6P"}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Leaks:    scan.NewLedger(scan.LedgerConfig{Leaks: db, Credentials: db, Identities: db, Grants: db, Findings: db}),
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	t.Setenv(envToken, token)
	t.Setenv(envServer, srv.URL)

	if _, errOut, err := runCLI(t, "", "scan", "--server", srv.URL, "--source", "nw/deploy", writeScanTree(t)); exitCode(err) != scanExitFindings {
		t.Fatalf("scan: exit %d, stderr %s", exitCode(err), errOut)
	}

	table := mustRun(t, "", "leaks", "list")
	if !strings.Contains(table, "arn:aws:iam::402118867530:user/deployer") || !strings.Contains(table, "RULE") {
		t.Fatalf("table does not name the identity:\n%s", table)
	}
	assertNoScanSecrets(t, "leaks table", table)

	out := mustRun(t, "", "leaks", "list", "--correlated", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("--correlated: %d leaks, want 1:\n%s", len(lines), out)
	}
	var leak warden.Leak
	if err := json.Unmarshal([]byte(lines[0]), &leak); err != nil {
		t.Fatal(err)
	}
	if leak.IdentityID != id.ID || leak.MatchedBy != "public_id" || leak.Fingerprint == "" {
		t.Fatalf("correlated leak: %+v", leak)
	}
	assertNoScanSecrets(t, "leaks json", out)

	uncorrelated := mustRun(t, "", "leaks", "list", "--uncorrelated", "--json")
	if n := len(strings.Split(strings.TrimSpace(uncorrelated), "\n")); n != 3 {
		t.Fatalf("--uncorrelated: %d leaks, want 3", n)
	}
	if _, _, err := runCLI(t, "", "leaks", "list", "--correlated", "--uncorrelated"); err == nil {
		t.Fatal("contradictory flags accepted")
	}
}
