package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Reminded  int `json:"reminded"`  // items whose owner was reminded
	Escalated int `json:"escalated"` // items that passed their due date
	Disabled  int `json:"disabled"`  // identities disabled (enforce mode)
	Reported  int `json:"reported"`  // identities that would have been disabled (monitor mode)
}

// sweepActor is who the sweep's changes are audited as.
var sweepActor = warden.Actor{Type: "system", ID: "review"}

// errSkip aborts an update whose item changed meanwhile.
var errSkip = errors.New("review item changed meanwhile")

// Sweep moves every open campaign on at the service's clock: owners of
// pending items are reminded (at most once per reminder interval), items
// unanswered at the due date escalate to the escalation contact, and,
// when the campaign disables, escalated items past the grace period have
// their identity disabled through the governance actions. It carries on
// past an item's failure and returns the first error.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	ctx = warden.NewContextWithActor(ctx, sweepActor)
	var res SweepResult
	var first error
	f := warden.ReviewCampaignFilter{Status: warden.CampaignOpen, Limit: warden.MaxPageSize}
	for {
		page, next, err := s.cfg.Store.FindReviewCampaigns(ctx, f)
		if err != nil {
			return res, fmt.Errorf("review sweep: %w", err)
		}
		for _, c := range page {
			if err := s.sweepCampaign(ctx, c, &res); err != nil && first == nil {
				first = err
			}
		}
		if next == "" {
			return res, first
		}
		f.Cursor = next
	}
}

