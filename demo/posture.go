package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// postureWeeks is how much made-up history the demo's posture trend has.
const postureWeeks = 12

// PostureHistory returns the demo organisation's weekly posture snapshots
// before current, oldest first: the story of a team that found more
// problems twelve weeks ago and has been fixing them since, so that a
// newcomer's overview shows a trend, not a single point. The numbers are
// derived from current and are the same on every run.
func PostureHistory(current *warden.PostureSnapshot) []*warden.PostureSnapshot {
	out := make([]*warden.PostureSnapshot, 0, postureWeeks)
	for week := postureWeeks; week >= 1; week-- {
		// Up to 70% more of everything twelve weeks ago, with a small
		// fixed wobble so the line is not straight.
		pct := 100 + week*70/postureWeeks + []int{0, 3, -2, 4, -1, 2, -3, 1, 0, 2, -2, 1}[week%12]
		scale := func(n int) int { return n * pct / 100 }
		scaleMap := func(m map[string]int) map[string]int {
			out := make(map[string]int, len(m))
			for k, v := range m {
				out[k] = scale(v)
			}
			return out
		}
		out = append(out, &warden.PostureSnapshot{
			Time:           current.Time.Add(-time.Duration(week) * 7 * 24 * time.Hour),
			Identities:     current.Identities - week/2,
			Unowned:        scale(current.Unowned) + week,
			NotOnboarded:   scale(current.NotOnboarded),
			OverPrivileged: scale(current.OverPrivileged),
			Stale:          scale(current.Stale),
			HighRisk:       scale(current.HighRisk),
			OpenFindings:   scale(current.OpenFindings),
			Suppressed:     current.Suppressed,
			BySeverity:     scaleMap(current.BySeverity),
			ByRule:         scaleMap(current.ByRule),
			ByOWASP:        scaleMap(current.ByOWASP),
		})
	}
	return out
}

// RecordPostureHistory stores PostureHistory before the latest snapshot
// in posture, as the system actor "demo".
func RecordPostureHistory(ctx context.Context, posture warden.PostureService) error {
	latest, err := posture.FindPosture(ctx, warden.PostureFilter{Limit: 1})
	if err != nil {
		return fmt.Errorf("demo posture history: %w", err)
	}
	if len(latest) == 0 {
		return nil
	}
	ctx = warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "demo"})
	for _, p := range PostureHistory(latest[0]) {
		if err := posture.RecordPosture(ctx, p); err != nil {
			return fmt.Errorf("demo posture history: %w", err)
		}
	}
	return nil
}
