package review

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Defaults of Schedule.
const (
	DefaultPrivilegedInterval = 90 * 24 * time.Hour
	DefaultStandardInterval   = 180 * 24 * time.Hour
	// DefaultHighRiskThreshold is governance's high_risk_threshold
	// default (govern/rules.json): the risk score from which an identity
	// counts as high risk in the posture.
	DefaultHighRiskThreshold = 60
)

// DefaultPrivilegedRules are governance's privilege rules
// (govern/rules_privilege.go): an open finding of one of them means the
// identity holds administrative or wildcard permissions.
var DefaultPrivilegedRules = []string{"admin-permissions", "wildcard-permissions"}

// Schedule decides an identity's review tier and how often each tier is
// recertified.
//
// An identity is privileged when its risk score is at least
// HighRiskThreshold (the same threshold governance uses for "high risk"),
// or when it has an open (not suppressed, not resolved) finding of one of
// PrivilegedRules. Every other identity is standard.
type Schedule struct {
	PrivilegedInterval time.Duration
	StandardInterval   time.Duration
	HighRiskThreshold  int
	PrivilegedRules    []string
}

// DefaultSchedule returns privileged every 90 days, standard every 180,
// privileged from risk 60 or an open admin/wildcard finding.
func DefaultSchedule() Schedule {
	return Schedule{
		PrivilegedInterval: DefaultPrivilegedInterval, StandardInterval: DefaultStandardInterval,
		HighRiskThreshold: DefaultHighRiskThreshold, PrivilegedRules: slices.Clone(DefaultPrivilegedRules),
	}
}

// withDefaults fills zero fields from DefaultSchedule.
func (s Schedule) withDefaults() Schedule {
	d := DefaultSchedule()
	if s.PrivilegedInterval <= 0 {
		s.PrivilegedInterval = d.PrivilegedInterval
	}
	if s.StandardInterval <= 0 {
		s.StandardInterval = d.StandardInterval
	}
	if s.HighRiskThreshold <= 0 {
		s.HighRiskThreshold = d.HighRiskThreshold
	}
	if s.PrivilegedRules == nil {
		s.PrivilegedRules = d.PrivilegedRules
	}
	return s
}

// Interval is how long an answer of tier t holds.
func (s Schedule) Interval(t warden.ReviewTier) time.Duration {
	if t == warden.TierPrivileged {
		return s.PrivilegedInterval
	}
	return s.StandardInterval
}

// Classify returns the identity's tier and why, given its open findings.
func (s Schedule) Classify(identity *warden.Identity, open []*warden.Finding) (warden.ReviewTier, string) {
	if identity.RiskScore >= s.HighRiskThreshold {
		return warden.TierPrivileged, fmt.Sprintf("risk score %d is at least %d", identity.RiskScore, s.HighRiskThreshold)
	}
	for _, f := range open {
		if f.Status == warden.FindingOpen && slices.Contains(s.PrivilegedRules, f.RuleID) {
			return warden.TierPrivileged, "open finding " + f.RuleID
		}
	}
	return warden.TierStandard, fmt.Sprintf("risk score %d, no open privilege finding", identity.RiskScore)
}

// Limits on campaign durations.
const (
	MaxCampaignDuration = 366 * 24 * time.Hour
	MinReminderInterval = time.Hour
)

// ParseDuration reads a campaign duration: a number of days ("14d") or a
// Go duration ("36h"), between min and MaxCampaignDuration. field names
// the input in errors.
func ParseDuration(field, s string, min time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, warden.FieldErrorf(field, "%s is empty; use a number of days such as 14d, or a duration such as 36h", field)
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 366 {
			return 0, warden.FieldErrorf(field, "%s %q is not a number of days between 0 and 366", field, clip(s))
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, warden.FieldErrorf(field, "%s %q is neither a number of days (14d) nor a duration (36h)", field, clip(s))
		}
	}
	if d < min || d > MaxCampaignDuration {
		return 0, warden.FieldErrorf(field, "%s must be between %s and 366d, got %s", field, warden.FormatWindow(min), clip(s))
	}
	return d.Truncate(time.Second), nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
