package onboard

import (
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// parseReviewInterval reads a review interval as a number of days: "90d",
// "12w" or "90". "" is no interval (0).
func parseReviewInterval(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, unit := s, 1
	if v, ok := strings.CutSuffix(s, "d"); ok {
		n = v
	} else if v, ok := strings.CutSuffix(s, "w"); ok {
		n, unit = v, 7
	}
	days, err := strconv.Atoi(n)
	if err != nil || days <= 0 || days > warden.MaxReviewIntervalDays/unit {
		return 0, warden.FieldErrorf("review_interval", "review interval %q is not a number of days (90d) or weeks (12w) between 1 day and %d days", clip(s), warden.MaxReviewIntervalDays)
	}
	return days * unit, nil
}

// parseExpiry reads when a new identity should end: a date (2027-06-30,
// the start of that day in UTC), an RFC 3339 time, or a number of days
// from now ("180d"). "" is no expiry. The expiry must lie after now and
// at most MaxOnboardingExpiry ahead.
func parseExpiry(s string, now time.Time) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var t time.Time
	if v, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(v)
		if err != nil || days <= 0 || days > 2*366 {
			return nil, warden.FieldErrorf("expires", "expiry %q is not a number of days between 1 and %d", clip(s), 2*366)
		}
		t = now.Add(time.Duration(days) * 24 * time.Hour)
	} else if d, err := time.Parse(time.DateOnly, s); err == nil {
		t = d
	} else if d, err := time.Parse(time.RFC3339, s); err == nil {
		t = d
	} else {
		return nil, warden.FieldErrorf("expires", "expiry %q is not a date (2027-06-30), an RFC 3339 time or a number of days (180d)", clip(s))
	}
	t = t.UTC().Truncate(time.Second)
	if !t.After(now) {
		return nil, warden.FieldErrorf("expires", "expiry %s is not in the future", t.Format(time.RFC3339))
	}
	if t.Sub(now) > warden.MaxOnboardingExpiry {
		return nil, warden.FieldErrorf("expires", "expiry %s is more than two years ahead: use a review interval for long-lived identities", t.Format(time.RFC3339))
	}
	return &t, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
