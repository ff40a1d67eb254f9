package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testEnforcement(t *testing.T, open Opener) {
	ctx := actorCtx("alice")
	t.Run("SettingsAreAuditedAndResolveByScope", func(t *testing.T) {
		db := open(t)
		for _, s := range []*warden.EnforcementSetting{
			{Control: warden.ControlPolicy, Scope: "", Mode: warden.ModeMonitor},
			{Control: warden.ControlPolicy, Scope: "environment:PROD", Mode: warden.ModeEnforce},
			{Control: warden.ControlDisableInactive, Scope: "team:payments", Mode: warden.ModeEnforce},
		} {
			if err := db.PutEnforcementSetting(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		// Replacing a setting keeps one row and audits before and after.
		if err := db.PutEnforcementSetting(actorCtx("bob"), &warden.EnforcementSetting{Control: warden.ControlPolicy, Scope: "environment:prod", Mode: warden.ModeMonitor}); err != nil {
			t.Fatal(err)
		}
		settings, err := db.FindEnforcementSettings(context.Background())
		if err != nil || len(settings) != 3 {
			t.Fatalf("settings = %+v, %v", settings, err)
		}
		prod := &warden.Identity{Environment: "prod", Owner: "team-payments", Labels: map[string]string{"team": "payments"}}
		if m, scope := warden.ResolveEnforcementMode(settings, warden.ControlPolicy, prod); m != warden.ModeMonitor || scope != "environment:prod" {
			t.Fatalf("policy mode for prod = %s (%s)", m, scope)
		}
		if m, scope := warden.ResolveEnforcementMode(settings, warden.ControlDisableInactive, prod); m != warden.ModeEnforce || scope != "team:payments" {
			t.Fatalf("inactive mode for payments = %s (%s)", m, scope)
		}
		if m, scope := warden.ResolveEnforcementMode(settings, warden.ControlDisableOffboarded, prod); m != warden.ModeMonitor || scope != "default" {
			t.Fatalf("offboarded mode = %s (%s), want the default monitor", m, scope)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "enforcement_setting", TargetID: "policy/environment:prod"})
		if err != nil || len(recs) != 2 || recs[1].Action != "enforcement.set" || recs[1].Actor != actorCtxString("bob") {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
		if err := db.DeleteEnforcementSetting(ctx, warden.ControlPolicy, "environment:prod"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteEnforcementSetting(ctx, warden.ControlPolicy, "environment:prod"), warden.ENOTFOUND)
		wantCode(t, db.PutEnforcementSetting(ctx, &warden.EnforcementSetting{Control: "disable-everything", Mode: warden.ModeEnforce}), warden.EINVALID)
		wantCode(t, db.PutEnforcementSetting(ctx, &warden.EnforcementSetting{Control: warden.ControlPolicy, Mode: "observe"}), warden.EINVALID)
		wantCode(t, db.PutEnforcementSetting(ctx, &warden.EnforcementSetting{Control: warden.ControlPolicy, Scope: "region:eu", Mode: warden.ModeEnforce}), warden.EINVALID)
	})

	t.Run("DisableEnforcedWritesIdentityEventAndAuditTogether", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, &warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:role/old-batch", Name: "old-batch", Owner: "team-data"})
		e := &warden.EnforcementEvent{Control: warden.ControlDisableInactive, Mode: warden.ModeEnforce, Action: "disable", IdentityID: id.ID, Reason: "unused for 120 days", Ref: "inactivity"}
		after, err := db.DisableIdentityEnforced(ctx, e)
		if err != nil || after == nil || after.Status != warden.StatusDisabled || after.StatusReason != "unused for 120 days" {
			t.Fatalf("disable = %+v, %v", after, err)
		}
		if !e.Enforced || e.Owner != "team-data" || e.ID == "" {
			t.Fatalf("event = %+v", e)
		}
		// Already disabled: nothing changes, nothing is recorded.
		again, err := db.DisableIdentityEnforced(ctx, &warden.EnforcementEvent{Control: warden.ControlDisableInactive, Mode: warden.ModeEnforce, Action: "disable", IdentityID: id.ID})
		if err != nil || again != nil {
			t.Fatalf("second disable = %+v, %v", again, err)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "identity", TargetID: id.ID})
		if err != nil || len(recs) != 2 || recs[1].Action != "enforcement.disable" {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
		if _, err := db.DisableIdentityEnforced(ctx, &warden.EnforcementEvent{Control: warden.ControlDisableInactive, IdentityID: "missing"}); warden.ErrorCode(err) != warden.ENOTFOUND {
			t.Fatalf("unknown identity = %v", err)
		}
	})

	t.Run("EventsListNewestFirstAndFilter", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		for i, enforced := range []bool{false, true, false} {
			if err := db.RecordEnforcementEvent(ctx, &warden.EnforcementEvent{Control: warden.ControlDisableReviewExpired, Mode: warden.ModeMonitor,
				Enforced: enforced, Action: "disable", IdentityID: []string{"a", "b", "a"}[i], Reason: "review unanswered"}); err != nil {
				t.Fatal(err)
			}
			c.advance(time.Minute)
		}
		all, _, err := db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{})
		if err != nil || len(all) != 3 || !all[0].Time.After(all[2].Time) {
			t.Fatalf("events = %+v, %v", all, err)
		}
		reported, _, err := db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{IdentityID: "a", Enforced: ptr(false)})
		if err != nil || len(reported) != 2 {
			t.Fatalf("reported for a = %d, %v", len(reported), err)
		}
		page, next, err := db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{Limit: 2})
		if err != nil || len(page) != 2 || next == "" {
			t.Fatalf("page = %d %q %v", len(page), next, err)
		}
		rest, next, err := db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{Limit: 2, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" || rest[0].ID != all[2].ID {
			t.Fatalf("rest = %+v %q %v", rest, next, err)
		}
		if _, _, err := db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{Control: "nope"}); warden.ErrorCode(err) != warden.EINVALID {
			t.Fatalf("bad control = %v", err)
		}
	})

	t.Run("WouldDenyDecisionsAreFiltered", func(t *testing.T) {
		db := open(t)
		recs := []*warden.DecisionRecord{
			{Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: "x"}, Action: warden.EntityRef{Type: "Action", ID: "write"}, Resource: warden.EntityRef{Type: "Bucket", ID: "b"}, Decision: "allow", WouldDeny: true, Policies: []string{"payments.cedar#0"}},
			{Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: "x"}, Action: warden.EntityRef{Type: "Action", ID: "read"}, Resource: warden.EntityRef{Type: "Bucket", ID: "b"}, Decision: "allow"},
		}
		if err := db.RecordDecisions(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		got, _, err := db.FindDecisions(context.Background(), warden.DecisionFilter{WouldDeny: true})
		if err != nil || len(got) != 1 || !got[0].WouldDeny || got[0].Policies[0] != "payments.cedar#0" {
			t.Fatalf("would-deny = %+v, %v", got, err)
		}
	})
}

