package access

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// BreakGlassDetector names the detections break-glass leaves.
const BreakGlassDetector = "break-glass"

// BreakGlass implements warden.AccessService: immediate access without
// approval, for emergencies. The caller must be a person who presented a
// break-glass token as a second factor, with a reason of at least
// warden.MinBreakGlassReason characters. The grant always comes with a
// pending review and a high-severity detection; if the detection cannot
// be recorded, the grant is revoked and the call fails.
func (s *Service) BreakGlass(ctx context.Context, in warden.AccessInput) (*warden.AccessRequest, error) {
	caller := warden.AccessCallerFromContext(ctx)
	if caller.Kind != warden.RequesterPerson {
		return nil, warden.Errorf(warden.EFORBIDDEN, "break-glass is for people: use an access request from a workload or agent")
	}
	if caller.BreakGlassToken == "" {
		return nil, warden.Errorf(warden.EUNAUTHORIZED, "break-glass needs a second factor: send a break-glass token in X-Warden-Break-Glass")
	}
	if s.cfg.Detections == nil {
		return nil, warden.Errorf(warden.ECONFLICT, "break-glass is off on this server: it has no detection store to record its use")
	}
	r, identity, _, err := s.newRequest(ctx, in, s.cfg.MaxBreakGlassDuration, DefaultBreakGlassDuration)
	if err != nil {
		return nil, err
	}
	r.BreakGlass = true
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if identity.Status == warden.StatusDeprovisioned {
		return nil, warden.Errorf(warden.ECONFLICT, "identity %s is deprovisioned", identity.ID)
	}
	now := s.now()
	s.grant(r, now, fmt.Sprintf("break-glass by %s with second factor %s", r.Requester, caller.BreakGlassToken))
	r.Review = &warden.AccessReview{Status: "pending"}
	if err := s.cfg.Store.CreateAccessRequest(ctx, r, "access.break_glass"); err != nil {
		return nil, fmt.Errorf("break-glass: %w", err)
	}
	ev := s.recordGrantEvent(ctx, r, identity, "access.break_glass")
	d := &warden.Detection{
		Detector: BreakGlassDetector, Severity: warden.SeverityHigh, Time: now, IdentityID: identity.ID, Provider: identity.Provider,
		Identity: identity.ExternalID, Technique: "T1078", TechniqueName: "Valid Accounts", OWASP: "NHI5",
		Explanation: fmt.Sprintf("%s took break-glass access to %s for %s without approval (%s): %s. Review it: warden access review %s",
			r.Requester, identity.ExternalID, time.Duration(r.DurationSeconds)*time.Second, strings.Join(r.Scope.Strings(), " "), r.Reason, r.ID),
		EventIDs: []string{ev.RawID}, Evidence: []*warden.Event{ev}, Responses: []string{"review-required"},
	}
	if err := s.cfg.Detections.RecordDetections(ctx, []*warden.Detection{d}); err != nil {
		// No break-glass without its detection.
		if _, rerr := s.RevokeAccess(ctx, r.ID, "its break-glass detection could not be recorded"); rerr != nil {
			s.cfg.Logger.Error("revoke break-glass grant without detection", "request", r.ID, "error", rerr)
		}
		return nil, fmt.Errorf("break-glass: record detection: %w", err)
	}
	s.notify(ctx, "break_glass", r)
	return r, nil
}

// ReviewAccess implements warden.AccessService: the after-the-fact review
// of a break-glass grant, by someone other than who took it.
func (s *Service) ReviewAccess(ctx context.Context, id, outcome, notes string) (*warden.AccessRequest, error) {
	if outcome != warden.ReviewJustified && outcome != warden.ReviewUnjustified {
		return nil, warden.FieldErrorf("outcome", "outcome %q is not %s or %s", clip(outcome), warden.ReviewJustified, warden.ReviewUnjustified)
	}
	if len(notes) > warden.MaxTextLen {
		return nil, warden.FieldErrorf("notes", "notes are longer than %d bytes", warden.MaxTextLen)
	}
	actor := warden.ActorFromContext(ctx)
	now := s.now()
	return s.cfg.Store.UpdateAccessRequest(ctx, id, "access.review", func(r *warden.AccessRequest) error {
		if r.Review == nil {
			return warden.Errorf(warden.ECONFLICT, "access request %s needs no review: it is not break-glass", r.ID)
		}
		if r.Review.Status == "done" {
			return warden.Errorf(warden.ECONFLICT, "access request %s was reviewed already by %s", r.ID, r.Review.Reviewer)
		}
		if actor.ID == r.RequesterID {
			return warden.Errorf(warden.EFORBIDDEN, "you took this break-glass access, so someone else must review it")
		}
		r.Review = &warden.AccessReview{Status: "done", Outcome: outcome, Reviewer: actor.String(), Notes: notes, ReviewedAt: &now}
		return nil
	})
}
