package review_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/review"
	"github.com/warden-nhi/warden/rightsize"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// inbox records the review notifications sent.
type inbox struct {
	mu   sync.Mutex
	sent []review.Notification
}

func (b *inbox) NotifyReview(_ context.Context, n review.Notification) {
	b.mu.Lock()
	b.sent = append(b.sent, n)
	b.mu.Unlock()
}

// take returns the notifications sent since the last take.
func (b *inbox) take() []review.Notification {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.sent
	b.sent = nil
	return out
}

// owners records what the enforcement service told owners.
type owners struct {
	mu   sync.Mutex
	told []*warden.EnforcementEvent
}

func (o *owners) NotifyOwner(_ context.Context, e *warden.EnforcementEvent, _ *warden.Identity) {
	o.mu.Lock()
	o.told = append(o.told, e)
	o.mu.Unlock()
}

type env struct {
	db     *store.DB
	clock  *storetest.Clock
	svc    *review.Service
	inbox  *inbox
	owners *owners
}

var (
	admin = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-root", Name: "root", Role: warden.RoleAdmin})
	alice = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-alice", Name: "alice", Role: warden.RoleApprover})
)

func dialects() map[string]storetest.Opener {
	return map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres}
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := storetest.NewClock(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
	db.Now = c.Now
	rs, err := rightsize.New(rightsize.Config{Identities: db, Grants: db, Events: db, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: c, inbox: &inbox{}, owners: &owners{}}
	actions := enforce.New(enforce.Config{Store: db, Identities: db, Notifier: e.owners, Now: c.Now})
	e.svc = review.New(review.Config{Store: db, Identities: db, Findings: db, Events: db, Rightsize: rs, Actions: actions,
		Notifier: e.inbox, EscalateTo: "security@example.com", Now: c.Now})
	return e
}

// setMode puts control disable-review-expired in mode for every identity.
func (e *env) setMode(t *testing.T, mode warden.EnforcementMode) {
	t.Helper()
	if err := e.db.PutEnforcementSetting(admin, &warden.EnforcementSetting{Control: warden.ControlDisableReviewExpired, Scope: warden.ScopeAll, Mode: mode}); err != nil {
		t.Fatal(err)
	}
}

// role creates an AWS role owned by owner with an S3 read and delete
// grant and one use of the read.
func (e *env) role(t *testing.T, name, owner string) *warden.Identity {
	t.Helper()
	i := &warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:role/" + name,
		Name: name, Owner: owner, Environment: "prod", Managed: true}
	if err := e.db.CreateIdentity(admin, i); err != nil {
		t.Fatal(err)
	}
	grants := []*warden.Grant{{Kind: warden.GrantPermission, Effect: "allow", Source: "aws-iam", Via: "arn:aws:iam::111122223333:policy/" + name,
		Actions: []string{"s3:GetObject", "s3:DeleteObject"}, Resources: []string{"arn:aws:s3:::invoices/*"}}}
	if err := e.db.ReplaceGrants(admin, i.ID, "aws-iam", grants); err != nil {
		t.Fatal(err)
	}
	ev := &warden.Event{Time: e.clock.Now().Add(-48 * time.Hour), Source: "cloudtrail", RawID: "ev-" + name, IdentityID: i.ID, Provider: warden.ProviderAWS,
		Principal: i.ExternalID, Action: "s3:GetObject", Resource: "arn:aws:s3:::invoices/2026/04.csv", Outcome: warden.OutcomeAllow}
	if _, err := e.db.RecordEvents(admin, []*warden.Event{ev}); err != nil {
		t.Fatal(err)
	}
	return i
}

// privileged gives the identity an open admin-permissions finding.
func (e *env) privileged(t *testing.T, i *warden.Identity) {
	t.Helper()
	f := &warden.Finding{IdentityID: i.ID, RuleID: "admin-permissions", Severity: warden.SeverityCritical, Title: "AdministratorAccess attached",
		Source: "govern", Evidence: json.RawMessage(`{"policy":"AdministratorAccess"}`)}
	if err := e.db.RaiseFinding(admin, f); err != nil {
		t.Fatal(err)
	}
}

