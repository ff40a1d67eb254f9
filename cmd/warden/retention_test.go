package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestRetentionPeriod_Set(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90d", 90 * 24 * time.Hour, ""},
		{"720h", 720 * time.Hour, ""},
		{"0", 0, ""},
		{"", 0, ""},
		{"1h", time.Hour, ""},
		{"30m", 0, "at least an hour"},
		{"-5d", 0, "whole days"},
		{"soon", 0, "whole days"},
		{"1.5d", 0, "whole days"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var p retentionPeriod
			err := p.Set(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Set(%q) = %v, want error containing %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || time.Duration(p) != tc.want {
				t.Fatalf("Set(%q) = %v, %v", tc.in, time.Duration(p), err)
			}
		})
	}
}

func TestServe_RefusesBadEventRetention(t *testing.T) {
	_, _, err := runCLI(t, "", "serve", "--event-retention", "soon")
	if err == nil || !strings.Contains(err.Error(), "event-retention") || !strings.Contains(err.Error(), "whole days") {
		t.Fatalf("error = %v", err)
	}
}

// lockedBuffer is a log destination safe for the loop's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRetentionLoop_PrunesOldEvents runs the loop on a real store: events
// older than the period go at once, an event that ages past it while the
// loop runs goes on a later tick, and the prune is audited as the system.
func TestRetentionLoop_PrunesOldEvents(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "system", ID: "serve"})
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var events []*warden.Event
	for i, age := range []time.Duration{100 * 24 * time.Hour, 91 * 24 * time.Hour, 90*24*time.Hour - time.Minute, time.Hour} {
		events = append(events, &warden.Event{Time: base.Add(-age), Source: "cloudtrail", RawID: string(rune('a' + i)), Provider: warden.ProviderAWS, Principal: "p", Action: "s3:GetObject", Outcome: warden.OutcomeAllow})
	}
	if _, err := db.RecordEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := base
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	logs := &lockedBuffer{}
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		retentionLoop(loopCtx, db, retentionFlags{keep: retentionPeriod(90 * 24 * time.Hour), interval: 20 * time.Millisecond}, clock, slog.New(slog.NewTextHandler(logs, nil)))
	}()
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			left, _, err := db.FindEvents(context.Background(), warden.EventFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(left) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d events left, want %d; log:\n%s", len(left), want, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(2)
	mu.Lock()
	now = base.Add(2 * time.Minute) // the third event is now older than 90 days
	mu.Unlock()
	waitFor(1)
	cancel()
	<-done
	records, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{Action: "events.prune"})
	if err != nil || len(records) != 2 || records[0].Actor != "system:serve" {
		t.Fatalf("audit = %+v, %v", records, err)
	}
	if !strings.Contains(logs.String(), "deleted old events") {
		t.Fatalf("log:\n%s", logs.String())
	}
}
