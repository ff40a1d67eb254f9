package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/scan"
	"github.com/warden-nhi/warden/store"
)

// TestLeakedKeyFromImportedAccount_NamesIdentityAndRaisesNHI2 is the
// secret-scanning acceptance path on imported data only: the sample AWS
// account, its credential report and its CloudTrail are imported through
// the CLI (CloudTrail records the access key ids the IAM users use), then
// a file with one of those key ids is scanned against the server. The scan
// names the IAM user, and the user gets an open NHI2 secret-leaked finding.
func TestLeakedKeyFromImportedAccount_NamesIdentityAndRaisesNHI2(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, token, err := db.CreateToken(ctx, "ci", warden.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		Identities: db, Credentials: db, Tokens: db, Audit: db,
		Discovery: newDiscovery(db),
		Leaks:     scan.NewLedger(scan.LedgerConfig{Leaks: db, Credentials: db, Identities: db, Grants: db, Findings: db}),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:  prometheus.NewRegistry(),
	}))
	t.Cleanup(srv.Close)
	t.Setenv(envServer, srv.URL)
	t.Setenv(envToken, token)

	mustRun(t, "", "import", "aws-iam", awsSamples+"northwind-gaad.json")
	mustRun(t, "", "import", "aws-credential-report", awsSamples+"credential-report.csv")
	mustRun(t, "", "import", "cloudtrail", awsSamples+"cloudtrail")

	// A deploy script that hard-codes jenkins-deployer's key (the key id is
	// the sample's; the secret is a made-up value, never a real one).
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	dir := t.TempDir()
	script := "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=AKIAV3NWFREIGHTJ4K1X\nexport AWS_SECRET_ACCESS_KEY=" + secret + "\naws s3 sync build/ s3://northwind-releases/\n"
	if err := os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, "", "scan", "--server", srv.URL, "--source", "northwind/release-tools", dir)
	if exitCode(err) != scanExitFindings {
		t.Fatalf("scan: exit %d (%v)\nstderr: %s", exitCode(err), err, errOut)
	}
	if !strings.Contains(out, "arn:aws:iam::402118867530:user/jenkins-deployer") {
		t.Fatalf("the scan does not name the IAM user whose key leaked:\n%s", out)
	}
	if strings.Contains(out+errOut, secret) {
		t.Fatal("the secret appears in the scan output")
	}

	user, err := db.FindIdentityByRef(ctx, "arn:aws:iam::402118867530:user/jenkins-deployer", "aws")
	if err != nil {
		t.Fatal(err)
	}
	findings, _, err := db.FindFindings(ctx, warden.FindingFilter{IdentityID: user.ID, RuleID: scan.LeakRuleID})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Status != warden.FindingOpen || !containsString(findings[0].OWASP, "NHI2") {
		t.Fatalf("secret-leaked findings of jenkins-deployer: %+v", findings)
	}
	leaks, _, err := db.FindLeaks(ctx, warden.LeakFilter{IdentityID: user.ID})
	if err != nil || len(leaks) == 0 || leaks[0].MatchedBy != "public_id" {
		t.Fatalf("stored leaks of jenkins-deployer: %+v, %v", leaks, err)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