func (e *env) item(t *testing.T, campaignID, identityID string) *warden.ReviewItem {
	t.Helper()
	items, _, err := e.svc.FindReviewItems(context.Background(), warden.ReviewItemFilter{CampaignID: campaignID, IdentityID: identityID})
	if err != nil || len(items) != 1 {
		t.Fatalf("items of %s = %v, %v", identityID, items, err)
	}
	return items[0]
}

func (e *env) identity(t *testing.T, id string) *warden.Identity {
	t.Helper()
	i, err := e.db.FindIdentityByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func (e *env) sweep(t *testing.T) review.SweepResult {
	t.Helper()
	res, err := e.svc.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func auditActions(t *testing.T, db *store.DB, typ, id string) []string {
	t.Helper()
	recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: typ, TargetID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	return out
}

func TestReview_AnsweredItemKeepsIdentity(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			e.setMode(t, warden.ModeEnforce)
			admins, reports := e.role(t, "invoice-admin", "alice@example.com"), e.role(t, "invoice-reports", "alice@example.com")
			e.privileged(t, admins)
			c, err := e.svc.StartReview(admin, warden.ReviewInput{Name: "April recertification", Due: "14d", Grace: "7d"})
			if err != nil {
				t.Fatal(err)
			}
			if c.Progress.Total != 2 || c.Tier != warden.TierAll || c.CreatedBy != "token:tok-root(root)" {
				t.Fatalf("campaign = %+v", c)
			}
			adm, rep := e.item(t, c.ID, admins.ID), e.item(t, c.ID, reports.ID)
			if adm.Tier != warden.TierPrivileged || rep.Tier != warden.TierStandard {
				t.Fatalf("tiers = %s (%s), %s (%s)", adm.Tier, adm.Why, rep.Tier, rep.Why)
			}
			snap := adm.Snapshot
			if snap.RecentEvents != 1 || snap.PermissionsUsed != 1 || snap.PermissionsUnused != 1 || snap.Unused[0].Permission != "s3:DeleteObject" ||
				len(snap.OpenFindings) != 1 || snap.OpenFindings[0].RuleID != "admin-permissions" {
				t.Fatalf("snapshot = %+v", snap)
			}

			now := e.clock.Now()
			kept, err := e.svc.AnswerReview(alice, adm.ID, warden.ReviewAnswerInput{Answer: warden.AnswerKeep, Comment: "still runs the invoice exports"})
			if err != nil || kept.Status != warden.ItemAnswered || kept.AnsweredBy != "token:tok-alice(alice)" {
				t.Fatalf("keep = %+v, %v", kept, err)
			}
			if got := e.identity(t, admins.ID); got.Status != warden.StatusActive || got.NextReviewAt == nil || !got.NextReviewAt.Equal(now.Add(90*24*time.Hour)) {
				t.Fatalf("kept identity = %s, next review %v; want active, in 90 days", got.Status, got.NextReviewAt)
			}
			reduced, err := e.svc.AnswerReview(alice, rep.ID, warden.ReviewAnswerInput{Answer: warden.AnswerReduce})
			if err != nil || reduced.Proposal == nil || len(reduced.Proposal.Remove) != 1 || reduced.Proposal.Remove[0].Permission != "s3:DeleteObject" || reduced.Proposal.AWSPolicy == nil {
				t.Fatalf("reduce = %+v, %v", reduced, err)
			}
			if got := e.identity(t, reports.ID); got.Status != warden.StatusActive || got.NextReviewAt == nil || !got.NextReviewAt.Equal(now.Add(180*24*time.Hour)) {
				t.Fatalf("reduced identity = %s, next review %v; want active, in 180 days", got.Status, got.NextReviewAt)
			}

			// Answering twice, or a closed campaign, is a conflict.
			_, err = e.svc.AnswerReview(alice, adm.ID, warden.ReviewAnswerInput{Answer: warden.AnswerRemove, Comment: "changed my mind"})
			if warden.ErrorCode(err) != warden.ECONFLICT {
				t.Fatalf("second answer = %v, want ECONFLICT", err)
			}
			got, _ := e.svc.FindReviewCampaign(context.Background(), c.ID)
			if got.Status != warden.CampaignClosed || got.Progress.CompletionRate != 1 || got.Progress.Keep != 1 || got.Progress.Reduce != 1 {
				t.Fatalf("campaign after answers = %+v", got)
			}
			// Past due and grace nothing happens to answered identities.
			e.clock.Advance(30 * 24 * time.Hour)
			if res := e.sweep(t); res != (review.SweepResult{}) {
				t.Fatalf("sweep after answers = %+v", res)
			}
			for _, id := range []string{admins.ID, reports.ID} {
				if got := e.identity(t, id); got.Status != warden.StatusActive {
					t.Fatalf("identity %s = %s after the grace period, want active", id, got.Status)
				}
			}
			// Nothing is due now: a new campaign has no one to review.
			_, err = e.svc.StartReview(admin, warden.ReviewInput{})
			if warden.ErrorCode(err) != warden.ECONFLICT {
				t.Fatalf("start with nothing due = %v, want ECONFLICT", err)
			}
			if got := auditActions(t, e.db, "review_item", adm.ID); !slices.Equal(got, []string{"review.answer"}) {
				t.Fatalf("item audit = %v", got)
			}
			if got := auditActions(t, e.db, "review_campaign", c.ID); !slices.Equal(got, []string{"review.start", "review.close"}) {
				t.Fatalf("campaign audit = %v", got)
			}
		})
	}
}

