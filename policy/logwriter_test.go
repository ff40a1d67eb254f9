package policy

import (
	"context"
	"encoding/json"
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
