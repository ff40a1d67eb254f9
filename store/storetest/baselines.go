package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testBaselines(t *testing.T, open Opener) {
	ctx := actorCtx("monitor")
	t.Run("SaveFindUpsert", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		first := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		a := &warden.Baseline{Key: "aws|arn:aws:iam::111122223333:role/orders-api", FirstSeen: first, LastSeen: first.Add(time.Hour), Events: 3, State: json.RawMessage(`{"events":3}`)}
		b := &warden.Baseline{Key: "kubernetes|system:serviceaccount:billing:worker", IdentityID: "id-1", FirstSeen: first, LastSeen: first, Events: 1, State: json.RawMessage(`{}`)}
		if err := db.SaveBaselines(ctx, []*warden.Baseline{a, b}); err != nil {
			t.Fatal(err)
		}
		c.advance(time.Minute)
		a2 := *a
		a2.Events, a2.LastSeen, a2.State = 9, first.Add(2*time.Hour), json.RawMessage(`{"events":9}`)
		if err := db.SaveBaselines(ctx, []*warden.Baseline{&a2}); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindBaselines(context.Background(), []string{a.Key, b.Key, "aws|unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[a.Key].Events != 9 || string(got[a.Key].State) != `{"events":9}` || !got[a.Key].LastSeen.Equal(a2.LastSeen) ||
			!got[a.Key].FirstSeen.Equal(first) || !got[a.Key].UpdatedAt.Equal(c.t.Truncate(time.Microsecond)) || got[b.Key].IdentityID != "id-1" {
			t.Fatalf("baselines = %+v", got)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "baseline.update"})
		if err != nil || len(recs) != 2 || recs[0].Actor != "token:tok-monitor(monitor)" {
			t.Fatalf("audit = %+v, %v", recs, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db := open(t)
		wantCode(t, db.SaveBaselines(ctx, []*warden.Baseline{{Key: "", State: json.RawMessage(`{}`)}}), warden.EINVALID)
		wantCode(t, db.SaveBaselines(ctx, []*warden.Baseline{{Key: "k"}}), warden.EINVALID)
		got, err := db.FindBaselines(context.Background(), []string{"k"})
		if err != nil || len(got) != 0 {
			t.Fatalf("after failed saves: %v, %v", got, err)
		}
	})
}

// testMonitor runs the monitor's conformance tests: baselines, detections
// and alert dead letters (migration 0007).
func testMonitor(t *testing.T, open Opener) {
	t.Run("Baselines", func(t *testing.T) { testBaselines(t, open) })
	t.Run("Detections", func(t *testing.T) { testDetections(t, open) })
}
