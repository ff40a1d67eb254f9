package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func sampleDetection(n int, sev warden.Severity, t time.Time) *warden.Detection {
	return &warden.Detection{
		Detector: "off-workload-credential", Severity: sev, Time: t, Provider: warden.ProviderAWS,
		Identity: "arn:aws:iam::111122223333:role/orders-api", Technique: "T1552.005", TechniqueName: "Unsecured Credentials: Cloud Instance Metadata API",
		OWASP: "NHI2", Explanation: fmt.Sprintf("detection %d", n), EventIDs: []string{fmt.Sprintf("ev-%d", n)},
		Evidence:  []*warden.Event{{RawID: fmt.Sprintf("ev-%d", n), Time: t, Source: "cloudtrail", SourceIP: "198.51.100.23", Outcome: warden.OutcomeAllow}},
		Responses: []string{"quarantine"},
	}
}

func testDetections(t *testing.T, open Opener) {
	ctx := actorCtx("monitor")
	base := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	t.Run("RecordFindPages", func(t *testing.T) {
		db := open(t)
		owner := mustCreate(t, db, sampleRole("orders-api"))
		var ds []*warden.Detection
		for i := range 5 {
			d := sampleDetection(i, []warden.Severity{warden.SeverityLow, warden.SeverityHigh, warden.SeverityCritical}[i%3], base.Add(time.Duration(i)*time.Minute))
			if i%2 == 0 {
				d.IdentityID = owner.ID
			}
			ds = append(ds, d)
		}
		if err := db.RecordDetections(ctx, ds); err != nil {
			t.Fatal(err)
		}
		if ds[0].ID == "" || ds[0].DetectedAt.IsZero() {
			t.Fatalf("recorded = %+v", ds[0])
		}
		got, next, err := db.FindDetections(context.Background(), warden.DetectionFilter{Limit: 2})
		if err != nil || len(got) != 2 || next == "" || got[0].ID != ds[4].ID || got[1].ID != ds[3].ID {
			t.Fatalf("page 1 = %v %q %v", got, next, err)
		}
		rest, next2, err := db.FindDetections(context.Background(), warden.DetectionFilter{Cursor: next, Limit: 10})
		if err != nil || len(rest) != 3 || next2 != "" || rest[2].ID != ds[0].ID {
			t.Fatalf("page 2 = %v %q %v", rest, next2, err)
		}
		d := rest[2]
		if d.Evidence[0].SourceIP != "198.51.100.23" || d.EventIDs[0] != "ev-0" || d.Responses[0] != "quarantine" || d.OWASP != "NHI2" ||
			!d.Time.Equal(base) || d.Identity != ds[0].Identity || d.Provider != warden.ProviderAWS {
			t.Fatalf("round trip = %+v", d)
		}
		for name, tc := range map[string]struct {
			f    warden.DetectionFilter
			want int
		}{
			"Identity":    {warden.DetectionFilter{IdentityID: owner.ID}, 3},
			"MinSeverity": {warden.DetectionFilter{MinSeverity: warden.SeverityHigh}, 3},
			"Critical":    {warden.DetectionFilter{MinSeverity: warden.SeverityCritical}, 1},
			"Detector":    {warden.DetectionFilter{Detector: "rate-spike"}, 0},
			"Since":       {warden.DetectionFilter{Since: ptr(base.Add(3 * time.Minute))}, 2},
			"Until":       {warden.DetectionFilter{Until: ptr(base.Add(3 * time.Minute))}, 3},
		} {
			got, _, err := db.FindDetections(context.Background(), tc.f)
			if err != nil || len(got) != tc.want {
				t.Errorf("%s: %d detections, %v; want %d", name, len(got), err, tc.want)
			}
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "detection.record"})
		if err != nil || len(recs) != 5 {
			t.Fatalf("audit = %d, %v", len(recs), err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db := open(t)
		bad := sampleDetection(1, "urgent", base)
		ok := sampleDetection(2, warden.SeverityLow, base)
		err := db.RecordDetections(ctx, []*warden.Detection{ok, bad})
		wantCode(t, err, warden.EINVALID)
		if f := warden.ErrorField(err); f != "detections[1].severity" {
			t.Fatalf("field = %q", f)
		}
		got, _, _ := db.FindDetections(context.Background(), warden.DetectionFilter{})
		if len(got) != 0 {
			t.Fatalf("partial write: %d", len(got))
		}
		_, _, err = db.FindDetections(context.Background(), warden.DetectionFilter{Cursor: "garbage"})
		wantCode(t, err, warden.EINVALID)
		_, _, err = db.FindDetections(context.Background(), warden.DetectionFilter{MinSeverity: "urgent"})
		wantCode(t, err, warden.EINVALID)
	})
	t.Run("DeadLetters", func(t *testing.T) {
		db := open(t)
		dl := &warden.DeadLetter{Sink: "webhook", Target: "https://hooks.example.test/warden", DetectionID: "d1", Payload: json.RawMessage(`{"a":1}`), Attempts: 5, LastError: "503"}
		if err := db.RecordDeadLetter(ctx, dl); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindDeadLetters(context.Background(), 10)
		if err != nil || len(got) != 1 || got[0].ID != dl.ID || string(got[0].Payload) != `{"a":1}` || got[0].Attempts != 5 {
			t.Fatalf("dead letters = %+v, %v", got, err)
		}
		wantCode(t, db.RecordDeadLetter(ctx, &warden.DeadLetter{Sink: "webhook"}), warden.EINVALID)
	})
}
