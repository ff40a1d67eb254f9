package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/offboard"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestOffboardCLI_OffboardStatusListImportAndSettle drives warden offboard
// against a real API server on loopback, on both dialects: one person
// offboarded, their status with identities and credentials, a CSV list
// with progress, the list, and the status after the deadline in enforce
// mode (one identity reassigned, the other disabled).
func TestOffboardCLI_OffboardStatusListImportAndSettle(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.DB{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) { testOffboardCLI(t, open(t)) })
	}
}

func testOffboardCLI(t *testing.T, db *store.DB) {
	ctx := context.Background()
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	db.Now = clock.Now
	secret, auditor := apiToken(t, db, "hr-sync", warden.RoleOperator), apiToken(t, db, "auditor", warden.RoleAuditor)
	actions := enforce.New(enforce.Config{Store: db, Identities: db, Now: clock.Now})
	svc := offboard.New(offboard.Config{Store: db, Identities: db, Credentials: db, Provenance: db, Actions: actions, Now: clock.Now})
	serveAPI(t, db, httpapi.Config{Offboarding: svc})
	t.Setenv(envToken, secret)

	mk := func(ext, name, owner string) *warden.Identity {
		i := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: ext, Name: name, Owner: owner, Environment: "prod", Managed: true}
		if err := db.CreateIdentity(ctx, i); err != nil {
			t.Fatal(err)
		}
		return i
	}
	exporter := mk("arn:aws:iam::111122223333:user/svc/billing-exporter", "billing-exporter", "alice.nguyen@example.com")
	etl := mk("arn:aws:iam::111122223333:user/svc/ledger-etl", "ledger-etl", "Alice.Nguyen@example.com")
	mk("arn:aws:iam::111122223333:user/svc/report-mailer", "report-mailer", "bob.tran@example.com")
	if err := db.CreateCredential(ctx, &warden.Credential{IdentityID: exporter.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAEXAMPLEEXPORT001"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutEnforcementSetting(ctx, &warden.EnforcementSetting{Control: warden.ControlDisableOffboarded, Scope: warden.ScopeAll, Mode: warden.ModeEnforce}); err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, "", "offboard", "alice.nguyen@example.com", "--grace", "10d", "--json")
	var res warden.OffboardResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("offboard output %q: %v", out, err)
	}
	id := res.Offboarding.ID
	if !res.Created || len(res.Offboarding.Items) != 2 || len(res.Offboarding.Credentials) != 1 {
		t.Fatalf("offboard = %+v", res)
	}
	out, stderr, err := runCLI(t, "", "offboard", "ALICE.NGUYEN@example.com")
	if err != nil || !strings.Contains(stderr, "already has an open offboarding") || !strings.Contains(out, "offboarding: "+id) {
		t.Fatalf("repeat: err %v, stderr %q, out:\n%s", err, stderr, out)
	}
	out = mustRun(t, "", "offboard", "status", id)
	for _, want := range []string{"person:      alice.nguyen@example.com (source api)", "status:      open", "(10 days)", "identities (2):",
		"arn:aws:iam::111122223333:user/svc/ledger-etl", "Alice.Nguyen@example.com", "flagged", "credentials to rotate (1):", "AKIAEXAMPLEEXPORT001", "owned-identity"} {
		if !strings.Contains(out, want) {
			t.Fatalf("status output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "report-mailer") {
		t.Fatalf("status lists bob's identity:\n%s", out)
	}

	// A list of 450 people (one of them alice again) goes in three
	// requests with progress; the auditor may read but not offboard.
	var b strings.Builder
	b.WriteString("employee_id,email,departed_at\n")
	b.WriteString("E10231,alice.nguyen@example.com,2026-02-27\n")
	for n := 1; n < 450; n++ {
		fmt.Fprintf(&b, "E%05d,contractor%03d@example.com,2026-02-%02d\n", 20000+n, n, 1+n%27)
	}
	list := filepath.Join(t.TempDir(), "departed.csv")
	if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envToken, auditor)
	if _, stderr, err := runCLI(t, "", "offboard", "--file", list); err == nil || !strings.Contains(err.Error()+stderr, "not allowed") {
		t.Fatalf("auditor import: err %v, stderr %q", err, stderr)
	}
	t.Setenv(envToken, secret)
	out, stderr, err = runCLI(t, "", "offboard", "--file", list)
	if err != nil || !strings.Contains(stderr, "offboarded 200/450 people") || !strings.Contains(stderr, "offboarded 450/450 people") ||
		!strings.Contains(out, "450 people: 449 offboardings started, 1 already open") {
		t.Fatalf("import: err %v, stderr %q, out:\n%.600s", err, stderr, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("person,departed_at\nzoe@example.com,2026-02-30\n"), 0o600)
	if _, _, err := runCLI(t, "", "offboard", "--file", bad); err == nil || !strings.Contains(err.Error(), "line 2: departed_at \"2026-02-30\"") || !strings.Contains(err.Error(), "nothing was offboarded") {
		t.Fatalf("bad list: %v", err)
	}
	t.Setenv(envToken, auditor)
	out = mustRun(t, "", "offboard", "list", "--person", "alice.nguyen@example.com")
	if !strings.Contains(out, id) || !strings.Contains(out, "open") || !strings.Contains(out, "FLAGGED") {
		t.Fatalf("list output:\n%s", out)
	}
	if out := mustRun(t, "", "offboard", "list", "--status", "open", "--json"); strings.Count(out, "\n") != 450 {
		t.Fatalf("open offboardings = %d lines, want 450", strings.Count(out, "\n"))
	}

	// dana takes the ETL user; after the deadline the exporter is disabled.
	dana := "dana.ross@example.com"
	if _, err := db.UpdateIdentity(ctx, etl.ID, warden.IdentityUpdate{Owner: &dana}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10*24*time.Hour + time.Minute)
	if _, err := svc.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "", "offboard", "status", id)
	if !strings.Contains(out, "status:      closed") || !strings.Contains(out, "reassigned") || !strings.Contains(out, dana) || !strings.Contains(out, "disabled") {
		t.Fatalf("status after the deadline:\n%s", out)
	}
	if got, _ := db.FindIdentityByID(ctx, exporter.ID); got.Status != warden.StatusDisabled {
		t.Fatalf("exporter = %s", got.Status)
	}
	if _, _, err := runCLI(t, "", "offboard"); err == nil || !strings.Contains(err.Error(), "name the PERSON") {
		t.Fatalf("no person: %v", err)
	}
}