func actorCtxString(name string) string { return warden.ActorFromContext(actorCtx(name)).String() }

func testProvenance(t *testing.T, open Opener) {
	ctx := context.Background()
	at := time.Date(2026, 2, 3, 14, 5, 0, 0, time.UTC)
	user := "arn:aws:iam::111122223333:user/report-exporter"
	records := func() []*warden.Provenance {
		return []*warden.Provenance{
			{Provider: warden.ProviderAWS, IdentityExternalID: user, Creator: "Alice@Example.com", CreatorRef: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin/alice@example.com", Event: "CreateUser", EventID: "ev-1", Source: "cloudtrail", Time: at},
			{Provider: warden.ProviderAWS, IdentityExternalID: user, CredentialExternalID: "AKIAEXAMPLEKEY000001", Creator: "alice@example.com", Event: "CreateAccessKey", EventID: "ev-2", Source: "cloudtrail", Time: at.Add(time.Minute)},
		}
	}
	t.Run("IdempotentAndResolvedLater", func(t *testing.T) {
		db := open(t)
		if err := db.RecordProvenance(ctx, records()); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordProvenance(ctx, records()); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindProvenance(ctx, warden.ProvenanceFilter{Creator: "ALICE@example.com"})
		if err != nil || len(got) != 2 || got[0].Event != "CreateUser" || got[1].CredentialExternalID != "AKIAEXAMPLEKEY000001" || got[0].IdentityID != "" {
			t.Fatalf("by creator = %+v, %v", got, err)
		}
		// The identity is imported after the log: lookups resolve it.
		id := mustCreate(t, db, &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: user, Name: "report-exporter"})
		got, err = db.FindProvenance(ctx, warden.ProvenanceFilter{IdentityID: id.ID})
		if err != nil || len(got) != 2 || got[0].IdentityID != id.ID || !got[0].Time.Equal(at) {
			t.Fatalf("by identity = %+v, %v", got, err)
		}
		byRef, err := db.FindProvenance(ctx, warden.ProvenanceFilter{Creator: "arn:aws:sts::111122223333:assumed-role/awsreservedsso_admin/alice@example.com"})
		if err != nil || len(byRef) != 1 {
			t.Fatalf("by creator ref = %+v, %v", byRef, err)
		}
		// Recorded once the identity exists: resolved at once.
		later := &warden.Provenance{Provider: warden.ProviderAWS, IdentityExternalID: user, CredentialExternalID: "AKIAEXAMPLEKEY000002", Creator: "bob", Event: "CreateAccessKey", EventID: "ev-3", Source: "cloudtrail", Time: at.Add(time.Hour)}
		if err := db.RecordProvenance(ctx, []*warden.Provenance{later}); err != nil || later.IdentityID != id.ID {
			t.Fatalf("later = %+v, %v", later, err)
		}
	})
	t.Run("RefusesIncompleteRecords", func(t *testing.T) {
		db := open(t)
		bad := records()[0]
		bad.EventID = ""
		wantCode(t, db.RecordProvenance(ctx, []*warden.Provenance{records()[1], bad}), warden.EINVALID)
		got, err := db.FindProvenance(ctx, warden.ProvenanceFilter{Creator: "alice@example.com"})
		if err != nil || len(got) != 0 {
			t.Fatalf("a refused batch wrote %d records (%v)", len(got), err)
		}
		if _, err := db.FindProvenance(ctx, warden.ProvenanceFilter{}); warden.ErrorCode(err) != warden.EINVALID {
			t.Fatalf("empty filter = %v", err)
		}
	})
}
