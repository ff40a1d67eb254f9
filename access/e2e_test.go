package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

type env struct {
	db    *store.DB
	clock *storetest.Clock
	svc   *access.Service
	pdp   *policy.Engine
}

func newEnv(t *testing.T, db *store.DB, mod func(*access.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	pdp := policy.New(policy.Config{Identities: db, Credentials: db, Policies: db, Entities: db, Grants: db, Changes: db, Log: db, Now: c.Now,
		LogFlushInterval: 10 * time.Millisecond})
	if err := pdp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); pdp.Close() })
	cfg := access.Config{Store: db, Identities: db, Events: db, Detections: db, Revoker: db, Decisions: db, Now: c.Now}
	if mod != nil {
		mod(&cfg)
	}
	return &env{db: db, clock: c, svc: access.New(cfg), pdp: pdp}
}

func person(tokenID, name string) context.Context {
	return warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: tokenID, Name: name, Role: warden.RoleApprover})
}

func agent(identity *warden.Identity, agentID string) context.Context {
	actor := warden.Actor{Type: "workload", ID: identity.ExternalID, Name: identity.Name}
	ctx := warden.NewContextWithActor(context.Background(), actor)
	return warden.NewContextWithAccessCaller(ctx, &warden.AccessCaller{Actor: actor, Kind: warden.RequesterAgent, IdentityID: identity.ID, TokenID: "jti-1", Actors: []string{agentID}})
}

func mkIdentity(t *testing.T, db *store.DB, name, env, owner string) *warden.Identity {
	t.Helper()
	i := &warden.Identity{Kind: warden.KindWorkload, Provider: "warden", ExternalID: "spiffe://example.org/" + name, Name: name,
		Owner: owner, Environment: env, Managed: true}
	if err := db.CreateIdentity(person("tok-admin", "admin"), i); err != nil {
		t.Fatal(err)
	}
	return i
}

