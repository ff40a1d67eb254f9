package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// testDecisionActivity covers writing decisions with their activity events
// in one transaction, and the last-use granularity busy sources ask for.
func testDecisionActivity(t *testing.T, open Opener) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	decisionAt := func(id *warden.Identity, n int, at time.Time) (*warden.DecisionRecord, *warden.Event) {
		rec := &warden.DecisionRecord{ID: fmt.Sprintf("dec-%d", n), Time: at, Source: "http",
			Principal: warden.EntityRef{Type: "Identity", ID: id.ID}, IdentityID: id.ID,
			Action: warden.EntityRef{Type: "Action", ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d"},
			Decision: "deny", Policies: []string{"p"}}
		ev := &warden.Event{Time: at, Source: "warden-pdp", RawID: rec.ID, IdentityID: id.ID, Provider: warden.ProviderWarden,
			Principal: id.ID, Action: "read", Resource: "Doc::d", Outcome: warden.OutcomeDeny}
		return rec, ev
	}
	t.Run("OneTransactionAndGranularLastUse", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:a:b", Name: "b"})
		write := func(n int, at time.Time, gran time.Duration) {
			t.Helper()
			rec, ev := decisionAt(id, n, at)
			if err := db.RecordDecisionActivity(ctx, []*warden.DecisionRecord{rec}, warden.ActivityBatch{Events: []*warden.Event{ev}, LastUseGranularity: gran}); err != nil {
				t.Fatal(err)
			}
		}
		lastUsed := func() time.Time {
			t.Helper()
			got, err := db.FindIdentityByID(ctx, id.ID)
			if err != nil || got.LastUsedAt == nil {
				t.Fatalf("identity %+v, %v", got, err)
			}
			return got.LastUsedAt.UTC()
		}
		write(1, base, time.Minute)
		if got := lastUsed(); !got.Equal(base) {
			t.Fatalf("first use: last used %v, want %v", got, base)
		}
		write(2, base.Add(30*time.Second), time.Minute)
		if got := lastUsed(); !got.Equal(base) {
			t.Fatalf("a use 30 s later within a 1 min granularity moved last use to %v", got)
		}
		write(3, base.Add(90*time.Second), time.Minute)
		if got := lastUsed(); !got.Equal(base.Add(90 * time.Second)) {
			t.Fatalf("a use 90 s later: last used %v, want %v", got, base.Add(90*time.Second))
		}
		write(4, base.Add(100*time.Second), 0)
		if got := lastUsed(); !got.Equal(base.Add(100 * time.Second)) {
			t.Fatalf("without granularity every use counts: last used %v", got)
		}
		decs, _, err := db.FindDecisions(ctx, warden.DecisionFilter{IdentityID: id.ID})
		if err != nil || len(decs) != 4 {
			t.Fatalf("decisions %d, %v", len(decs), err)
		}
		evs, _, err := db.FindEvents(ctx, warden.EventFilter{IdentityID: id.ID})
		if err != nil || len(evs) != 4 {
			t.Fatalf("events %d, %v", len(evs), err)
		}
	})
	t.Run("BadEventWritesNoDecision", func(t *testing.T) {
		db := open(t)
		id := mustCreate(t, db, &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:a:c", Name: "c"})
		rec, ev := decisionAt(id, 1, base)
		ev.Source = "" // an event without a source is invalid
		err := db.RecordDecisionActivity(ctx, []*warden.DecisionRecord{rec}, warden.ActivityBatch{Events: []*warden.Event{ev}})
		wantCode(t, err, warden.EINVALID)
		if decs, _, _ := db.FindDecisions(ctx, warden.DecisionFilter{}); len(decs) != 0 {
			t.Fatalf("a rejected batch left %d decisions", len(decs))
		}
	})
	t.Run("BatchSizesAcrossStatementSizes", func(t *testing.T) {
		// 347 = 256 + 64 + 16 + 4 + 4 + 1 + 1 + 1: every cached statement size.
		db := open(t)
		id := mustCreate(t, db, &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:a:d", Name: "d"})
		var recs []*warden.DecisionRecord
		var evs []*warden.Event
		for n := 0; n < 347; n++ {
			r, e := decisionAt(id, n, base.Add(time.Duration(n)*time.Millisecond))
			recs, evs = append(recs, r), append(evs, e)
		}
		if err := db.RecordDecisionActivity(ctx, recs, warden.ActivityBatch{Events: evs}); err != nil {
			t.Fatal(err)
		}
		// Writing the same events again stores none twice.
		if n, err := db.RecordEvents(ctx, evs); err != nil || n != 0 {
			t.Fatalf("re-recorded %d events, %v", n, err)
		}
		total := 0
		cursor := ""
		for {
			page, next, err := db.FindDecisions(ctx, warden.DecisionFilter{Limit: 100, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			total += len(page)
			if next == "" {
				break
			}
			cursor = next
		}
		if total != 347 {
			t.Fatalf("stored %d decisions, want 347", total)
		}
	})
}
