package govern_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// importSampleAccount imports the sample AWS account (GAAD), its
// credential report and its CloudTrail file into db.
func importSampleAccount(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "cli", ID: "e2e"})
	root := filepath.Join("..", "testdata", "aws")
	for _, step := range []struct {
		file string
		imp  warden.Importer
	}{
		{"northwind-gaad.json", &aws.IAMImporter{Store: db}},
		{"credential-report.csv", &aws.CredentialReportImporter{Store: db}},
		{filepath.Join("cloudtrail", "northwind-2026-02-28.json"), &aws.CloudTrailImporter{Store: db}},
	} {
		f, err := os.Open(filepath.Join(root, step.file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = step.imp.Import(ctx, f, step.file)
		f.Close()
		if err != nil {
			t.Fatalf("import %s: %v", step.file, err)
		}
	}
}

// wantSampleFindings are the open findings the sample account must give
// on evalTime, checked by hand against testdata/aws (see the comments).
var wantSampleFindings = map[string][]string{
	// AdministratorAccess; its key was last rotated 2025-11-01 (120 days).
	"arn:aws:iam::402118867530:user/automation/ci-admin": {"admin-permissions", "credential-old"},
	// iam:PassRole on * and DeployPolicy through its group; s3:* on the
	// artifacts bucket; console password used for a ConsoleLogin; key from 2019.
	"arn:aws:iam::402118867530:user/jenkins-deployer": {"admin-permissions", "console-access", "credential-old", "interactive-use", "owner-missing", "wildcard-permissions"},
	// Key created 2024-01-15 and never used; the user was never used.
	"arn:aws:iam::402118867530:user/report-bot": {"credential-old", "credential-unused", "identity-stale"},
	// NotAction iam:*/organizations:* on *; two active keys from 2018, both idle.
	"arn:aws:iam::402118867530:user/legacy/legacy-backup": {"admin-permissions", "credential-old", "credential-old", "credential-unused", "credential-unused", "multiple-active-keys", "owner-missing"},
	// Console password, last used 2021.
	"arn:aws:iam::402118867530:user/old-contractor": {"console-access", "identity-stale", "owner-missing"},
	// GitHub OIDC with only an audience condition; ecs:*/ecr:* and PassRole on *.
	"arn:aws:iam::402118867530:role/ci/github-deploy-any": {"admin-permissions", "oidc-trust-no-subject", "wildcard-permissions"},
	// Vendor account 464622532012 (with an ExternalId) is not a known account.
	"arn:aws:iam::402118867530:role/vendor/DatadogIntegrationRole":  {"external-account-trust"},
	"arn:aws:iam::402118867530:role/vendor/fjord-carriers-edi-drop": {"external-account-trust", "owner-missing"},
	// rds:* and dms:* on *; never used since created.
	"arn:aws:iam::402118867530:role/unused-migration-role":                                   {"identity-stale", "owner-missing", "wildcard-permissions"},
	"arn:aws:iam::402118867530:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS": {"owner-missing"},
	// iam:* on *.
	"arn:aws:iam::402118867530:role/ec2-batch-worker": {"admin-permissions", "owner-missing", "wildcard-permissions"},
	// AdministratorAccess, last used 2025-06-02.
	"arn:aws:iam::402118867530:role/breakglass-admin": {"admin-permissions", "identity-stale"},
	// Principal "*" with no condition.
	"arn:aws:iam::402118867530:role/partner-analytics-any": {"identity-stale", "owner-missing", "trust-any-principal"},
	// Not onboarded: seen only in CloudTrail.
	"arn:aws:iam::402118867530:role/ops/manual-fix":           {"interactive-use", "owner-missing"},
	"arn:aws:iam::402118867530:user/shadow-sync":              {"owner-missing"},
	"repo:some-stranger/fork-of-anything:ref:refs/heads/main": {"owner-missing"},
}

// wantNotOnboarded are the principals only CloudTrail knows.
var wantNotOnboarded = []string{
	"arn:aws:iam::402118867530:role/ops/manual-fix",
	"arn:aws:iam::402118867530:user/shadow-sync",
	"repo:some-stranger/fork-of-anything:ref:refs/heads/main",
}

func TestEndToEnd_SampleAWSAccount(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSampleAccount(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { testSampleAccount(t, storetest.OpenPostgres(t)) })
}

func testSampleAccount(t *testing.T, db *store.DB) {
	ctx := context.Background()
	db.Now = func() time.Time { return evalTime }
	importSampleAccount(t, db)
	ev := newEvaluator(t, db, nil)
	res, err := ev.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := findingsByIdentity(t, db)
	for id, want := range wantSampleFindings {
		if !slices.Equal(got[id], want) {
			t.Errorf("%s: findings %v, want %v", id, got[id], want)
		}
	}
	for id, rules := range got {
		if _, ok := wantSampleFindings[id]; !ok {
			t.Errorf("unexpected findings on %s: %v", id, rules)
		}
	}
	// Well-configured identities have none.
	for _, id := range []string{"arn:aws:iam::402118867530:role/ci/github-deploy-shipment-api", "arn:aws:iam::402118867530:role/workload/shipment-api"} {
		if len(got[id]) != 0 {
			t.Errorf("%s should have no findings, has %v", id, got[id])
		}
	}

	unmanaged := false
	list, _, err := db.FindIdentities(ctx, warden.IdentityFilter{Managed: &unmanaged, Sort: "name"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range list {
		names = append(names, i.ExternalID)
	}
	sort.Strings(names)
	if !slices.Equal(names, wantNotOnboarded) {
		t.Errorf("not onboarded = %v, want %v", names, wantNotOnboarded)
	}
	p := res.Posture
	if p.NotOnboarded != 3 || p.Identities != 18 || p.OpenFindings != res.Findings.Opened || p.ByOWASP["NHI5"] == 0 || p.ByRule["owner-missing"] != 11 || p.Unowned != 11 {
		t.Errorf("posture = %+v", p)
	}
	if p.OverPrivileged != 7 { // ci-admin, jenkins-deployer, legacy-backup, github-deploy-any, unused-migration-role, ec2-batch-worker, breakglass-admin
		t.Errorf("over-privileged = %d, want 7", p.OverPrivileged)
	}

	// Every finding carries its rule's OWASP and NIST mapping.
	oidc, _, err := db.FindFindings(ctx, warden.FindingFilter{RuleID: "oidc-trust-no-subject"})
	if err != nil || len(oidc) != 1 {
		t.Fatalf("oidc findings: %v, %v", oidc, err)
	}
	if !slices.Equal(oidc[0].OWASP, []string{"NHI6"}) || !slices.Contains(oidc[0].NIST, "CSF PR.PS-01") || oidc[0].Severity != warden.SeverityCritical {
		t.Errorf("oidc finding mapping = %v %v %s", oidc[0].OWASP, oidc[0].NIST, oidc[0].Severity)
	}

	// Risk: the worst identity is high, a clean one zero-ish, and stored.
	jenkins, err := db.FindIdentityByRef(ctx, "arn:aws:iam::402118867530:user/jenkins-deployer", "aws")
	if err != nil {
		t.Fatal(err)
	}
	clean, err := db.FindIdentityByRef(ctx, "arn:aws:iam::402118867530:role/workload/shipment-api", "aws")
	if err != nil {
		t.Fatal(err)
	}
	if jr, cr := riskOf(t, db, jenkins.ID), riskOf(t, db, clean.ID); jr != 95 || cr != 10 {
		// jenkins-deployer: findings 128 points capped at 70, + prod 10 + admin 10 + unowned 5.
		t.Errorf("risk jenkins-deployer = %d (want 95), shipment-api = %d (want 10: prod exposure only)", jr, cr)
	}

	// Re-evaluating changes nothing.
	again, err := ev.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Findings.Opened != 0 || again.Findings.Resolved != 0 || again.Findings.Refreshed != res.Findings.Opened || again.RiskChanged != 0 {
		t.Errorf("second evaluation = %+v, want only refreshes", again.Findings)
	}

	// Fixing the condition resolves the finding at the next evaluation.
	actx := warden.NewContextWithActor(ctx, warden.Actor{Type: "token", ID: "t1", Name: "ops"})
	if _, err := db.UpdateIdentity(actx, jenkins.ID, warden.IdentityUpdate{Owner: ptr("team-platform")}); err != nil {
		t.Fatal(err)
	}
	third, err := ev.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if third.Findings.Resolved != 1 || third.Posture.Unowned != 10 {
		t.Errorf("after owning jenkins-deployer: %+v, unowned %d", third.Findings, third.Posture.Unowned)
	}
	series, err := db.FindPosture(ctx, warden.PostureFilter{})
	if err != nil || len(series) != 3 {
		t.Fatalf("posture series: %d, %v", len(series), err)
	}
	if v, err := db.VerifyAudit(ctx); err != nil || !v.OK {
		t.Fatalf("audit chain after evaluations: %+v, %v", v, err)
	}
}
