package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func testPosture(t *testing.T, open Opener) {
	ctx := actorCtx("governor")
	db := open(t)
	c := newClock()
	db.Now = c.now
	var times []time.Time
	for n := 0; n < 3; n++ {
		c.advance(24 * time.Hour)
		p := &warden.PostureSnapshot{Identities: 10 + n, Unowned: 5 - n, OpenFindings: 7, BySeverity: map[string]int{"high": 3}, ByRule: map[string]int{"owner-missing": 5 - n}, ByOWASP: map[string]int{"NHI1": 5}}
		if err := db.RecordPosture(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.ID == "" || !p.Time.Equal(c.t.Truncate(time.Microsecond)) {
			t.Fatalf("recorded %+v", p)
		}
		times = append(times, p.Time)
	}
	got, err := db.FindPosture(context.Background(), warden.PostureFilter{})
	if err != nil || len(got) != 3 || got[0].Identities != 12 || got[2].Identities != 10 || got[0].ByRule["owner-missing"] != 3 {
		t.Fatalf("all = %+v, %v", got, err)
	}
	got, err = db.FindPosture(context.Background(), warden.PostureFilter{Since: &times[1], Limit: 1})
	if err != nil || len(got) != 1 || !got[0].Time.Equal(times[2]) {
		t.Fatalf("since+limit = %+v, %v", got, err)
	}
	got, err = db.FindPosture(context.Background(), warden.PostureFilter{Until: &times[0]})
	if err != nil || len(got) != 1 || got[0].Unowned != 5 {
		t.Fatalf("until = %+v, %v", got, err)
	}
	_, err = db.FindPosture(context.Background(), warden.PostureFilter{Since: &times[1], Until: &times[0]})
	wantCode(t, err, warden.EINVALID)
	recs, _, _ := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "posture.record"})
	if len(recs) != 3 {
		t.Errorf("%d posture audit records, want 3", len(recs))
	}
}
