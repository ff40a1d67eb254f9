package offboard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// sweepActor is who the sweep's changes are audited as.
var sweepActor = warden.Actor{Type: "system", ID: "offboard-sweep"}

// Settle settles every open offboarding whose deadline has passed: each
// flagged item whose identity got a new owner becomes reassigned; each
// one still unowned is handed to the governance actions with control
// disable-offboarded, which disables it in enforce mode (item disabled)
// or only records and reports it in monitor mode (item reported). The
// offboarding is then closed. It returns how many offboardings it closed.
//
// The disabling happens before the offboarding is written: if that write
// fails, the next run finds the identity disabled already (enforce mode)
// or gets back the report already made for this offboarding (monitor
// mode reports once per identity and Ref).
func (s *Service) Settle(ctx context.Context) (int, error) {
	if s.cfg.Actions == nil {
		return 0, fmt.Errorf("settle offboardings: no governance actions are configured")
	}
	ctx = warden.NewContextWithActor(ctx, sweepActor)
	n := 0
	for {
		due, err := s.cfg.Store.FindDueOffboardings(ctx, s.now(), warden.MaxPageSize)
		if err != nil {
			return n, err
		}
		// One offboarding that fails (its identity cannot be disabled) does
		// not hold up the others; the first error is returned.
		var first error
		for _, o := range due {
			if err := s.settle(ctx, o); err != nil {
				if first == nil {
					first = fmt.Errorf("settle offboarding %s: %w", o.ID, err)
				}
				continue
			}
			n++
		}
		if first != nil || len(due) < warden.MaxPageSize {
			return n, first
		}
	}
}

// settle decides every flagged item of one due offboarding and closes it.
func (s *Service) settle(ctx context.Context, o *warden.Offboarding) error {
	results := make(map[string]warden.OffboardingItem, len(o.Items))
	for _, it := range o.Items {
		if it.Status != warden.OffboardItemFlagged {
			continue
		}
		res, err := s.settleItem(ctx, o, it)
		if err != nil {
			return err
		}
		results[it.IdentityID] = res
	}
	_, err := s.cfg.Store.UpdateOffboarding(ctx, o.ID, "offboarding.settle", func(cur *warden.Offboarding) error {
		if cur.Status != warden.OffboardingOpen {
			return nil
		}
		for i, it := range cur.Items {
			if res, ok := results[it.IdentityID]; ok && it.Status == warden.OffboardItemFlagged {
				cur.Items[i] = res
			}
		}
		now := s.now()
		cur.Status, cur.ClosedAt = warden.OffboardingClosed, &now
		return nil
	})
	if err == nil {
		c := o.Counts()
		for _, res := range results {
			c[warden.OffboardItemFlagged]--
			c[res.Status]++
		}
		s.cfg.Logger.Info("offboarding settled", "offboarding", o.ID, "person", o.Person, "reassigned", c[warden.OffboardItemReassigned],
			"disabled", c[warden.OffboardItemDisabled], "reported", c[warden.OffboardItemReported])
	}
	return err
}

// settleItem decides one flagged item at the deadline.
func (s *Service) settleItem(ctx context.Context, o *warden.Offboarding, it warden.OffboardingItem) (warden.OffboardingItem, error) {
	now := s.now()
	it.ResolvedAt = &now
	identity, err := s.cfg.Identities.FindIdentityByID(ctx, it.IdentityID)
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		it.Status, it.Note = warden.OffboardItemDisabled, "the identity no longer exists"
		return it, nil
	} else if err != nil {
		return it, err
	}
	if owner := strings.TrimSpace(identity.Owner); owner != "" && !strings.EqualFold(owner, o.Person) {
		it.Status, it.NewOwner = warden.OffboardItemReassigned, identity.Owner
		return it, nil
	}
	ev, err := s.cfg.Actions.Disable(ctx, warden.DisableRequest{
		Control:    warden.ControlDisableOffboarded,
		IdentityID: it.IdentityID,
		Reason: fmt.Sprintf("its owner %s left on %s and nobody took it over by %s", o.Person,
			o.DepartedAt.Format(time.DateOnly), o.Deadline.Format(time.DateOnly)),
		Ref: "offboarding:" + o.ID,
	})
	if err != nil {
		return it, fmt.Errorf("disable %s: %w", it.IdentityID, err)
	}
	switch {
	case ev == nil:
		it.Status, it.Note = warden.OffboardItemDisabled, "already "+string(identity.Status)
	case ev.Enforced:
		it.Status, it.EventID = warden.OffboardItemDisabled, ev.ID
	default:
		it.Status, it.EventID, it.Note = warden.OffboardItemReported, ev.ID, "monitor mode: would have been disabled"
	}
	return it, nil
}

// Run settles due offboardings every interval (DefaultSweepInterval when
// 0) until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Settle(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("settle offboardings", "error", err)
		} else if n > 0 {
			s.cfg.Logger.Info("offboardings settled", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