// decide asks the decision point whether the identity may do action on
// Bucket::invoices.
func (e *env) decide(t *testing.T, identity *warden.Identity, action string) *policy.Decision {
	t.Helper()
	d, err := e.pdp.Decide(context.Background(), &policy.Request{
		Principal: &warden.EntityRef{Type: "Identity", ID: identity.ID},
		Action:    warden.EntityRef{Type: "Action", ID: action},
		Resource:  warden.EntityRef{Type: "Bucket", ID: "invoices"},
	}, "inproc")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// eventually polls the decision until it is want, for at most a second
// (the change feed reaches the decision point's cache asynchronously).
func (e *env) eventually(t *testing.T, identity *warden.Identity, action, want string) *policy.Decision {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		d := e.decide(t, identity, action)
		if d.Decision == want || time.Now().After(deadline) {
			if d.Decision != want {
				t.Fatalf("%s %s: decision %s (policies %v, errors %v), want %s", identity.Name, action, d.Decision, d.Policies, d.Errors, want)
			}
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var writeScope = warden.AccessScope{Actions: []string{"write"}, Resources: []string{"Bucket::invoices"}}

func TestAccess_AgentWriteGrantAllowsUntilExpiry(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			e := newEnv(t, db, nil)
			bot := mkIdentity(t, db, "invoice-agent", "staging", "team-billing")

			e.eventually(t, bot, "write", "deny")
			r, tok, err := e.svc.RequestAccess(agent(bot, "spiffe://example.org/agents/copilot"), warden.AccessInput{
				Scope: writeScope, Duration: "1h", Reason: "re-run the failed invoice export", Task: "export-2026-12",
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != warden.AccessPending || r.RequiredApprovals != 1 || tok != nil || r.RequesterKind != warden.RequesterAgent ||
				r.RequesterID != "spiffe://example.org/agents/copilot" || r.Task != "export-2026-12" || r.OnBehalfOf != bot.ExternalID {
				t.Fatalf("request = %+v", r)
			}
			e.eventually(t, bot, "write", "deny")

			approved, err := e.svc.ApproveAccess(person("tok-bob", "bob"), r.ID, "ok for the export")
			if err != nil {
				t.Fatal(err)
			}
			if approved.Status != warden.AccessApproved || !approved.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) || !strings.Contains(approved.Decision, "bob") {
				t.Fatalf("approved = %+v", approved)
			}
			d := e.eventually(t, bot, "write", "allow")
			if len(d.Policies) != 1 || d.Policies[0] != policy.GrantPolicyID {
				t.Fatalf("allowed by %v, want the grant policy", d.Policies)
			}
			// Only the granted scope: another action stays denied.
			if d := e.decide(t, bot, "delete"); d.Decision != "deny" {
				t.Fatalf("delete during the grant: %s", d.Decision)
			}

			e.clock.Advance(59 * time.Minute)
			e.eventually(t, bot, "write", "allow")
			e.clock.Advance(time.Minute)
			e.eventually(t, bot, "write", "deny")

			n, err := e.svc.ExpireLapsed(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("expired %d, %v", n, err)
			}
			done, _ := e.svc.FindAccessRequest(context.Background(), r.ID)
			if done.Status != warden.AccessExpired || done.EndedBy != "system" {
				t.Fatalf("after expiry = %+v", done)
			}
		})
	}
}

func TestAccess_SelfApprovalIsRefused(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, nil)
	id := mkIdentity(t, db, "payments-batch", "prod", "team-payments")
	alice := person("tok-alice", "alice")
	r, _, err := e.svc.RequestAccess(alice, warden.AccessInput{Identity: id.ExternalID, Scope: writeScope, Duration: "30m", Reason: "INC-2231: replay refunds"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != warden.AccessPending || r.RequiredApprovals != 2 {
		t.Fatalf("prod write request = %s with %d approvals, want pending with 2", r.Status, r.RequiredApprovals)
	}
	if _, err := e.svc.ApproveAccess(alice, r.ID, "looks fine to me"); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("self-approval: %v, want forbidden", err)
	}
	if _, err := e.svc.ApproveAccess(person("tok-bob", "bob"), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ApproveAccess(person("tok-bob", "bob"), r.ID, ""); warden.ErrorCode(err) != warden.ECONFLICT {
		t.Fatalf("second approval by the same approver: %v, want conflict", err)
	}
	got, _ := e.svc.FindAccessRequest(context.Background(), r.ID)
	if got.Status != warden.AccessPending || len(got.Approvals) != 1 {
		t.Fatalf("after one of two approvals = %s, %d approvals", got.Status, len(got.Approvals))
	}
	e.eventually(t, id, "write", "deny")
	final, err := e.svc.ApproveAccess(person("tok-carol", "carol"), r.ID, "")
	if err != nil || final.Status != warden.AccessApproved {
		t.Fatalf("second approver: %+v, %v", final, err)
	}
	e.eventually(t, id, "write", "allow")
}

func TestAccess_OwnerMayNotApproveWhenConfigured(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, func(c *access.Config) { c.ForbidOwnerApproval = true })
	id := mkIdentity(t, db, "ledger-sync", "staging", "dave")
	r, _, err := e.svc.RequestAccess(person("tok-alice", "alice"), warden.AccessInput{Identity: id.ID, Scope: writeScope, Duration: "1h", Reason: "fix ledger drift"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ApproveAccess(person("tok-dave", "dave"), r.ID, ""); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("owner approval: %v, want forbidden", err)
	}
}

func TestAccess_AutoApprovedReadAndDeniedByPolicy(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, nil)
	owned := mkIdentity(t, db, "report-reader", "staging", "team-data")
	ctx := person("tok-alice", "alice")
	r, _, err := e.svc.RequestAccess(ctx, warden.AccessInput{Identity: owned.ID, Scope: warden.AccessScope{Actions: []string{"s3:GetObject", "s3:ListBucket"}}, Duration: "2h", Reason: "debug the nightly report"})
	if err != nil || r.Status != warden.AccessApproved || !strings.Contains(r.Decision, "access.auto-approve-owned-nonprod-reads") {
		t.Fatalf("read in staging = %+v, %v", r, err)
	}
	long, _, err := e.svc.RequestAccess(ctx, warden.AccessInput{Identity: owned.ID, Scope: writeScope, Duration: "2d", Reason: "long job"})
	if err == nil || warden.ErrorField(err) != "duration" {
		t.Fatalf("2d request: %+v, %v; want an error on duration", long, err)
	}
	// Quarantined identities get nothing, by policy.
	q := warden.StatusQuarantined
	if _, err := db.UpdateIdentity(ctx, owned.ID, warden.IdentityUpdate{Status: &q}); err != nil {
		t.Fatal(err)
	}
	denied, _, err := e.svc.RequestAccess(ctx, warden.AccessInput{Identity: owned.ID, Scope: writeScope, Duration: "1h", Reason: "need it"})
	if err != nil || denied.Status != warden.AccessDenied || !strings.Contains(denied.Decision, "access.only-active-identities") {
		t.Fatalf("request for a quarantined identity = %+v, %v", denied, err)
	}
}

func TestAccess_QuarantineBeatsAGrant(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, nil)
	id := mkIdentity(t, db, "exporter", "staging", "team-billing")
	r, _, err := e.svc.RequestAccess(person("tok-alice", "alice"), warden.AccessInput{Identity: id.ID, Scope: writeScope, Duration: "1h", Reason: "export"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ApproveAccess(person("tok-bob", "bob"), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, id, "write", "allow")
	q := warden.StatusQuarantined
	if _, err := db.UpdateIdentity(person("tok-admin", "admin"), id.ID, warden.IdentityUpdate{Status: &q}); err != nil {
		t.Fatal(err)
	}
	d := e.eventually(t, id, "write", "deny")
	if !strings.Contains(strings.Join(d.Policies, ","), "guardrail.quarantined") {
		t.Fatalf("denied by %v, want guardrail.quarantined", d.Policies)
	}
}

func TestAccess_RevokeEndsTheGrantAtOnce(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, nil)
	id := mkIdentity(t, db, "migrator", "dev", "team-core")
	r, _, err := e.svc.RequestAccess(person("tok-alice", "alice"), warden.AccessInput{Identity: id.ID, Scope: writeScope, Duration: "4h", Reason: "schema migration"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ApproveAccess(person("tok-bob", "bob"), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, id, "write", "allow")
	out, err := e.svc.RevokeAccess(person("tok-bob", "bob"), r.ID, "migration finished")
	if err != nil || out.Status != warden.AccessRevoked || out.EndReason != "migration finished" {
		t.Fatalf("revoke = %+v, %v", out, err)
	}
	e.eventually(t, id, "write", "deny")
	if _, err := e.svc.RevokeAccess(person("tok-bob", "bob"), r.ID, "again"); warden.ErrorCode(err) != warden.ECONFLICT {
		t.Fatalf("second revoke: %v", err)
	}
}

func TestAccess_BreakGlassNeedsNoApprovalAndLeavesDetectionAndReview(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, nil)
	id := mkIdentity(t, db, "payments-db", "prod", "team-payments")
	alice := person("tok-alice", "alice")
	in := warden.AccessInput{Identity: id.ID, Scope: writeScope, Duration: "30m", Reason: "INC-9001: payments DB is refusing writes, on-call needs to fail over"}

	if _, err := e.svc.BreakGlass(alice, in); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("break-glass without the second factor: %v, want unauthorized", err)
	}
	caller := &warden.AccessCaller{Actor: warden.ActorFromContext(alice), Kind: warden.RequesterPerson, BreakGlassToken: "tok-glass(alice-glass)"}
	glassCtx := warden.NewContextWithAccessCaller(alice, caller)
	weak := in
	weak.Reason = "prod down"
	if _, err := e.svc.BreakGlass(glassCtx, weak); warden.ErrorField(err) != "reason" {
		t.Fatalf("break-glass with a weak reason: %v, want an error on reason", err)
	}

	r, err := e.svc.BreakGlass(glassCtx, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != warden.AccessApproved || !r.BreakGlass || r.Review == nil || r.Review.Status != "pending" || len(r.Approvals) != 0 {
		t.Fatalf("break-glass = %+v", r)
	}
	e.eventually(t, id, "write", "allow")

	ds, _, err := db.FindDetections(context.Background(), warden.DetectionFilter{IdentityID: id.ID, Detector: access.BreakGlassDetector})
	if err != nil || len(ds) != 1 || ds[0].Severity != warden.SeverityHigh || !strings.Contains(ds[0].Explanation, r.ID) {
		t.Fatalf("detections = %+v, %v", ds, err)
	}
	tasks, _, err := db.FindAccessRequests(context.Background(), warden.AccessRequestFilter{NeedsReview: true})
	if err != nil || len(tasks) != 1 || tasks[0].ID != r.ID {
		t.Fatalf("review tasks = %v, %v", tasks, err)
	}
	if _, err := e.svc.ReviewAccess(alice, r.ID, warden.ReviewJustified, "it was me"); warden.ErrorCode(err) != warden.EFORBIDDEN {
		t.Fatalf("self-review: %v, want forbidden", err)
	}
	rev, err := e.svc.ReviewAccess(person("tok-sec", "secops"), r.ID, warden.ReviewJustified, "matches INC-9001 timeline")
	if err != nil || rev.Review.Status != "done" || rev.Review.Outcome != warden.ReviewJustified {
		t.Fatalf("review = %+v, %v", rev, err)
	}
	if tasks, _, _ := db.FindAccessRequests(context.Background(), warden.AccessRequestFilter{NeedsReview: true}); len(tasks) != 0 {
		t.Fatalf("review tasks after the review = %d", len(tasks))
	}
	if _, err := e.svc.BreakGlass(glassCtx, warden.AccessInput{Identity: id.ID, Scope: writeScope, Duration: "8h", Reason: in.Reason}); warden.ErrorField(err) != "duration" {
		t.Fatalf("8h break-glass: %v, want an error on duration", err)
	}
}

func TestAccess_GrantUsageCountsWhatTheGrantAllowed(t *testing.T) {
	db := storetest.OpenSQLite(t)
	e := newEnv(t, db, nil)
	id := mkIdentity(t, db, "uploader", "staging", "team-billing")
	r, _, err := e.svc.RequestAccess(person("tok-alice", "alice"), warden.AccessInput{Identity: id.ID, Scope: writeScope, Duration: "1h", Reason: "upload"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GrantUsage(context.Background(), r.ID); warden.ErrorCode(err) != warden.ECONFLICT {
		t.Fatalf("usage of a pending request: %v, want conflict", err)
	}
	if _, err := e.svc.ApproveAccess(person("tok-bob", "bob"), r.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, id, "write", "allow")
	for range 2 {
		if d := e.decide(t, id, "write"); d.Decision != "allow" {
			t.Fatalf("write during the grant: %s", d.Decision)
		}
	}
	e.decide(t, id, "delete") // denied: not the grant's
	deadline := time.Now().Add(2 * time.Second)
	for {
		u, err := e.svc.GrantUsage(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Decisions >= 3 || time.Now().After(deadline) {
			if u.Decisions != 3 || len(u.Uses) != 1 || u.Uses[0].Action != "write" || u.Uses[0].Resource != "Bucket::invoices" || u.Uses[0].Count != 3 {
				t.Fatalf("usage = %+v (uses %+v), want 3 writes on Bucket::invoices", u, u.Uses)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
