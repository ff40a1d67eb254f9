package onboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/onboard"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

const trustDomain = "warden.test"

type env struct {
	db    *store.DB
	clock *storetest.Clock
	svc   *onboard.Service
}

func newEnv(t *testing.T, db *store.DB, mod func(*onboard.Config)) *env {
	t.Helper()
	c := storetest.NewClock(time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC))
	cfg := onboard.Config{Store: db, Identities: db, TrustDomain: trustDomain, Now: c.Now}
	if mod != nil {
		mod(&cfg)
	}
	return &env{db: db, clock: c, svc: onboard.New(cfg)}
}

// forEachStore runs fn on a fresh SQLite store and a fresh PostgreSQL schema.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) { fn(t, newEnv(t, open(t), nil)) })
	}
}

func person(tokenID, name string) context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: tokenID, Name: name, Role: warden.RoleApprover})
}

var (
	alice = person("tok-alice", "alice")
	bob   = person("tok-bob", "bob")
	carol = person("tok-carol", "carol")
)

func renderer() warden.OnboardingInput {
	return warden.OnboardingInput{
		Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:billing:invoice-renderer",
		Purpose: "renders invoice PDFs for the billing portal", Team: "team-billing", Owner: "maria.lopez@example.com",
		Environment: "staging", Permissions: []string{"get", "list", "watch"}, ReviewInterval: "90d",
		Labels: map[string]string{"app": "invoice-renderer"},
	}
}

func TestOnboarding_ReadOnlyNonProdIsAutoApprovedAndCreatesManagedIdentity(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r, err := e.svc.RequestOnboarding(alice, renderer())
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != warden.OnboardApproved || r.RequiredApprovals != 0 || r.IdentityID == "" ||
			!strings.Contains(r.Decision, "onboard.auto-approve-low-risk-new") || r.RequesterID != "tok-alice" {
			t.Fatalf("request = %+v", r)
		}
		id, err := e.db.FindIdentityByID(context.Background(), r.IdentityID)
		if err != nil {
			t.Fatal(err)
		}
		wantReview := e.clock.Now().Add(90 * 24 * time.Hour)
		if !id.Managed || id.Owner != "maria.lopez@example.com" || id.Team() != "team-billing" || id.Purpose != "renders invoice PDFs for the billing portal" ||
			id.Environment != "staging" || id.Name != "invoice-renderer" || id.Labels["app"] != "invoice-renderer" ||
			id.Labels[warden.LabelOnboardingRequest] != r.ID || id.NextReviewAt == nil || !id.NextReviewAt.Equal(wantReview) {
			t.Fatalf("identity = %+v", id)
		}
		// The creation is audited with the request, by the requester.
		recs, _, err := e.db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "identity", TargetID: id.ID})
		if err != nil || len(recs) != 1 || recs[0].Action != "identity.create" || !strings.Contains(recs[0].Actor, "tok-alice") {
			t.Fatalf("identity audit = %+v, %v", recs, err)
		}
		// Asking again for the same external id is a conflict, not a second identity.
		_, err = e.svc.RequestOnboarding(bob, renderer())
		if warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("second request: %v", err)
		}
	})
}

