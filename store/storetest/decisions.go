package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testDecisions(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []*warden.DecisionRecord
	for n := 0; n < 30; n++ {
		d := "allow"
		if n%3 == 0 {
			d = "deny"
		}
		recs = append(recs, &warden.DecisionRecord{
			Time: base.Add(time.Duration(n) * time.Minute), Source: "http", Principal: warden.EntityRef{Type: "Identity", ID: "p"},
			IdentityID: []string{"id-a", "id-b"}[n%2], Action: warden.EntityRef{Type: "Action", ID: "read"},
			Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Decision: d, Policies: []string{"p1"}, PolicyVersion: 3,
			LatencyMicros: 12, Request: json.RawMessage(`{"principal":{"type":"Identity","id":"p"}}`),
		})
	}
	if err := db.RecordDecisions(ctx, recs); err != nil {
		t.Fatal(err)
	}
	t.Run("PagesNewestFirst", func(t *testing.T) {
		var all []*warden.DecisionRecord
		cursor := ""
		for {
			page, next, err := db.FindDecisions(ctx, warden.DecisionFilter{Limit: 7, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(all) != 30 || !all[0].Time.Equal(base.Add(29*time.Minute)) || all[29].Policies[0] != "p1" || all[0].LatencyMicros != 12 {
			t.Fatalf("got %d records, first %v", len(all), all[0].Time)
		}
	})
	for name, tc := range map[string]struct {
		filter warden.DecisionFilter
		want   int
	}{
		"Deny":          {warden.DecisionFilter{Decision: "deny"}, 10},
		"Identity":      {warden.DecisionFilter{IdentityID: "id-a"}, 15},
		"Action":        {warden.DecisionFilter{Action: "read"}, 30},
		"Since":         {warden.DecisionFilter{Since: ptr(base.Add(20 * time.Minute))}, 10},
		"Until":         {warden.DecisionFilter{Until: ptr(base.Add(5 * time.Minute))}, 5},
		"DenyAndIdent":  {warden.DecisionFilter{Decision: "deny", IdentityID: "id-b"}, 5},
		"UnknownAction": {warden.DecisionFilter{Action: "write"}, 0},
	} {
		t.Run("Filter"+name, func(t *testing.T) {
			tc.filter.Limit = 100
			page, _, err := db.FindDecisions(ctx, tc.filter)
			if err != nil || len(page) != tc.want {
				t.Fatalf("got %d, want %d (%v)", len(page), tc.want, err)
			}
		})
	}
	t.Run("BadFilter", func(t *testing.T) {
		_, _, err := db.FindDecisions(ctx, warden.DecisionFilter{Decision: "maybe"})
		wantCode(t, err, warden.EINVALID)
		_, _, err = db.FindDecisions(ctx, warden.DecisionFilter{Cursor: "garbage"})
		wantCode(t, err, warden.EINVALID)
	})
}
