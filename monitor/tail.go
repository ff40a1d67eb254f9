package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/warden-nhi/warden"
)

// EventTail runs activity that another part of warden stores itself —
// the decision point's decisions, source "warden-pdp" — through the
// monitor, by polling the event store, so that a principal probing what
// policy allows is detected like any other identity. It does not store
// the events again. Polls re-read Overlap of event time so that events
// written slightly out of order are not missed; the engine drops what it
// has already seen.
type EventTail struct {
	Events   warden.EventService
	Source   string
	Pipeline *Pipeline
	Interval time.Duration // between polls (2 s)
	Overlap  time.Duration // re-read window (2 s)
	Logger   *slog.Logger
	// Since is where the tail starts; zero means the first poll's time.
	Since time.Time
	Now   func() time.Time
}

func (t *EventTail) defaults() {
	if t.Interval <= 0 {
		t.Interval = 2 * time.Second
	}
	if t.Overlap <= 0 {
		t.Overlap = 2 * time.Second
	}
	if t.Logger == nil {
		t.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.Since.IsZero() {
		t.Since = t.Now().UTC()
	}
}

// Run polls every Interval until ctx ends.
func (t *EventTail) Run(ctx context.Context) {
	t.defaults()
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := t.Poll(ctx); err != nil && ctx.Err() == nil {
			t.Logger.Error("monitor: follow stored events", "source", t.Source, "err", err)
		}
	}
}

// Poll reads the events stored since the last poll (less Overlap) and
// monitors them; it returns how many it read.
func (t *EventTail) Poll(ctx context.Context) (int, error) {
	t.defaults()
	since := t.Since.Add(-t.Overlap)
	n, cursor := 0, ""
	for {
		events, next, err := t.Events.FindEvents(ctx, warden.EventFilter{Source: t.Source, Since: &since, Cursor: cursor, Limit: warden.MaxPageSize})
		if err != nil {
			return n, fmt.Errorf("read %s events: %w", t.Source, err)
		}
		for _, e := range events {
			if e.Time.After(t.Since) {
				t.Since = e.Time
			}
		}
		n += len(events)
		for start := 0; start < len(events); start += MaxIngestBatch {
			if _, err := t.Pipeline.Monitor(ctx, events[start:min(start+MaxIngestBatch, len(events))]); err != nil {
				return n, fmt.Errorf("monitor %s events: %w", t.Source, err)
			}
		}
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}