func TestOnboarding_AdminWaitsForAnotherApproverNeverTheRequester(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		in := renderer()
		in.ExternalID, in.Permissions = "system:serviceaccount:billing:ledger-migrator", []string{"cluster-admin"}
		r, err := e.svc.RequestOnboarding(alice, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != warden.OnboardPending || r.RequiredApprovals != 1 || r.IdentityID != "" {
			t.Fatalf("request = %+v", r)
		}
		if _, err := e.db.FindIdentityByRef(context.Background(), in.ExternalID, in.Provider); warden.ErrorCode(err) != warden.ENOTFOUND {
			t.Fatalf("identity exists before approval: %v", err)
		}
		// The requester cannot approve, not even with another token of
		// theirs of the same name.
		_, err = e.svc.ApproveOnboarding(alice, r.ID, "looks fine to me")
		if warden.ErrorCode(err) != warden.EFORBIDDEN || !strings.Contains(warden.ErrorMessage(err), "cannot approve") {
			t.Fatalf("self-approval: %v", err)
		}
		if _, err := e.svc.ApproveOnboarding(person("tok-alice-laptop", "Alice"), r.ID, ""); warden.ErrorCode(err) != warden.EFORBIDDEN {
			t.Fatalf("self-approval with a second token: %v", err)
		}
		if got, _ := e.svc.FindOnboardingRequest(context.Background(), r.ID); got.Status != warden.OnboardPending || len(got.Approvals) != 0 {
			t.Fatalf("after self-approval = %+v", got)
		}
		e.clock.Advance(2 * time.Hour)
		approved, err := e.svc.ApproveOnboarding(bob, r.ID, "migration agreed in CHG-2231")
		if err != nil {
			t.Fatal(err)
		}
		if approved.Status != warden.OnboardApproved || approved.IdentityID == "" || !strings.Contains(approved.Decision, "tok-bob") ||
			len(approved.Approvals) != 1 || approved.Approvals[0].Comment != "migration agreed in CHG-2231" {
			t.Fatalf("approved = %+v", approved)
		}
		id, err := e.db.FindIdentityByID(context.Background(), approved.IdentityID)
		if err != nil || !id.Managed || id.ExternalID != in.ExternalID || !id.NextReviewAt.Equal(e.clock.Now().Add(90*24*time.Hour)) {
			t.Fatalf("identity = %+v, %v", id, err)
		}
		// A decided request takes no more answers.
		if _, err := e.svc.DenyOnboarding(carol, r.ID, "late"); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("deny after approval: %v", err)
		}
	})
}

func TestOnboarding_ProdAdminNeedsTwoDistinctApprovers(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		in := renderer()
		in.Kind, in.Provider, in.ExternalID = warden.KindCloudRole, warden.ProviderAWS, "arn:aws:iam::402118867530:role/payments-breakfix"
		in.Environment, in.Permissions, in.ReviewInterval, in.Expires = "prod", []string{"iam:PassRole", "s3:*"}, "", "2027-03-01"
		r, err := e.svc.RequestOnboarding(alice, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != warden.OnboardPending || r.RequiredApprovals != 2 || !strings.Contains(r.Decision, "onboard.two-approvers-for-prod-admin") {
			t.Fatalf("request = %+v", r)
		}
		first, err := e.svc.ApproveOnboarding(bob, r.ID, "")
		if err != nil || first.Status != warden.OnboardPending || first.IdentityID != "" {
			t.Fatalf("after one approval = %+v, %v", first, err)
		}
		// One approver counts once.
		if _, err := e.svc.ApproveOnboarding(bob, r.ID, "again"); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("second approval by the same approver: %v", err)
		}
		done, err := e.svc.ApproveOnboarding(carol, r.ID, "")
		if err != nil || done.Status != warden.OnboardApproved || done.IdentityID == "" {
			t.Fatalf("after two approvals = %+v, %v", done, err)
		}
		id, _ := e.db.FindIdentityByID(context.Background(), done.IdentityID)
		expiry := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
		if id.NextReviewAt == nil || !id.NextReviewAt.Equal(expiry) || id.Labels[warden.LabelExpires] != "2027-03-01T00:00:00Z" {
			t.Fatalf("identity review %v, labels %v: want the expiry", id.NextReviewAt, id.Labels)
		}
	})
}