func (s *Service) sweepCampaign(ctx context.Context, c *warden.ReviewCampaign, res *SweepResult) error {
	var pending, escalated []*warden.ReviewItem
	err := s.eachItem(ctx, warden.ReviewItemFilter{CampaignID: c.ID, Open: true}, func(it *warden.ReviewItem) error {
		if it.Status == warden.ItemPending {
			pending = append(pending, it)
		} else {
			escalated = append(escalated, it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	now := s.now()
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if now.Before(c.DueAt) {
		keep(s.remind(ctx, c, pending, now, res))
		return first
	}
	up, err := s.escalate(ctx, c, pending, now)
	keep(err)
	res.Escalated += len(up)
	escalated = append(escalated, up...)
	if !c.DisableAfterGrace || s.cfg.Actions == nil || now.Before(c.DisableAt()) {
		return first
	}
	for _, it := range escalated {
		keep(s.expire(ctx, c, it, res))
	}
	return first
}

// remind tells each owner of pending items whose reminder is due about
// them, in one notification per owner. The first reminder goes out at
// the first sweep after the campaign starts.
func (s *Service) remind(ctx context.Context, c *warden.ReviewCampaign, pending []*warden.ReviewItem, now time.Time, res *SweepResult) error {
	if s.cfg.Notifier == nil {
		return nil // nobody to tell: record no reminder that was not sent
	}
	every := time.Duration(c.ReminderSeconds) * time.Second
	byOwner := map[string][]*warden.ReviewItem{}
	var owners []string
	var first error
	for _, it := range pending {
		if it.RemindedAt != nil && now.Before(it.RemindedAt.Add(every)) {
			continue
		}
		upd, err := s.cfg.Store.UpdateReviewItem(ctx, it.ID, "review.remind", func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
			if it.Status != warden.ItemPending || (it.RemindedAt != nil && now.Before(it.RemindedAt.Add(every))) {
				return nil, errSkip
			}
			it.RemindedAt = &now
			it.Reminders++
			return nil, nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("remind %s: %w", it.ID, err)
			}
			continue
		}
		if _, ok := byOwner[upd.Owner]; !ok {
			owners = append(owners, upd.Owner)
		}
		byOwner[upd.Owner] = append(byOwner[upd.Owner], upd)
		res.Reminded++
	}
	for _, owner := range owners {
		s.cfg.Notifier.NotifyReview(ctx, Notification{Event: EventReminder, To: owner, Campaign: c, Items: byOwner[owner]})
	}
	return first
}

// escalate marks pending items past the due date escalated and tells the
// escalation contact about them in one notification.
func (s *Service) escalate(ctx context.Context, c *warden.ReviewCampaign, pending []*warden.ReviewItem, now time.Time) ([]*warden.ReviewItem, error) {
	var up []*warden.ReviewItem
	var first error
	for _, it := range pending {
		upd, err := s.cfg.Store.UpdateReviewItem(ctx, it.ID, "review.escalate", func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
			if it.Status != warden.ItemPending {
				return nil, errSkip
			}
			it.Status, it.EscalatedAt = warden.ItemEscalated, &now
			return nil, nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("escalate %s: %w", it.ID, err)
			}
			continue
		}
		up = append(up, upd)
	}
	if len(up) > 0 && s.cfg.Notifier != nil {
		s.cfg.Notifier.NotifyReview(ctx, Notification{Event: EventEscalated, To: c.EscalateTo, Campaign: c, Items: up})
	}
	return up, first
}

// claimTTL is how long an item marked as being disabled belongs to the
// sweep that marked it; after that (the sweep died) another takes it.
const claimTTL = 10 * time.Minute

// expire disables the identity of an escalated item past the grace
// period. The item is first marked as being disabled, so that a late
// answer cannot race the disable and a sweep of another replica leaves
// it alone; then the governance actions disable it (enforce mode) or
// report it (monitor mode), and the item records which.
func (s *Service) expire(ctx context.Context, c *warden.ReviewCampaign, it *warden.ReviewItem, res *SweepResult) error {
	now := s.now()
	_, err := s.cfg.Store.UpdateReviewItem(ctx, it.ID, "review.expire", func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
		if it.Status != warden.ItemEscalated {
			return nil, errSkip
		}
		if it.DisablingAt != nil && now.Before(it.DisablingAt.Add(claimTTL)) {
			return nil, errSkip
		}
		it.DisablingAt = &now
		return nil, nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire %s: %w", it.ID, err)
	}
	ev, err := s.cfg.Actions.Disable(ctx, warden.DisableRequest{
		Control: warden.ControlDisableReviewExpired, IdentityID: it.IdentityID,
		Reason: fmt.Sprintf("review %q was not answered by its due date %s nor in the grace period after it", c.Name, c.DueAt.Format(time.DateOnly)),
		Ref:    "review_item:" + it.ID,
	})
	if err != nil {
		return fmt.Errorf("expire %s: disable %s: %w", it.ID, it.IdentityID, err)
	}
	status, action := warden.ItemDisabled, "review.disable"
	if ev != nil && !ev.Enforced {
		status, action = warden.ItemReported, "review.report"
	}
	_, err = s.cfg.Store.UpdateReviewItem(ctx, it.ID, action, func(_ *warden.ReviewCampaign, it *warden.ReviewItem) (*warden.IdentityUpdate, error) {
		if it.Status != warden.ItemEscalated {
			return nil, errSkip
		}
		it.Status, it.ExpiredAt = status, &now
		if ev != nil {
			it.EnforcementEventID = ev.ID
		}
		return nil, nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire %s: %w", it.ID, err)
	}
	if status == warden.ItemDisabled {
		res.Disabled++
	} else {
		res.Reported++
	}
	s.cfg.Logger.Info("review expired", "campaign", c.ID, "item", it.ID, "identity", it.IdentityID, "status", status)
	return nil
}

// AutoStart starts one campaign per tier for the identities whose review
// is due and that no open campaign covers; a tier with none is skipped.
func (s *Service) AutoStart(ctx context.Context) ([]*warden.ReviewCampaign, error) {
	ctx = warden.NewContextWithActor(ctx, sweepActor)
	var out []*warden.ReviewCampaign
	for _, tier := range warden.ReviewTiers {
		c, err := s.StartReview(ctx, warden.ReviewInput{Tier: tier, Name: fmt.Sprintf("scheduled %s review %s", tier, s.now().Format(time.DateOnly))})
		if warden.ErrorCode(err) == warden.ECONFLICT {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Run sweeps every interval (DefaultSweepInterval when 0) and, when
// autoStart is positive, starts due campaigns that often, until ctx ends.
func (s *Service) Run(ctx context.Context, interval, autoStart time.Duration) {
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastStart time.Time
	for {
		if autoStart > 0 && (lastStart.IsZero() || !s.now().Before(lastStart.Add(autoStart))) {
			lastStart = s.now()
			if cs, err := s.AutoStart(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("start scheduled reviews", "error", err)
			} else if len(cs) > 0 {
				s.cfg.Logger.Info("scheduled reviews started", "campaigns", len(cs))
			}
		}
		if res, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("review sweep", "error", err)
		} else if res != (SweepResult{}) {
			s.cfg.Logger.Info("review sweep", "reminded", res.Reminded, "escalated", res.Escalated, "disabled", res.Disabled, "reported", res.Reported)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
