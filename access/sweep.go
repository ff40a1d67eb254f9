package access

import (
	"context"
	"time"

	"github.com/warden-nhi/warden"
)

// ExpireLapsed marks every grant whose time ran out as expired (audited),
// and returns how many it ended. The decision point stops honouring a
// grant at its end whether or not this has run; this keeps the record.
func (s *Service) ExpireLapsed(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.now()
		lapsed, err := s.cfg.Store.FindLapsedGrants(ctx, now, warden.MaxPageSize)
		if err != nil {
			return n, err
		}
		for _, g := range lapsed {
			_, err := s.cfg.Store.UpdateAccessRequest(ctx, g.ID, "access.expire", func(r *warden.AccessRequest) error {
				if r.Status != warden.AccessApproved {
					return errSkip
				}
				r.Status, r.EndedAt, r.EndedBy, r.EndReason = warden.AccessExpired, r.ExpiresAt, "system", "the grant's time ran out"
				return nil
			})
			if err == errSkip {
				continue
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if len(lapsed) < warden.MaxPageSize {
			return n, nil
		}
	}
}

var errSkip = warden.Errorf(warden.ECONFLICT, "changed meanwhile")

// Run expires lapsed grants every interval (DefaultSweepInterval when 0)
// until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.ExpireLapsed(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("expire access grants", "error", err)
		} else if n > 0 {
			s.cfg.Logger.Info("access grants expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