func TestOnboarding_DeniedRequestChangesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		in := renderer()
		in.Permissions = []string{"create", "delete"}
		r, err := e.svc.RequestOnboarding(alice, in)
		if err != nil || r.Status != warden.OnboardPending {
			t.Fatalf("request = %+v, %v", r, err)
		}
		if _, err := e.svc.DenyOnboarding(alice, r.ID, "never mind"); warden.ErrorCode(err) != warden.EFORBIDDEN {
			t.Fatalf("requester denies: %v", err)
		}
		denied, err := e.svc.DenyOnboarding(bob, r.ID, "use the shared renderer instead")
		if err != nil || denied.Status != warden.OnboardDenied || denied.IdentityID != "" || denied.DecidedAt == nil {
			t.Fatalf("denied = %+v, %v", denied, err)
		}
		ids, _, _ := e.db.FindIdentities(context.Background(), warden.IdentityFilter{})
		if len(ids) != 0 {
			t.Fatalf("a denied request created %d identities", len(ids))
		}
		if _, err := e.svc.ApproveOnboarding(carol, r.ID, ""); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("approve after denial: %v", err)
		}
	})
}

func TestOnboarding_ApprovalWhoseIdentityCannotBeCreatedStaysPending(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		in := renderer()
		in.Permissions = []string{"update"}
		r, err := e.svc.RequestOnboarding(alice, in)
		if err != nil || r.Status != warden.OnboardPending {
			t.Fatalf("request = %+v, %v", r, err)
		}
		// An import brings in the same service account meanwhile.
		if err := e.db.CreateIdentity(context.Background(), &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes,
			ExternalID: in.ExternalID, Name: "invoice-renderer"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ApproveOnboarding(bob, r.ID, "")
		if warden.ErrorCode(err) != warden.ECONFLICT || !strings.Contains(warden.ErrorMessage(err), "stays pending") {
			t.Fatalf("approval with a taken external id: %v", err)
		}
		got, _ := e.svc.FindOnboardingRequest(context.Background(), r.ID)
		if got.Status != warden.OnboardPending || len(got.Approvals) != 0 || got.IdentityID != "" {
			t.Fatalf("request after the failed approval = %+v", got)
		}
	})
}

func TestOnboarding_ClaimSetsOwnerPurposeEnvironmentAndManages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// Seen only in CloudTrail: not onboarded, nobody owns it.
		found := &warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:role/docs-publisher",
			Name: "docs-publisher", Labels: map[string]string{"discovered-by": "cloudtrail"}, RiskScore: 10}
		if err := e.db.CreateIdentity(ctx, found); err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.ClaimIdentity(alice, warden.ClaimInput{Identity: found.ExternalID, Owner: "li.wei@example.com", Team: "team-docs",
			Purpose: "publishes the docs site to S3 from CI", Environment: "dev", ReviewInterval: "180d"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Type != warden.OnboardClaim || r.Status != warden.OnboardApproved || r.IdentityID != found.ID || !strings.Contains(r.Decision, "onboard.auto-approve-low-risk-claims") {
			t.Fatalf("claim = %+v", r)
		}
		got, _ := e.db.FindIdentityByID(ctx, found.ID)
		if !got.Managed || got.Owner != "li.wei@example.com" || got.Team() != "team-docs" || got.Purpose != "publishes the docs site to S3 from CI" ||
			got.Environment != "dev" || got.Labels["discovered-by"] != "cloudtrail" || got.Labels[warden.LabelOnboardingRequest] != r.ID ||
			got.NextReviewAt == nil || !got.NextReviewAt.Equal(e.clock.Now().Add(180*24*time.Hour)) {
			t.Fatalf("claimed identity = %+v", got)
		}
		// Onboarded now: it cannot be claimed again.
		if _, err := e.svc.ClaimIdentity(bob, warden.ClaimInput{Identity: found.ID, Team: "team-x", Purpose: "mine", Environment: "dev"}); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("second claim: %v", err)
		}

		// A prod identity's claim waits for an approver; owner defaults to the team.
		prod := &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/legacy-backup",
			Name: "legacy-backup", Environment: "prod", RiskScore: 65}
		if err := e.db.CreateIdentity(ctx, prod); err != nil {
			t.Fatal(err)
		}
		pending, err := e.svc.ClaimIdentity(alice, warden.ClaimInput{Identity: prod.ID, Team: "team-storage", Purpose: "nightly RDS snapshot copy", Environment: "prod"})
		if err != nil || pending.Status != warden.OnboardPending || pending.RiskScore != 65 {
			t.Fatalf("prod claim = %+v, %v", pending, err)
		}
		if got, _ := e.db.FindIdentityByID(ctx, prod.ID); got.Managed || got.Owner != "" {
			t.Fatalf("identity changed before approval: %+v", got)
		}
		if _, err := e.svc.ClaimIdentity(bob, warden.ClaimInput{Identity: prod.ID, Team: "team-x", Purpose: "mine", Environment: "prod"}); warden.ErrorCode(err) != warden.ECONFLICT {
			t.Fatalf("claim while one is pending: %v", err)
		}
		if _, err := e.svc.ApproveOnboarding(alice, pending.ID, ""); warden.ErrorCode(err) != warden.EFORBIDDEN {
			t.Fatalf("claimant approves: %v", err)
		}
		if _, err := e.svc.ApproveOnboarding(bob, pending.ID, "storage owns backups"); err != nil {
			t.Fatal(err)
		}
		got, _ = e.db.FindIdentityByID(ctx, prod.ID)
		if !got.Managed || got.Owner != "team-storage" || got.Team() != "team-storage" || got.Environment != "prod" || got.Purpose != "nightly RDS snapshot copy" {
			t.Fatalf("claimed prod identity = %+v", got)
		}
	})
}

