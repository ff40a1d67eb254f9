package enforce

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// InactivityResult counts what one inactivity sweep did.
type InactivityResult struct {
	Checked  int `json:"checked"`
	Disabled int `json:"disabled"` // enforce mode
	Reported int `json:"reported"` // monitor mode: would have been disabled
}

// SweepInactive applies the disable-inactive control to every active
// identity unused for longer than maxIdle: last used before the cutoff,
// or never used and known to warden since before it. Each identity is
// disabled or reported in the mode that applies to it.
func (s *Service) SweepInactive(ctx context.Context, maxIdle time.Duration) (InactivityResult, error) {
	var res InactivityResult
	if maxIdle <= 0 {
		return res, warden.FieldErrorf("max_idle", "the inactivity limit must be positive")
	}
	cutoff := s.now().Add(-maxIdle)
	f := warden.IdentityFilter{Status: warden.StatusActive, Sort: "last_used_at", Limit: warden.MaxPageSize}
	for {
		page, next, err := s.cfg.Identities.FindIdentities(ctx, f)
		if err != nil {
			return res, fmt.Errorf("inactivity sweep: %w", err)
		}
		for _, id := range page {
			if id.LastUsedAt != nil && !id.LastUsedAt.Before(cutoff) {
				return res, nil // sorted by last use: the rest are recent
			}
			res.Checked++
			since := seenSince(id)
			if id.LastUsedAt == nil && !since.Before(cutoff) {
				continue // new and not used yet
			}
			reason := fmt.Sprintf("unused for more than %d days (last used %s)", int(maxIdle.Hours()/24), lastUse(id))
			e, err := s.Disable(ctx, warden.DisableRequest{Control: warden.ControlDisableInactive, IdentityID: id.ID, Reason: reason, Ref: inactivityRef(id)})
			if err != nil {
				return res, err
			}
			switch {
			case e == nil:
			case e.Enforced:
				res.Disabled++
			default:
				res.Reported++
			}
		}
		if next == "" {
			return res, nil
		}
		f.Cursor = next
	}
}

// inactivityRef ties a report to the identity's last use, so that an
// identity reported idle, used again and idle again is reported again.
func inactivityRef(id *warden.Identity) string {
	if id.LastUsedAt == nil {
		return "inactivity:never-used"
	}
	return "inactivity:" + id.LastUsedAt.UTC().Format(time.RFC3339)
}

func seenSince(id *warden.Identity) time.Time {
	if id.FirstSeenAt != nil && id.FirstSeenAt.Before(id.CreatedAt) {
		return *id.FirstSeenAt
	}
	return id.CreatedAt
}

func lastUse(id *warden.Identity) string {
	if id.LastUsedAt == nil {
		return "never"
	}
	return id.LastUsedAt.UTC().Format("2006-01-02")
}
