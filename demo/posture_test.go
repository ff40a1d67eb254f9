package demo_test

import (
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/demo"
)

func TestPostureHistory_TrendsDownToCurrent(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	current := &warden.PostureSnapshot{Time: now, Identities: 195, Unowned: 30, NotOnboarded: 10, Stale: 24, HighRisk: 5,
		OpenFindings: 155, ByOWASP: map[string]int{"NHI7": 87}, BySeverity: map[string]int{"high": 40}, ByRule: map[string]int{"r": 3}}
	hist := demo.PostureHistory(current)
	if len(hist) != 12 {
		t.Fatalf("%d snapshots, want 12", len(hist))
	}
	for i, p := range hist {
		if !p.Time.Before(now) || (i > 0 && !p.Time.After(hist[i-1].Time)) {
			t.Fatalf("snapshot %d at %v is not in order before %v", i, p.Time, now)
		}
		if p.OpenFindings < current.OpenFindings || p.Unowned < current.Unowned {
			t.Fatalf("snapshot %d has fewer problems than now: %+v", i, p)
		}
	}
	if first := hist[0]; first.OpenFindings < current.OpenFindings*3/2 || first.ByOWASP["NHI7"] <= 87 {
		t.Fatalf("twelve weeks ago should show clearly more findings: %+v", first)
	}
	again := demo.PostureHistory(current)
	for i := range hist {
		if hist[i].OpenFindings != again[i].OpenFindings || !hist[i].Time.Equal(again[i].Time) {
			t.Fatal("the history must be the same on every run")
		}
	}
}
