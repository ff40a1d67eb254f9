package govern_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestEvaluator_LifecycleOnRealStore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testEvaluatorLifecycle(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { testEvaluatorLifecycle(t, storetest.OpenPostgres(t)) })
}

func testEvaluatorLifecycle(t *testing.T, db *store.DB) {
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "ops"})
	db.Now = func() time.Time { return evalTime }
	bot := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/bot", Name: "bot", Environment: "prod", Managed: true}
	if err := db.CreateIdentity(ctx, bot); err != nil {
		t.Fatal(err)
	}
	rotated := evalTime.AddDate(-1, 0, 0)
	key := &warden.Credential{IdentityID: bot.ID, Type: warden.CredentialAccessKey, PublicID: "AKIAEXAMPLEBOT", LastRotatedAt: &rotated, LastUsedAt: &evalTime}
	if err := db.CreateCredential(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceGrants(ctx, bot.ID, "test", []*warden.Grant{{Kind: warden.GrantPermission, Effect: "allow", Actions: []string{"iam:*"}, Resources: []string{"*"}, Via: "inline:iam"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordEvents(ctx, []*warden.Event{{Time: evalTime.Add(-time.Hour), Source: "cloudtrail", RawID: "e1", IdentityID: bot.ID, Provider: "aws", Action: "signin:ConsoleLogin", Interactive: true, Outcome: warden.OutcomeAllow}}); err != nil {
		t.Fatal(err)
	}
	ev := newEvaluator(t, db, nil)
	res, err := ev.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := findingsByIdentity(t, db)[bot.ExternalID]
	want := []string{"admin-permissions", "credential-old", "interactive-use", "owner-missing"}
	if len(got) != len(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("findings %v, want %v", got, want)
		}
	}
	// 40 + 20 + 20 + 8 = 88 capped at 70, + prod 10 + admin 10 + unowned 5.
	if r := riskOf(t, db, bot.ID); r != 95 || res.Posture.HighRisk != 1 || res.Posture.OverPrivileged != 1 {
		t.Fatalf("risk %d, posture %+v", r, res.Posture)
	}

	// Another component raises a leaked-secret finding: it counts in risk
	// and the evaluator leaves it open.
	leak := &warden.Finding{IdentityID: bot.ID, RuleID: "secret-leaked", Subject: key.ID, Severity: warden.SeverityCritical, Title: "Secret leaked",
		Detail: "AKIAEXAMPLEBOT found in git history", OWASP: []string{"NHI2"}, NIST: []string{"CSF PR.DS-01"}, Source: "scan"}
	if err := db.RaiseFinding(ctx, leak); err != nil {
		t.Fatal(err)
	}
	// Fix the grant and the owner, suppress the old key: the next
	// evaluation resolves two findings and the suppressed one stays out of
	// the score.
	if err := db.ReplaceGrants(ctx, bot.ID, "test", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateIdentity(ctx, bot.ID, warden.IdentityUpdate{Owner: ptr("team-bots")}); err != nil {
		t.Fatal(err)
	}
	old, _, err := db.FindFindings(ctx, warden.FindingFilter{RuleID: "credential-old"})
	if err != nil || len(old) != 1 {
		t.Fatalf("credential-old findings: %v, %v", old, err)
	}
	if _, err := db.SuppressFinding(ctx, old[0].ID, "rotation scheduled with the vendor", evalTime.AddDate(0, 0, 14)); err != nil {
		t.Fatal(err)
	}
	res, err = ev.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Findings.Resolved != 2 || res.Posture.Suppressed != 1 || res.Posture.ByOWASP["NHI2"] != 1 {
		t.Fatalf("second evaluation: %+v, posture %+v", res.Findings, res.Posture)
	}
	// secret-leaked 40 + interactive 20 = 60, + prod 10.
	if r := riskOf(t, db, bot.ID); r != 70 {
		t.Fatalf("risk after fixes = %d, want 70", r)
	}
	if f, _ := db.FindFindingByID(ctx, leak.ID); f.Status != warden.FindingOpen {
		t.Fatalf("the evaluator changed another component's finding: %+v", f)
	}

	report, err := ev.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, g := range report.ByOWASP {
		groups[g.Ref] = len(g.Findings)
	}
	if groups["NHI2"] != 1 || groups["NHI7"] != 1 || groups["NHI10"] != 1 || len(groups) != 3 || report.Posture == nil {
		t.Fatalf("report groups = %v (want NHI2, NHI7 suppressed, NHI10)", groups)
	}
}

// evalTime is when the end-to-end tests evaluate: the day after the
// sample CloudTrail file.
var evalTime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func newEvaluator(t *testing.T, db *store.DB, cfg *govern.Config) *govern.Evaluator {
	t.Helper()
	ev, err := govern.NewEvaluator(govern.EvaluatorConfig{
		Identities: db, Credentials: db, Grants: db, Events: db, Findings: db, Posture: db,
		Rules: cfg, Now: func() time.Time { return evalTime },
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// findingsByIdentity maps external id -> sorted rule ids of open findings.
func findingsByIdentity(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	f := warden.FindingFilter{Status: warden.FindingOpen, Limit: warden.MaxPageSize}
	for {
		page, next, err := db.FindFindings(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range page {
			i, err := db.FindIdentityByID(context.Background(), fi.IdentityID)
			if err != nil {
				t.Fatal(err)
			}
			out[i.ExternalID] = append(out[i.ExternalID], fi.RuleID)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func riskOf(t *testing.T, db *store.DB, id string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(db.Rebind("SELECT risk_score FROM identities WHERE id = ?"), id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
