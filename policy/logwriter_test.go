package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

// With one store as both decision log and event store, each logged
// decision is written with its activity event in one transaction: the
// event names the decision, the identity's last use moves, and the logged
// request carries the enriched principal (encoded once per cache entry)
// for replay.
func TestEngine_DecisionLogBecomesActivity(t *testing.T) {
	db := storetest.OpenSQLite(t)
	activate(t, db, `@id("reads") permit (principal, action == Action::"read", resource);`)
	e := startEngine(t, db, Config{Log: db, Events: db, SampleAllows: 1})
	if e.writer == nil || e.writer.both == nil {
		t.Fatal("the writer should write decisions and events together when one store is both")
	}
	i := createIdentity(t, db, "spiffe://test/activity")
	var decided []*Decision
	for n := 0; n < 3; n++ { // the same principal thrice: one cache entry, one encoding
		decided = append(decided, mustDecide(t, e, readDoc(i.ID)))
	}
	var events []*warden.Event
	deadline := time.Now().Add(3 * time.Second)
	for len(events) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		events, _, _ = db.FindEvents(context.Background(), warden.EventFilter{IdentityID: i.ID, Source: "warden-pdp"})
	}
	if len(events) != 3 {
		t.Fatalf("%d decision events, want 3", len(events))
	}
	decisions, _, err := db.FindDecisions(context.Background(), warden.DecisionFilter{IdentityID: i.ID})
	if err != nil || len(decisions) != 3 {
		t.Fatalf("%d decisions logged, %v", len(decisions), err)
	}
	ids := map[string]bool{}
	for _, d := range decided {
		ids[d.ID] = true
	}
	for _, ev := range events {
		if !ids[ev.RawID] || ev.Outcome != warden.OutcomeAllow || ev.Action != "read" {
			t.Fatalf("event %+v does not name a decision", ev)
		}
	}
	for _, d := range decisions {
		var lr LoggedRequest
		if err := json.Unmarshal(d.Request, &lr); err != nil {
			t.Fatalf("logged request %s: %v", d.Request, err)
		}
		if p, ok := lr.Entities[lr.Principal]; !ok || p.Attributes.Len() == 0 {
			t.Fatalf("logged request lacks the enriched principal: %s", d.Request)
		}
	}
	got, err := db.FindIdentityByID(context.Background(), i.ID)
	if err != nil || got.LastUsedAt == nil {
		t.Fatalf("the identity's last use did not follow its decisions: %+v, %v", got, err)
	}
}

// The writer takes a full batch as soon as it is pending (without waiting
// for the flush interval), writes every pending record when its context
// ends, and past its buffer drops records, counting them, instead of
// growing or blocking the decision path.
func TestDecisionWriter_BatchesDrainsAndDrops(t *testing.T) {
	db := storetest.OpenSQLite(t)
	w := newDecisionWriter(db, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.flushEvery = time.Hour // only a full batch or the end may write
	record := func(n int) *pendingDecision {
		return &pendingDecision{record: &warden.DecisionRecord{ID: fmt.Sprintf("dec-%05d", n), Time: time.Now().UTC(), Source: "test",
			Principal: warden.EntityRef{Type: "Identity", ID: "p"}, Action: warden.EntityRef{Type: "Action", ID: "read"},
			Resource: warden.EntityRef{Type: "Doc", ID: "d"}, Decision: "deny"}}
	}
	count := func() int {
		n, cursor := 0, ""
		for {
			page, next, err := db.FindDecisions(context.Background(), warden.DecisionFilter{Limit: warden.MaxPageSize, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			n += len(page)
			if next == "" {
				return n
			}
			cursor = next
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go w.run(ctx)
	for n := 0; n < logBatchSize; n++ {
		w.enqueue(record(n))
	}
	deadline := time.Now().Add(5 * time.Second)
	for count() < logBatchSize && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := count(); got != logBatchSize {
		t.Fatalf("a full batch was not written before the flush interval: %d of %d", got, logBatchSize)
	}
	// Fill the buffer to its bound directly (no full-batch signal, and the
	// interval is an hour away, so the writer leaves it alone); one more
	// record is dropped.
	w.mu.Lock()
	for n := 0; len(w.pending) < logQueueSize; n++ {
		w.pending = append(w.pending, record(logBatchSize+n))
	}
	w.mu.Unlock()
	w.enqueue(record(999999))
	if w.dropped.Load() != 1 {
		t.Fatalf("dropped %d records past the buffer, want 1", w.dropped.Load())
	}
	cancel()
	w.wait()
	if got, want := count(), logBatchSize+logQueueSize; got != want {
		t.Fatalf("after the end %d decisions are logged, want %d", got, want)
	}
}
