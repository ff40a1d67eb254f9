package enforce_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// notices records what owners were told.
type notices struct {
	mu   sync.Mutex
	sent []*warden.EnforcementEvent
}

func (n *notices) NotifyOwner(_ context.Context, e *warden.EnforcementEvent, _ *warden.Identity) {
	n.mu.Lock()
	n.sent = append(n.sent, e)
	n.mu.Unlock()
}

func (n *notices) count() int { n.mu.Lock(); defer n.mu.Unlock(); return len(n.sent) }

var admin = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-root", Name: "root", Role: warden.RoleAdmin})

func identity(t *testing.T, db *store.DB, name, env, team string) *warden.Identity {
	t.Helper()
	id := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:" + env + ":" + name,
		Name: name, Owner: "alice@example.com", Environment: env, Labels: map[string]string{"team": team}, Managed: true}
	if err := db.CreateIdentity(admin, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func dialects() map[string]storetest.Opener {
	return map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres}
}

func TestDisable_MonitorReportsOnceEnforceDisables(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			told := &notices{}
			svc := enforce.New(enforce.Config{Store: db, Identities: db, Notifier: told})
			prod := identity(t, db, "ledger-writer", "prod", "payments")
			dev := identity(t, db, "ledger-writer", "dev", "payments")
			req := func(id *warden.Identity) warden.DisableRequest {
				return warden.DisableRequest{Control: warden.ControlDisableReviewExpired, IdentityID: id.ID, Reason: "review unanswered", Ref: "review-item-1"}
			}

			// Default: monitor. Nothing is disabled; the report is made once.
			e, err := svc.Disable(admin, req(prod))
			if err != nil || e == nil || e.Enforced || e.Mode != warden.ModeMonitor || e.Owner != "alice@example.com" {
				t.Fatalf("monitor disable = %+v, %v", e, err)
			}
			again, err := svc.Disable(admin, req(prod))
			if err != nil || again == nil || again.ID != e.ID || told.count() != 1 {
				t.Fatalf("repeat = %+v, %v, notices %d", again, err, told.count())
			}
			if got, _ := db.FindIdentityByID(admin, prod.ID); got.Status != warden.StatusActive {
				t.Fatalf("monitor mode changed the status to %s", got.Status)
			}

			// Enforce for everyone but prod, which stays in monitor mode.
			for _, s := range []*warden.EnforcementSetting{
				{Control: warden.ControlDisableReviewExpired, Scope: "all", Mode: warden.ModeEnforce},
				{Control: warden.ControlDisableReviewExpired, Scope: "environment:prod", Mode: warden.ModeMonitor},
			} {
				if err := svc.SetMode(admin, s); err != nil {
					t.Fatal(err)
				}
			}
			e, err = svc.Disable(admin, req(dev))
			if err != nil || e == nil || !e.Enforced || e.Mode != warden.ModeEnforce {
				t.Fatalf("enforced disable = %+v, %v", e, err)
			}
			if got, _ := db.FindIdentityByID(admin, dev.ID); got.Status != warden.StatusDisabled || got.StatusReason != "review unanswered" {
				t.Fatalf("dev identity = %s (%s)", got.Status, got.StatusReason)
			}
			if e, err := svc.Disable(admin, req(prod)); err != nil || e.Enforced {
				t.Fatalf("prod in monitor mode = %+v, %v", e, err)
			}
			// A team setting wins over the environment's.
			if err := svc.SetMode(admin, &warden.EnforcementSetting{Control: warden.ControlDisableReviewExpired, Scope: "team:payments", Mode: warden.ModeEnforce}); err != nil {
				t.Fatal(err)
			}
			if e, err := svc.Disable(admin, req(prod)); err != nil || e == nil || !e.Enforced {
				t.Fatalf("prod with the team enforced = %+v, %v", e, err)
			}
			// Disabled already: nothing to do.
			if e, err := svc.Disable(admin, req(prod)); err != nil || e != nil {
				t.Fatalf("disabled identity = %+v, %v", e, err)
			}
			events, _, err := db.FindEnforcementEvents(admin, warden.EnforcementEventFilter{})
			if err != nil || len(events) != 3 {
				t.Fatalf("events = %d, %v", len(events), err)
			}
			if _, err := svc.Disable(admin, warden.DisableRequest{Control: warden.ControlPolicy, IdentityID: prod.ID}); warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("policy control as an action = %v", err)
			}
			recs, _, err := db.FindAuditRecords(admin, warden.AuditFilter{TargetType: "enforcement_setting"})
			if err != nil || len(recs) != 3 {
				t.Fatalf("settings audit = %d, %v", len(recs), err)
			}
		})
	}
}

