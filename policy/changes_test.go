package policy

import (
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestEngine_ActivityKeepsIdentityCache: recorded activity (the decision
// log's own events among it, every 100 ms on a busy server) does not empty
// the enriched-identity cache, while an identity change still reaches it.
func TestEngine_ActivityKeepsIdentityCache(t *testing.T) {
	db := storetest.OpenSQLite(t)
	activate(t, db, `permit (principal, action == Action::"read", resource) when { principal.environment == "prod" };`)
	e := startEngine(t, db, Config{})
	a := createIdentity(t, db, "svc-a")
	decide := func(who string) func() *Decision {
		return func() *Decision {
			d, err := e.Decide(adminCtx, readDoc(who), "test")
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	// The creation's own change may still be on its way and would drop the
	// entry cached below. Changes are applied in order, so wait for a later
	// one: a negative entry for a barrier identity, then its creation.
	eventually(t, time.Second, decide("svc-barrier"), "deny")
	createIdentity(t, db, "svc-barrier")
	eventually(t, time.Second, decide("svc-barrier"), "allow")
	// Decide until the entity stays cached.
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		eventually(t, time.Second, decide("svc-a"), "allow")
		if _, ok := e.ids.get("svc-a", time.Now()); ok {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("svc-a is not cached after a decision")
		}
	}
	eventually(t, time.Second, decide("svc-sentinel"), "deny") // negative entry

	ev := &warden.Event{ID: "ev-1", Time: time.Now().UTC(), Source: "warden-pdp", RawID: "r1", Provider: warden.ProviderWarden,
		Principal: "svc-a", IdentityID: a.ID, Action: "read", Resource: "Doc::d1", Outcome: warden.OutcomeAllow}
	if n, err := db.RecordEvents(adminCtx, []*warden.Event{ev}); err != nil || n != 1 {
		t.Fatalf("record events: %d %v", n, err)
	}
	// Changes are applied in order: once the sentinel's creation is seen,
	// the activity change before it has been applied too.
	createIdentity(t, db, "svc-sentinel")
	eventually(t, time.Second, decide("svc-sentinel"), "allow")
	if _, ok := e.ids.get("svc-a", time.Now()); !ok {
		t.Fatal("recorded activity emptied the identity cache")
	}

	if _, err := db.UpdateIdentity(adminCtx, a.ID, warden.IdentityUpdate{Environment: ptr("staging")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, decide("svc-a"), "deny")
}

// TestTTLJitter_SpreadsExpiries: lifetimes stay within [¾ ttl, ttl] and
// differ, so entries loaded together do not expire together.
func TestTTLJitter_SpreadsExpiries(t *testing.T) {
	for _, ttl := range []time.Duration{time.Nanosecond, time.Second, 5 * time.Minute} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := ttlJitter(ttl)
			if d > ttl || d < ttl-ttl/4 {
				t.Fatalf("ttlJitter(%v) = %v, outside [%v, %v]", ttl, d, ttl-ttl/4, ttl)
			}
			seen[d] = true
		}
		if ttl >= time.Second && len(seen) < 100 {
			t.Errorf("ttlJitter(%v): only %d distinct lifetimes in 200", ttl, len(seen))
		}
	}
}