// expireUnanswered runs one unanswered item through reminders, escalation
// and the end of the grace period, and returns it and its identity.
func expireUnanswered(t *testing.T, e *env) (*warden.ReviewCampaign, *warden.ReviewItem, *warden.Identity) {
	t.Helper()
	id := e.role(t, "batch-exporter", "bob@example.com")
	c, err := e.svc.StartReview(admin, warden.ReviewInput{Due: "14d", Grace: "7d", Reminder: "3d"})
	if err != nil {
		t.Fatal(err)
	}
	it := e.item(t, c.ID, id.ID)

	// The first sweep tells the owner; another within the reminder
	// interval does not, one after it does again.
	if res := e.sweep(t); res.Reminded != 1 {
		t.Fatalf("first sweep = %+v, want one reminder", res)
	}
	if sent := e.inbox.take(); len(sent) != 1 || sent[0].Event != review.EventReminder || sent[0].To != "bob@example.com" || len(sent[0].Items) != 1 {
		t.Fatalf("first reminder = %+v", sent)
	}
	e.clock.Advance(24 * time.Hour)
	if res := e.sweep(t); res.Reminded != 0 || len(e.inbox.take()) != 0 {
		t.Fatalf("sweep a day later reminded again: %+v", res)
	}
	e.clock.Advance(2 * 24 * time.Hour)
	if res := e.sweep(t); res.Reminded != 1 || len(e.inbox.take()) != 1 {
		t.Fatalf("sweep three days later = %+v, want a second reminder", res)
	}

	// At the due date the item escalates; the identity is untouched.
	e.clock.Advance(11 * 24 * time.Hour)
	if res := e.sweep(t); res.Escalated != 1 || res.Disabled+res.Reported != 0 {
		t.Fatalf("sweep at due date = %+v", res)
	}
	if sent := e.inbox.take(); len(sent) != 1 || sent[0].Event != review.EventEscalated || sent[0].To != "security@example.com" {
		t.Fatalf("escalation = %+v", sent)
	}
	if got := e.item(t, c.ID, id.ID); got.Status != warden.ItemEscalated || got.EscalatedAt == nil {
		t.Fatalf("item at due date = %+v", got)
	}
	e.clock.Advance(6 * 24 * time.Hour)
	if res := e.sweep(t); res != (review.SweepResult{}) {
		t.Fatalf("sweep in the grace period = %+v", res)
	}
	if got := e.identity(t, id.ID); got.Status != warden.StatusActive {
		t.Fatalf("identity in the grace period = %s", got.Status)
	}
	e.clock.Advance(24 * time.Hour)
	return c, it, id
}

