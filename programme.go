package warden

import (
	"context"
	"time"
)

// ProgrammeMetrics are the numbers that show an NHI governance programme
// working, month by month: fewer identities discovered that never went
// through onboarding, owners assigned quickly, reviews answered, little
// left that monitor mode would have blocked, and over-permissioned
// identities trending down.
type ProgrammeMetrics struct {
	GeneratedAt time.Time `json:"generated_at"`
	Since       time.Time `json:"since"` // first day of the first month
	Until       time.Time `json:"until"`
	// Months are calendar months (UTC), oldest first.
	Months []*ProgrammeMonth `json:"months"`
	// Totals over the whole window.
	NotOnboardedDiscovered int `json:"not_onboarded_discovered"`
	OwnersAssigned         int `json:"owners_assigned"`
	// MedianHoursToOwner is the median time from an identity becoming
	// unowned (discovered, or its owner offboarded) to an owner being set,
	// over the assignments of the window; nil when there were none.
	MedianHoursToOwner *float64 `json:"median_hours_to_owner"`
	ReviewItems        int      `json:"review_items"`
	ReviewsAnswered    int      `json:"reviews_answered"`
	// ReviewCompletionRate is answered / items (0..1); nil without items.
	ReviewCompletionRate *float64 `json:"review_completion_rate"`
	WouldDeny            int      `json:"would_deny"`    // decisions monitor mode let through
	WouldDisable         int      `json:"would_disable"` // identities monitor mode left enabled
	// WouldDisableByControl splits WouldDisable by control.
	WouldDisableByControl map[Control]int `json:"would_disable_by_control"`
	// OverPermissioned is the latest posture's count of identities with an
	// open over-privilege (NHI5) finding; nil before any evaluation.
	OverPermissioned *int `json:"over_permissioned"`
}

// ProgrammeMonth is one month of the programme metrics.
type ProgrammeMonth struct {
	Month string `json:"month"` // 2026-03
	// NotOnboardedDiscovered counts identities first seen in the month
	// that are not onboarded (seen only in activity, never claimed).
	NotOnboardedDiscovered int      `json:"not_onboarded_discovered"`
	OwnersAssigned         int      `json:"owners_assigned"`
	MedianHoursToOwner     *float64 `json:"median_hours_to_owner"`
	// ReviewItems are the review campaign items due in the month and
	// ReviewsAnswered those of them answered.
	ReviewItems     int `json:"review_items"`
	ReviewsAnswered int `json:"reviews_answered"`
	WouldDeny       int `json:"would_deny"`
	WouldDisable    int `json:"would_disable"`
	// OverPermissioned is the count at the month's last posture snapshot;
	// nil when no evaluation ran in the month.
	OverPermissioned *int `json:"over_permissioned"`
}

// ProgrammeFilter selects the months of the programme metrics.
type ProgrammeFilter struct {
	Months int       // how many calendar months, ending with Until's; 1-36
	Until  time.Time // zero: now
}

// Validate checks the filter and fills in its defaults.
func (f *ProgrammeFilter) Validate(now time.Time) error {
	if f.Months == 0 {
		f.Months = 12
	}
	if f.Months < 1 || f.Months > 36 {
		return FieldErrorf("months", "months must be between 1 and 36, got %d", f.Months)
	}
	if f.Until.IsZero() {
		f.Until = now
	}
	f.Until = f.Until.UTC()
	return nil
}

// ProgrammeService computes the programme metrics.
type ProgrammeService interface {
	ProgrammeMetrics(ctx context.Context, f ProgrammeFilter) (*ProgrammeMetrics, error)
}
