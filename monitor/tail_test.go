package monitor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestEventTail_PDPDenialsRaiseProbing: decisions the PDP stored as
// activity (source warden-pdp) — a workload denied twelve times over four
// actions within a minute — are followed from the event store and raise
// access-denied-probing; a second poll re-reads its overlap without
// raising it again, and nothing is stored twice.
func TestEventTail_PDPDenialsRaiseProbing(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	const who = "spiffe://northwind.example/ns/orders/sa/orders-api"
	var events []*warden.Event
	add := func(i int, action, resource string, outcome warden.Outcome) {
		events = append(events, &warden.Event{ID: uuid.Must(uuid.NewV7()).String(), Time: t0.Add(time.Duration(i) * 3 * time.Second), Source: "warden-pdp",
			RawID: fmt.Sprintf("dec-%03d", i), SourceRef: "decision-log", Provider: warden.ProviderWarden, Principal: who,
			Action: action, Resource: resource, SourceIP: "10.20.1.15", Outcome: outcome})
	}
	add(0, "read", "Bucket::nw-orders", warden.OutcomeAllow)
	for i, action := range []string{"read", "write", "delete", "admin", "read", "write", "delete", "admin", "read", "write", "delete", "admin"} {
		add(i+1, action, "Secret::payments-db", warden.OutcomeDeny)
	}
	if _, err := db.RecordEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Lateness = -1
	p := &Pipeline{Engine: NewEngine(cfg), Detections: db}
	tail := &EventTail{Events: db, Source: "warden-pdp", Pipeline: p, Since: t0.Add(-time.Minute)}
	for poll, want := range []int{len(events), 1} {
		n, err := tail.Poll(ctx)
		if err != nil || n < want {
			t.Fatalf("poll %d read %d events (%v), want at least %d", poll, n, err, want)
		}
	}
	ds, _, err := db.FindDetections(ctx, warden.DetectionFilter{})
	if err != nil || len(ds) != 1 || ds[0].Detector != DetDenyProbing || ds[0].Identity != who || len(ds[0].EventIDs) < 10 {
		t.Fatalf("detections %+v, %v", ds, err)
	}
	stored, _, err := db.FindEvents(ctx, warden.EventFilter{Source: "warden-pdp", Limit: 100})
	if err != nil || len(stored) != len(events) {
		t.Fatalf("stored events %d, want %d (%v)", len(stored), len(events), err)
	}
}