func TestReview_UnansweredEscalatesThenDisablesInEnforceMode(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			e.setMode(t, warden.ModeEnforce)
			c, it, id := expireUnanswered(t, e)
			if res := e.sweep(t); res.Disabled != 1 || res.Reported != 0 {
				t.Fatalf("sweep after grace = %+v, want one disabled", res)
			}
			if got := e.identity(t, id.ID); got.Status != warden.StatusDisabled {
				t.Fatalf("identity after grace = %s, want disabled", got.Status)
			}
			got := e.item(t, c.ID, id.ID)
			if got.Status != warden.ItemDisabled || got.EnforcementEventID == "" || got.ExpiredAt == nil {
				t.Fatalf("item after grace = %+v", got)
			}
			events, _, err := e.db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{IdentityID: id.ID})
			if err != nil || len(events) != 1 || !events[0].Enforced || events[0].Control != warden.ControlDisableReviewExpired ||
				events[0].Ref != "review_item:"+it.ID || events[0].ID != got.EnforcementEventID {
				t.Fatalf("enforcement events = %+v, %v", events, err)
			}
			// An expired item takes no answer, and the campaign is closed.
			_, err = e.svc.AnswerReview(alice, it.ID, warden.ReviewAnswerInput{Answer: warden.AnswerKeep})
			if warden.ErrorCode(err) != warden.ECONFLICT {
				t.Fatalf("late answer = %v, want ECONFLICT", err)
			}
			if camp, _ := e.svc.FindReviewCampaign(context.Background(), c.ID); camp.Status != warden.CampaignClosed || camp.Progress.Disabled != 1 || camp.Progress.CompletionRate != 0 {
				t.Fatalf("campaign = %+v", camp)
			}
			want := []string{"review.remind", "review.remind", "review.escalate", "review.expire", "review.disable"}
			if got := auditActions(t, e.db, "review_item", it.ID); !slices.Equal(got, want) {
				t.Fatalf("item audit = %v, want %v", got, want)
			}
		})
	}
}

func TestReview_UnansweredInMonitorModeIsOnlyReported(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			e.setMode(t, warden.ModeMonitor)
			c, it, id := expireUnanswered(t, e)
			if res := e.sweep(t); res.Reported != 1 || res.Disabled != 0 {
				t.Fatalf("sweep after grace = %+v, want one reported", res)
			}
			if got := e.identity(t, id.ID); got.Status != warden.StatusActive {
				t.Fatalf("identity in monitor mode = %s, want active", got.Status)
			}
			got := e.item(t, c.ID, id.ID)
			if got.Status != warden.ItemReported || got.EnforcementEventID == "" {
				t.Fatalf("item = %+v, want reported", got)
			}
			events, _, err := e.db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{IdentityID: id.ID})
			if err != nil || len(events) != 1 || events[0].Enforced || events[0].Mode != warden.ModeMonitor || events[0].Ref != "review_item:"+it.ID {
				t.Fatalf("enforcement events = %+v, %v", events, err)
			}
			e.owners.mu.Lock()
			told := len(e.owners.told)
			e.owners.mu.Unlock()
			if told != 1 {
				t.Fatalf("owner told %d times, want once", told)
			}
			if camp, _ := e.svc.FindReviewCampaign(context.Background(), c.ID); camp.Status != warden.CampaignClosed || camp.Progress.Reported != 1 {
				t.Fatalf("campaign = %+v", camp)
			}
			// Still due: the next campaign takes the identity again.
			next, err := e.svc.StartReview(admin, warden.ReviewInput{})
			if err != nil || next.Progress.Total != 1 {
				t.Fatalf("next campaign = %+v, %v", next, err)
			}
		})
	}
}