func TestOnboarding_WardenWorkloadGetsRegistrationEntry(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		in := warden.OnboardingInput{
			Kind: warden.KindWorkload, Provider: warden.ProviderWarden, ExternalID: "spiffe://" + trustDomain + "/ci/docs-builder",
			Purpose: "builds the docs site in GitHub Actions", Team: "team-docs", Environment: "dev", Permissions: []string{"docs.read"},
			ReviewInterval: "12w",
			Entry: &warden.OnboardingEntry{Method: warden.AttestOIDC, OIDCIssuer: "https://token.actions.githubusercontent.com",
				Selectors: map[string]string{"repository": "example/docs", "ref": "refs/heads/main"}, Audiences: []string{"https://docs.example.org"}},
		}
		// An entry is a way to obtain credentials: asked by a role that
		// cannot manage the issuer, it waits for an approver even when
		// the workload only reads outside prod.
		r, err := e.svc.RequestOnboarding(alice, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != warden.OnboardPending || r.EntryID != "" {
			t.Fatalf("request by an approver-role token = %+v", r)
		}
		if r, err = e.svc.ApproveOnboarding(bob, r.ID, ""); err != nil {
			t.Fatal(err)
		}
		if r.Status != warden.OnboardApproved || r.EntryID == "" || r.Name != "docs-builder" {
			t.Fatalf("approved request = %+v", r)
		}
		entry, err := e.db.FindRegistrationEntryByID(context.Background(), r.EntryID)
		if err != nil || entry.IdentityID != r.IdentityID || entry.SPIFFEID != in.ExternalID || entry.Method != warden.AttestOIDC ||
			entry.Selectors["repository"] != "example/docs" || len(entry.Scopes) != 1 || entry.Scopes[0] != "docs.read" {
			t.Fatalf("entry = %+v, %v", entry, err)
		}
		// An operator (who may manage the issuer) gets it at once.
		in.ExternalID = "spiffe://" + trustDomain + "/ci/docs-linter"
		operator := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-olga", Name: "olga", Role: warden.RoleOperator})
		if r, err := e.svc.RequestOnboarding(operator, in); err != nil || r.Status != warden.OnboardApproved || r.EntryID == "" {
			t.Fatalf("request by an operator = %+v, %v", r, err)
		}
		// Outside the trust domain, or without the entry, it is refused.
		in.ExternalID = "spiffe://elsewhere.test/ci/docs-builder"
		if _, err := e.svc.RequestOnboarding(alice, in); warden.ErrorField(err) != "external_id" {
			t.Fatalf("foreign trust domain: %v", err)
		}
		in.ExternalID, in.Entry = "spiffe://"+trustDomain+"/ci/other", nil
		if _, err := e.svc.RequestOnboarding(alice, in); warden.ErrorField(err) != "entry" {
			t.Fatalf("no entry: %v", err)
		}
	})
}

