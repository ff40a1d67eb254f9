package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestEngine_MonitorModeLogsWouldDenyAndEnforceDenies: with the policy set
// in monitor mode for prod, a request the set denies is allowed, answered
// and logged as a would-deny with the denying policy; the guardrails still deny a quarantined
// principal; other environments still enforce. Promoting prod to enforce
// (an audited change, followed through the change feed) makes the same
// request deny.
func TestEngine_MonitorModeLogsWouldDenyAndEnforceDenies(t *testing.T) {
	for name, open := range map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			activate(t, db, `permit (principal, action, resource);
@id("no-doc-writes")
forbid (principal, action == Action::"write", resource);`)
			if err := db.PutEnforcementSetting(adminCtx, &warden.EnforcementSetting{Control: warden.ControlPolicy, Scope: "environment:prod", Mode: warden.ModeMonitor}); err != nil {
				t.Fatal(err)
			}
			e := startEngine(t, db, Config{Enforcement: db, Log: db, LogFlushInterval: 10 * time.Millisecond})
			writer := createIdentity(t, db, "ledger-writer") // prod
			staging := &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden, ExternalID: "staging-writer", Name: "staging-writer", Environment: "staging"}
			if err := db.CreateIdentity(adminCtx, staging); err != nil {
				t.Fatal(err)
			}
			writeDoc := func(who string) func() *Decision {
				return func() *Decision {
					req := readDoc(who)
					req.Action.ID = "write"
					d, err := e.Decide(adminCtx, req, "test")
					if err != nil {
						t.Fatal(err)
					}
					return d
				}
			}

			d, _ := eventually(t, 2*time.Second, writeDoc(writer.ExternalID), "allow")
			if !d.WouldDeny || !slices.Equal(d.Policies, []string{"no-doc-writes"}) {
				t.Fatalf("monitor-mode decision = %+v, want allow with would_deny by no-doc-writes", d)
			}
			// Staging has no setting: the policy set enforces there.
			if d := writeDoc("staging-writer")(); d.Decision != "deny" || d.WouldDeny {
				t.Fatalf("staging decision = %+v, want an enforced deny", d)
			}

			// Guardrails enforce in monitor mode too.
			if _, err := db.UpdateIdentity(adminCtx, writer.ID, warden.IdentityUpdate{Status: ptr(warden.StatusQuarantined)}); err != nil {
				t.Fatal(err)
			}
			d, _ = eventually(t, 2*time.Second, writeDoc(writer.ExternalID), "deny")
			if d.WouldDeny || !slices.Contains(d.Policies, "guardrail.quarantined") {
				t.Fatalf("quarantined decision = %+v", d)
			}
			if _, err := db.UpdateIdentity(adminCtx, writer.ID, warden.IdentityUpdate{Status: ptr(warden.StatusActive)}); err != nil {
				t.Fatal(err)
			}
			eventually(t, 2*time.Second, writeDoc(writer.ExternalID), "allow")

			// The would-deny is in the decision log with its policy.
			logged := waitWouldDeny(t, db, writer.ID)
			if logged.Decision != "allow" || !slices.Equal(logged.Policies, []string{"no-doc-writes"}) || logged.Action.ID != "write" {
				t.Fatalf("logged = %+v", logged)
			}

			// Promotion to enforce: the same request is denied.
			if err := db.PutEnforcementSetting(adminCtx, &warden.EnforcementSetting{Control: warden.ControlPolicy, Scope: "environment:prod", Mode: warden.ModeEnforce}); err != nil {
				t.Fatal(err)
			}
			d, _ = eventually(t, 2*time.Second, writeDoc(writer.ExternalID), "deny")
			if d.WouldDeny || !slices.Equal(d.Policies, []string{"no-doc-writes"}) {
				t.Fatalf("enforced decision = %+v", d)
			}
			recs, _, err := db.FindAuditRecords(adminCtx, warden.AuditFilter{TargetType: "enforcement_setting", TargetID: "policy/environment:prod"})
			if err != nil || len(recs) != 2 {
				t.Fatalf("promotion audit = %d records, %v", len(recs), err)
			}
		})
	}
}

func waitWouldDeny(t *testing.T, db *store.DB, identityID string) *warden.DecisionRecord {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(10 * time.Millisecond) {
		recs, _, err := db.FindDecisions(adminCtx, warden.DecisionFilter{IdentityID: identityID, WouldDeny: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			return recs[len(recs)-1]
		}
	}
	t.Fatal("no would-deny decision was logged")
	return nil
}