func TestReview_RemoveDisablesAtOnceAndLateAnswerInGraceCounts(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			e.setMode(t, warden.ModeEnforce)
			old, late := e.role(t, "legacy-ftp", "carol@example.com"), e.role(t, "nightly-etl", "carol@example.com")
			c, err := e.svc.StartReview(admin, warden.ReviewInput{Due: "7d", Grace: "3d"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.AnswerReview(alice, e.item(t, c.ID, old.ID).ID, warden.ReviewAnswerInput{Answer: warden.AnswerRemove})
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("remove without comment = %v, want EINVALID", err)
			}
			if _, err := e.svc.AnswerReview(alice, e.item(t, c.ID, old.ID).ID, warden.ReviewAnswerInput{Answer: "remove", Comment: "the FTP drop was retired in March"}); err != nil {
				t.Fatal(err)
			}
			got := e.identity(t, old.ID)
			if got.Status != warden.StatusDisabled || got.StatusReason == "" {
				t.Fatalf("removed identity = %s %q", got.Status, got.StatusReason)
			}
			if acts := auditActions(t, e.db, "identity", old.ID); !slices.Contains(acts, "identity.update") {
				t.Fatalf("identity audit = %v", acts)
			}
			// Escalated, then answered in the grace period: kept.
			e.clock.Advance(8 * 24 * time.Hour)
			if res := e.sweep(t); res.Escalated != 1 {
				t.Fatalf("sweep at due = %+v", res)
			}
			if _, err := e.svc.AnswerReview(alice, e.item(t, c.ID, late.ID).ID, warden.ReviewAnswerInput{Answer: warden.AnswerKeep}); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(5 * 24 * time.Hour)
			if res := e.sweep(t); res != (review.SweepResult{}) {
				t.Fatalf("sweep after grace = %+v", res)
			}
			if got := e.identity(t, late.ID); got.Status != warden.StatusActive {
				t.Fatalf("identity answered in grace = %s", got.Status)
			}
			for _, bad := range []warden.ReviewAnswerInput{{Answer: "maybe"}, {Answer: ""}} {
				if _, err := e.svc.AnswerReview(alice, e.item(t, c.ID, late.ID).ID, bad); warden.ErrorCode(err) != warden.EINVALID {
					t.Errorf("answer %q = %v, want EINVALID", bad.Answer, err)
				}
			}
		})
	}
}

func TestReview_TierSelectsIdentitiesAndSkipsThoseUnderReview(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			priv, std := e.role(t, "deployer", "dave@example.com"), e.role(t, "metrics-reader", "dave@example.com")
			e.privileged(t, priv)
			c, err := e.svc.StartReview(admin, warden.ReviewInput{Tier: warden.TierPrivileged})
			if err != nil || c.Progress.Total != 1 {
				t.Fatalf("privileged campaign = %+v, %v", c, err)
			}
			e.item(t, c.ID, priv.ID)
			// The privileged identity is under review: "all" takes only the other.
			all, err := e.svc.StartReview(admin, warden.ReviewInput{})
			if err != nil || all.Progress.Total != 1 {
				t.Fatalf("all campaign = %+v, %v", all, err)
			}
			if it := e.item(t, all.ID, std.ID); it.Tier != warden.TierStandard {
				t.Fatalf("item tier = %s", it.Tier)
			}
			for _, in := range []warden.ReviewInput{{Tier: "gold"}, {Due: "soon"}, {Grace: "-1d"}, {Reminder: "5m"}, {Due: "400d"}} {
				if _, err := e.svc.StartReview(admin, in); warden.ErrorCode(err) != warden.EINVALID {
					t.Errorf("start %+v = %v, want EINVALID", in, err)
				}
			}
			started, err := e.svc.AutoStart(context.Background())
			if err != nil || len(started) != 0 {
				t.Fatalf("auto start with everyone under review = %v, %v", started, err)
			}
		})
	}
}

// Two replicas sweeping at once report (or disable) an expired identity
// once: the item's claim lets only one of them act.
func TestReview_ConcurrentSweepsExpireOnce(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t))
			c, it, id := expireUnanswered(t, e)
			var wg sync.WaitGroup
			results := make(chan review.SweepResult, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := e.svc.Sweep(context.Background())
					if err != nil {
						t.Error(err)
					}
					results <- res
				}()
			}
			wg.Wait()
			close(results)
			reported := 0
			for r := range results {
				reported += r.Reported + r.Disabled
			}
			events, _, err := e.db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{IdentityID: id.ID})
			if err != nil || reported != 1 || len(events) != 1 {
				t.Fatalf("%d sweeps acted, %d events (%v); want one each", reported, len(events), err)
			}
			if got := e.item(t, c.ID, id.ID); got.Status != warden.ItemReported {
				t.Fatalf("item = %s", got.Status)
			}
			claims := 0
			for _, a := range auditActions(t, e.db, "review_item", it.ID) {
				if a == "review.expire" {
					claims++
				}
			}
			if claims != 1 {
				t.Fatalf("item claimed %d times for disabling, want once", claims)
			}
		})
	}
}
