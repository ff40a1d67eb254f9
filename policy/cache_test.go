package policy

import (
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// Activity changes (one per decision-log batch) keep positive entries,
// drop negative ones, and stop a negative entry loaded before them from
// being stored after them.
func TestIdentityCache_ActivityDropsOnlyNegativeEntries(t *testing.T) {
	now := time.Now()
	c := newIdentityCache(time.Minute, 1000)
	put := func(ref string, missing bool) {
		c.put(c.gen.Load(), &identityEntry{id: map[bool]string{false: "id-" + ref}[missing], missing: missing, expires: now.Add(time.Minute)}, []string{ref}, nil)
	}
	has := func(ref string) bool { _, ok := c.get(ref, now); return ok }

	put("known", false)
	c.invalidate(warden.Change{Type: "events"})
	if !has("known") {
		t.Fatal("an activity change dropped a known identity")
	}
	if c.negatives.Load() != 0 {
		t.Fatalf("negatives = %d with none stored", c.negatives.Load())
	}

	put("ghost", true)
	if !has("ghost") || c.negatives.Load() != 1 {
		t.Fatalf("negative entry not stored or not counted (%d)", c.negatives.Load())
	}
	c.invalidate(warden.Change{Type: "events"})
	if has("ghost") || !has("known") || c.negatives.Load() != 0 {
		t.Fatalf("after activity: ghost %v, known %v, negatives %d", has("ghost"), has("known"), c.negatives.Load())
	}

	// A load that read "missing" before the activity must not store it after.
	gen := c.gen.Load()
	c.invalidate(warden.Change{Type: "events"})
	c.put(gen, &identityEntry{missing: true, expires: now.Add(time.Minute)}, []string{"late-ghost"}, nil)
	if has("late-ghost") {
		t.Fatal("a negative entry loaded before an activity change was stored after it")
	}
}
