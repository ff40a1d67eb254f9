package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testProgramme(t *testing.T, open Opener) {
	t.Run("MonthlyCountsMediansAndTrends", func(t *testing.T) {
		db := open(t)
		ctx := actorCtx("alice")
		day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
		now := day(time.January, 10)
		db.Now = func() time.Time { return now }
		discovered := func(name string) *warden.Identity {
			return mustCreate(t, db, &warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::111122223333:user/" + name, Name: name})
		}
		a := discovered("report-exporter") // January, unowned
		mustCreate(t, db, sampleRole("onboarded-worker"))
		now = day(time.February, 5)
		c := discovered("legacy-ci")
		now = day(time.February, 6)
		if _, err := db.UpdateIdentity(ctx, c.ID, warden.IdentityUpdate{Owner: ptr("team-build")}); err != nil { // 24 h
			t.Fatal(err)
		}
		now = day(time.February, 10)
		if _, err := db.UpdateIdentity(ctx, a.ID, warden.IdentityUpdate{Owner: ptr("alice@example.com")}); err != nil { // 31 days
			t.Fatal(err)
		}
		// A change of owner is a reassignment, not an assignment.
		if _, err := db.UpdateIdentity(ctx, a.ID, warden.IdentityUpdate{Owner: ptr("bob@example.com")}); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordDecisions(context.Background(), []*warden.DecisionRecord{
			{Time: day(time.February, 11), Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: a.ID}, Action: warden.EntityRef{Type: "Action", ID: "write"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Decision: "allow", WouldDeny: true},
			{Time: day(time.February, 11), Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: a.ID}, Action: warden.EntityRef{Type: "Action", ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Decision: "deny"},
		}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*warden.PostureSnapshot{{Time: day(time.February, 1), OverPrivileged: 3}, {Time: day(time.February, 20), OverPrivileged: 2}, {Time: day(time.March, 2), OverPrivileged: 1}} {
			if err := db.RecordPosture(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RecordEnforcementEvent(ctx, &warden.EnforcementEvent{Time: day(time.March, 3), Control: warden.ControlDisableInactive, Mode: warden.ModeMonitor, Action: "disable", IdentityID: c.ID}); err != nil {
			t.Fatal(err)
		}

		m, err := db.ProgrammeMetrics(context.Background(), warden.ProgrammeFilter{Months: 3, Until: day(time.March, 20)})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Months) != 3 || m.Months[0].Month != "2026-01" || m.Months[2].Month != "2026-03" || !m.Since.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("months = %+v since %v", m.Months, m.Since)
		}
		jan, feb, mar := m.Months[0], m.Months[1], m.Months[2]
		if jan.NotOnboardedDiscovered != 1 || feb.NotOnboardedDiscovered != 1 || m.NotOnboardedDiscovered != 2 {
			t.Fatalf("not onboarded: jan %d feb %d total %d", jan.NotOnboardedDiscovered, feb.NotOnboardedDiscovered, m.NotOnboardedDiscovered)
		}
		if feb.OwnersAssigned != 2 || feb.MedianHoursToOwner == nil || *feb.MedianHoursToOwner != (24+31*24)/2.0 || jan.MedianHoursToOwner != nil {
			t.Fatalf("owners: feb %d median %v", feb.OwnersAssigned, feb.MedianHoursToOwner)
		}
		if m.OwnersAssigned != 2 || *m.MedianHoursToOwner != 384 {
			t.Fatalf("owners total %d median %v", m.OwnersAssigned, *m.MedianHoursToOwner)
		}
		if feb.WouldDeny != 1 || m.WouldDeny != 1 || mar.WouldDisable != 1 || m.WouldDisableByControl[warden.ControlDisableInactive] != 1 {
			t.Fatalf("would block: feb %d total %d mar %d by control %v", feb.WouldDeny, m.WouldDeny, mar.WouldDisable, m.WouldDisableByControl)
		}
		if jan.OverPermissioned != nil || *feb.OverPermissioned != 2 || *mar.OverPermissioned != 1 || *m.OverPermissioned != 1 {
			t.Fatalf("over-permissioned: jan %v feb %v mar %v latest %v", jan.OverPermissioned, *feb.OverPermissioned, *mar.OverPermissioned, *m.OverPermissioned)
		}
		if _, err := db.ProgrammeMetrics(context.Background(), warden.ProgrammeFilter{Months: 40}); warden.ErrorCode(err) != warden.EINVALID {
			t.Fatalf("40 months = %v", err)
		}
	})
}