func TestSweepInactive_ReportsInMonitorDisablesInEnforce(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			c := storetest.NewClock(time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC))
			db.Now = c.Now
			svc := enforce.New(enforce.Config{Store: db, Identities: db, Now: c.Now})
			idle := identity(t, db, "old-cron", "dev", "data")
			fresh := identity(t, db, "new-worker", "dev", "data")
			busy := identity(t, db, "api", "dev", "data")

			c.Advance(100 * 24 * time.Hour)
			used := c.Now().Add(-24 * time.Hour)
			if _, err := db.RecordActivity(admin, warden.ActivityBatch{Events: []*warden.Event{{Time: used, Source: "k8s-audit", RawID: "audit-1",
				IdentityID: busy.ID, Provider: warden.ProviderKubernetes, Principal: busy.ExternalID, Action: "get configmaps", Resource: "/namespaces/dev/configmaps/app", Outcome: "allow"}}}); err != nil {
				t.Fatal(err)
			}
			fresh2 := identity(t, db, "brand-new", "dev", "data") // created now, never used

			// idle and fresh were never used and are known for 100 days; busy
			// was used yesterday; brand-new is known since today.
			res, err := svc.SweepInactive(admin, 90*24*time.Hour)
			want := map[string]bool{idle.ID: true, fresh.ID: true}
			events, _, _ := db.FindEnforcementEvents(admin, warden.EnforcementEventFilter{Control: warden.ControlDisableInactive})
			got := map[string]bool{}
			for _, e := range events {
				got[e.IdentityID] = true
			}
			if err != nil || res.Reported != 2 || len(got) != 2 || !got[idle.ID] || !got[fresh.ID] || got[busy.ID] || got[fresh2.ID] {
				t.Fatalf("monitor sweep = %+v, %v; reported %v, want %v", res, err, got, want)
			}
			// Again: nothing new to report.
			if res, err := svc.SweepInactive(admin, 90*24*time.Hour); err != nil || res.Reported != 2 {
				t.Fatalf("second sweep = %+v, %v", res, err)
			}
			if n, _, _ := db.FindEnforcementEvents(admin, warden.EnforcementEventFilter{}); len(n) != 2 {
				t.Fatalf("second sweep recorded %d events, want the 2 of the first", len(n))
			}
			if err := svc.SetMode(admin, &warden.EnforcementSetting{Control: warden.ControlDisableInactive, Scope: "team:data", Mode: warden.ModeEnforce}); err != nil {
				t.Fatal(err)
			}
			res, err = svc.SweepInactive(admin, 90*24*time.Hour)
			if err != nil || res.Disabled != 2 {
				t.Fatalf("enforce sweep = %+v, %v", res, err)
			}
			for _, id := range []*warden.Identity{busy, fresh2} {
				if got, _ := db.FindIdentityByID(admin, id.ID); got.Status != warden.StatusActive {
					t.Fatalf("%s was disabled", got.Name)
				}
			}
			if got, _ := db.FindIdentityByID(admin, idle.ID); got.Status != warden.StatusDisabled {
				t.Fatalf("idle identity is %s", got.Status)
			}
		})
	}
}
