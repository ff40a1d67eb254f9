package monitor

import (
	"slices"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// TestEngine_PendingBoundedByCount: with an hour of lateness and room for
// only 8 held events, the engine never holds more than 8, and raises the
// same detections as when each event is released at once.
func TestEngine_PendingBoundedByCount(t *testing.T) {
	var events []*warden.Event
	for _, file := range []string{"cloudtrail-off-workload.jsonl", "k8s-token-theft.jsonl", "cloudtrail-bulk-secrets.jsonl"} {
		events = append(events, readSequence(t, file)...)
	}
	slices.SortStableFunc(events, func(a, b *warden.Event) int { return a.Time.Compare(b.Time) })
	immediate := testConfig()
	immediate.Lateness = -1
	want := summary(run(immediate, events))

	cfg := testConfig()
	cfg.Lateness, cfg.MaxPending = time.Hour, 8
	en := NewEngine(cfg)
	var got []*warden.Detection
	for _, e := range events {
		got = append(got, en.Observe(e)...)
		if en.held > cfg.MaxPending {
			t.Fatalf("engine holds %d events, bound %d", en.held, cfg.MaxPending)
		}
	}
	got = append(got, en.Flush()...)
	if g := summary(got); !slices.Equal(g, want) || len(want) == 0 {
		t.Fatalf("bounded: %q\nimmediate: %q", g, want)
	}
	if en.held != 0 || en.Stats().Events != int64(len(events)) {
		t.Fatalf("after flush: held %d, stats %+v", en.held, en.Stats())
	}
}
