package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.ProgrammeService = (*DB)(nil)

// monthWindow is the calendar months of a programme report.
type monthWindow struct {
	starts []time.Time // first instant of each month, oldest first
	until  time.Time
}

func newMonthWindow(f warden.ProgrammeFilter) monthWindow {
	last := time.Date(f.Until.Year(), f.Until.Month(), 1, 0, 0, 0, 0, time.UTC)
	w := monthWindow{until: f.Until}
	for i := f.Months - 1; i >= 0; i-- {
		w.starts = append(w.starts, last.AddDate(0, -i, 0))
	}
	return w
}

// index returns the month t falls in, or -1 outside the window.
func (w monthWindow) index(t time.Time) int {
	if t.Before(w.starts[0]) || !t.Before(w.until) {
		return -1
	}
	return sort.Search(len(w.starts), func(i int) bool { return w.starts[i].After(t) }) - 1
}

func (w monthWindow) end(i int) time.Time {
	if i+1 < len(w.starts) {
		return w.starts[i+1]
	}
	return w.until
}

// ProgrammeMetrics implements warden.ProgrammeService.
func (db *DB) ProgrammeMetrics(ctx context.Context, f warden.ProgrammeFilter) (*warden.ProgrammeMetrics, error) {
	if err := f.Validate(db.now()); err != nil {
		return nil, err
	}
	w := newMonthWindow(f)
	m := &warden.ProgrammeMetrics{GeneratedAt: db.now(), Since: w.starts[0], Until: w.until, WouldDisableByControl: map[warden.Control]int{}}
	for _, s := range w.starts {
		m.Months = append(m.Months, &warden.ProgrammeMonth{Month: s.Format("2006-01")})
	}
	for _, step := range []func(context.Context, monthWindow, *warden.ProgrammeMetrics) error{
		db.programmeNotOnboarded, db.programmeOwners, db.programmeWouldBlock, db.programmePosture, db.programmeReviews,
	} {
		if err := step(ctx, w, m); err != nil {
			return nil, fmt.Errorf("programme metrics: %w", err)
		}
	}
	if m.ReviewItems > 0 {
		rate := float64(m.ReviewsAnswered) / float64(m.ReviewItems)
		m.ReviewCompletionRate = &rate
	}
	return m, nil
}

// programmeNotOnboarded counts the not-onboarded identities by the month
// warden first saw them.
func (db *DB) programmeNotOnboarded(ctx context.Context, w monthWindow, m *warden.ProgrammeMetrics) error {
	rows, err := db.db.QueryContext(ctx, db.q(`SELECT COALESCE(first_seen_at, created_at) FROM identities
		WHERE managed = ? AND status <> 'deprovisioned' AND COALESCE(first_seen_at, created_at) >= ? AND COALESCE(first_seen_at, created_at) < ?`),
		false, micro(w.starts[0]), micro(w.until))
	if err != nil {
		return fmt.Errorf("not onboarded: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			return fmt.Errorf("not onboarded: %w", err)
		}
		if i := w.index(fromMicro(t)); i >= 0 {
			m.Months[i].NotOnboardedDiscovered++
			m.NotOnboardedDiscovered++
		}
	}
	return rows.Err()
}

// programmeOwners measures owner assignments from the ownership changes:
// an assignment is a change to an owner right after the identity became
// unowned, and takes the time between the two.
func (db *DB) programmeOwners(ctx context.Context, w monthWindow, m *warden.ProgrammeMetrics) error {
	rows, err := db.db.QueryContext(ctx, db.q("SELECT identity_id, owner, time FROM ownership_changes WHERE time < ? ORDER BY identity_id, time"), micro(w.until))
	if err != nil {
		return fmt.Errorf("owner assignments: %w", err)
	}
	defer rows.Close()
	perMonth := make([][]float64, len(w.starts))
	var all []float64
	var prevID string
	var unownedSince int64 = -1
	for rows.Next() {
		var id, owner string
		var t int64
		if err := rows.Scan(&id, &owner, &t); err != nil {
			return fmt.Errorf("owner assignments: %w", err)
		}
		if id != prevID {
			prevID, unownedSince = id, -1
		}
		if owner == "" {
			unownedSince = t
			continue
		}
		if unownedSince >= 0 {
			if i := w.index(fromMicro(t)); i >= 0 {
				hours := float64(t-unownedSince) / float64(time.Hour/time.Microsecond)
				perMonth[i] = append(perMonth[i], hours)
				all = append(all, hours)
			}
		}
		unownedSince = -1
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("owner assignments: %w", err)
	}
	for i, hours := range perMonth {
		m.Months[i].OwnersAssigned = len(hours)
		m.Months[i].MedianHoursToOwner = median(hours)
	}
	m.OwnersAssigned, m.MedianHoursToOwner = len(all), median(all)
	return nil
}

func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	sort.Float64s(v)
	mid := v[len(v)/2]
	if len(v)%2 == 0 {
		mid = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return &mid
}

// programmeWouldBlock counts, per month, the decisions monitor mode let
// through and the identities it left enabled.
func (db *DB) programmeWouldBlock(ctx context.Context, w monthWindow, m *warden.ProgrammeMetrics) error {
	for i, start := range w.starts {
		end := w.end(i)
		if err := db.db.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM decisions WHERE would_deny = ? AND time >= ? AND time < ?"),
			true, micro(start), micro(end)).Scan(&m.Months[i].WouldDeny); err != nil {
			return fmt.Errorf("would-deny decisions: %w", err)
		}
		m.WouldDeny += m.Months[i].WouldDeny
		rows, err := db.db.QueryContext(ctx, db.q("SELECT control, COUNT(*) FROM enforcement_events WHERE enforced = ? AND time >= ? AND time < ? GROUP BY control"),
			false, micro(start), micro(end))
		if err != nil {
			return fmt.Errorf("would-disable reports: %w", err)
		}
		for rows.Next() {
			var control string
			var n int
			if err := rows.Scan(&control, &n); err != nil {
				rows.Close()
				return fmt.Errorf("would-disable reports: %w", err)
			}
			m.Months[i].WouldDisable += n
			m.WouldDisable += n
			m.WouldDisableByControl[warden.Control(control)] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("would-disable reports: %w", err)
		}
	}
	return nil
}

// programmePosture takes each month's last posture snapshot.
func (db *DB) programmePosture(ctx context.Context, w monthWindow, m *warden.ProgrammeMetrics) error {
	since, until := w.starts[0], w.until
	snaps, err := db.FindPosture(ctx, warden.PostureFilter{Since: &since, Until: &until, Limit: warden.MaxPageSize})
	if err != nil {
		return err
	}
	for _, s := range snaps { // newest first: the first seen per month is its last
		i := w.index(s.Time)
		if i < 0 || m.Months[i].OverPermissioned != nil {
			continue
		}
		n := s.OverPrivileged
		m.Months[i].OverPermissioned = &n
		if m.OverPermissioned == nil {
			latest := n
			m.OverPermissioned = &latest
		}
	}
	return nil
}