func TestOnboarding_OperatorPolicyReplacesTheDefault(t *testing.T) {
	pol, err := onboard.ParsePolicy("strict.cedar", []byte(`
@id("strict.ask") permit (principal, action == Action::"request", resource);
@id("strict.no-ai-agents") forbid (principal, action == Action::"request", resource) when { context.kind == "ai_agent" };
`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, storetest.OpenSQLite(t), func(c *onboard.Config) { c.Policy = pol })
	r, err := e.svc.RequestOnboarding(alice, renderer())
	if err != nil || r.Status != warden.OnboardPending {
		t.Fatalf("read-only request under a policy without auto-approval = %+v, %v", r, err)
	}
	in := renderer()
	in.Kind, in.ExternalID = warden.KindAIAgent, "agents/support-triage"
	r, err = e.svc.RequestOnboarding(alice, in)
	if err != nil || r.Status != warden.OnboardDenied || !strings.Contains(r.Decision, "strict.no-ai-agents") {
		t.Fatalf("AI agent = %+v, %v", r, err)
	}
}

func TestOnboarding_RejectsBadInputNamingTheField(t *testing.T) {
	e := newEnv(t, storetest.OpenSQLite(t), nil)
	for name, tc := range map[string]struct {
		mut   func(*warden.OnboardingInput)
		field string
	}{
		"NoTeam":           {func(in *warden.OnboardingInput) { in.Team = "" }, "team"},
		"NoPurpose":        {func(in *warden.OnboardingInput) { in.Purpose = " " }, "purpose"},
		"BadKind":          {func(in *warden.OnboardingInput) { in.Kind = "robot" }, "kind"},
		"NoEnvironment":    {func(in *warden.OnboardingInput) { in.Environment = "" }, "environment"},
		"NoPermissions":    {func(in *warden.OnboardingInput) { in.Permissions = []string{" "} }, "permissions"},
		"NoReviewOrExpiry": {func(in *warden.OnboardingInput) { in.ReviewInterval = "" }, "review_interval"},
		"BadInterval":      {func(in *warden.OnboardingInput) { in.ReviewInterval = "soon" }, "review_interval"},
		"PastExpiry":       {func(in *warden.OnboardingInput) { in.Expires = "2020-01-01" }, "expires"},
		"FarExpiry":        {func(in *warden.OnboardingInput) { in.Expires = "2031-01-01" }, "expires"},
		"TeamLabel":        {func(in *warden.OnboardingInput) { in.Labels = map[string]string{"team": "x"} }, "labels"},
	} {
		in := renderer()
		tc.mut(&in)
		_, err := e.svc.RequestOnboarding(alice, in)
		if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tc.field {
			t.Errorf("%s: err = %v, want invalid %s", name, err, tc.field)
		}
	}
	if _, err := e.svc.RequestOnboarding(warden.NewContextWithActor(context.Background(), warden.Actor{Type: "workload", ID: "spiffe://x/y"}), renderer()); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Errorf("workload caller: %v", err)
	}
	if _, err := e.svc.ClaimIdentity(alice, warden.ClaimInput{Identity: "nope", Team: "t", Purpose: "p", Environment: "dev"}); warden.ErrorField(err) != "identity" {
		t.Errorf("claim of an unknown identity: %v", err)
	}
	if list, _, _ := e.svc.FindOnboardingRequests(context.Background(), warden.OnboardingFilter{}); len(list) != 0 {
		t.Errorf("bad input stored %d requests", len(list))
	}
}
