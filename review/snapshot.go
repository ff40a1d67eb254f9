package review

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// openFindings returns the identity's open findings (at most a page).
func (s *Service) openFindings(ctx context.Context, identityID string) ([]*warden.Finding, error) {
	out, _, err := s.cfg.Findings.FindFindings(ctx, warden.FindingFilter{IdentityID: identityID, Status: warden.FindingOpen, Limit: warden.MaxPageSize})
	if err != nil {
		return nil, fmt.Errorf("open findings of %s: %w", identityID, err)
	}
	return out, nil
}

// snapshot is what the owner is shown about identity: its usage, its
// permissions used versus granted and its open findings. A part that
// cannot be read is left empty with a note, not failing the campaign.
func (s *Service) snapshot(ctx context.Context, identity *warden.Identity, open []*warden.Finding, now time.Time) warden.ReviewSnapshot {
	snap := warden.ReviewSnapshot{
		TakenAt: now, Environment: identity.Environment, Purpose: identity.Purpose, RiskScore: identity.RiskScore,
		LastUsedAt: identity.LastUsedAt, ActivityWindow: warden.FormatWindow(s.cfg.ActivityWindow),
		RightsizeWindow: warden.FormatWindow(s.cfg.RightsizeWindow),
		Used:            []string{}, Unused: []warden.GrantedPermission{}, Wildcards: []warden.GrantedPermission{},
		OpenFindings: []warden.ReviewFinding{},
	}
	for _, f := range open {
		if len(snap.OpenFindings) == warden.MaxReviewFindings {
			break
		}
		snap.OpenFindings = append(snap.OpenFindings, warden.ReviewFinding{ID: f.ID, RuleID: f.RuleID, Severity: f.Severity, Title: f.Title})
	}
	n, capped, err := s.countEvents(ctx, identity.ID, now.Add(-s.cfg.ActivityWindow), now)
	if err != nil {
		s.cfg.Logger.Warn("review snapshot: activity", "identity", identity.ID, "error", err)
	}
	snap.RecentEvents, snap.RecentEventsCapped = n, capped
	if s.cfg.Rightsize == nil {
		snap.RightsizeError = "permissions are not compared on this server"
		return snap
	}
	rep, err := s.cfg.Rightsize.Rightsize(ctx, identity.ID, s.cfg.RightsizeWindow)
	if err != nil {
		snap.RightsizeError = warden.ErrorMessage(err)
		return snap
	}
	snap.PermissionsUsed, snap.PermissionsUnused = len(rep.Used), len(rep.Unused)
	for _, u := range rep.Used {
		if len(snap.Used) == warden.MaxReviewPermissions {
			break
		}
		p := u.Permission
		if u.Namespace != "" {
			p += " (" + u.Namespace + ")"
		}
		snap.Used = append(snap.Used, p)
	}
	snap.Unused = clipPermissions(rep.Unused)
	snap.Wildcards = clipPermissions(rep.Wildcards)
	return snap
}

func clipPermissions(ps []warden.GrantedPermission) []warden.GrantedPermission {
	if len(ps) > warden.MaxReviewPermissions {
		ps = ps[:warden.MaxReviewPermissions]
	}
	return append([]warden.GrantedPermission{}, ps...)
}

// countEvents counts the identity's events in [since, until], stopping at
// MaxReviewEventCount.
func (s *Service) countEvents(ctx context.Context, identityID string, since, until time.Time) (int, bool, error) {
	f := warden.EventFilter{IdentityID: identityID, Since: &since, Until: &until, Limit: warden.MaxPageSize}
	n := 0
	for {
		page, next, err := s.cfg.Events.FindEvents(ctx, f)
		if err != nil {
			return n, false, err
		}
		n += len(page)
		if n >= warden.MaxReviewEventCount {
			return warden.MaxReviewEventCount, true, nil
		}
		if next == "" {
			return n, false, nil
		}
		f.Cursor = next
	}
}

// proposal is what a reduce answer proposes to remove, from a fresh
// rightsizing of the identity, else from the item's snapshot.
func (s *Service) proposal(ctx context.Context, it *warden.ReviewItem) *warden.ReviewProposal {
	if s.cfg.Rightsize != nil {
		rep, err := s.cfg.Rightsize.Rightsize(ctx, it.IdentityID, s.cfg.RightsizeWindow)
		if err == nil {
			p := &warden.ReviewProposal{Remove: append([]warden.GrantedPermission{}, rep.Unused...), AWSPolicy: rep.AWSPolicy, KubernetesRBAC: rep.KubernetesRBAC}
			if len(p.Remove) == 0 {
				p.Note = "every granted permission was used in the last " + rep.Window + ": review the wildcards instead"
			}
			return p
		}
		s.cfg.Logger.Warn("review proposal: rightsize", "identity", it.IdentityID, "error", err)
	}
	return &warden.ReviewProposal{Remove: append([]warden.GrantedPermission{}, it.Snapshot.Unused...),
		Note: "from the campaign's snapshot of " + it.Snapshot.TakenAt.Format(time.DateOnly) + "; run warden rightsize for a fresh proposal"}
}
