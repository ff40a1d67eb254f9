package rightsize

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// Config wires a Service. Identities, Grants and Events are required.
type Config struct {
	Identities warden.IdentityService
	Grants     warden.GrantService
	Events     warden.EventService
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service computes rightsizing reports on demand from the stored grants
// and events: nothing is stored. It implements warden.RightsizeService.
type Service struct {
	cfg Config
}

var _ warden.RightsizeService = (*Service)(nil)

// New returns a Service for cfg with defaults filled in.
func New(cfg Config) (*Service, error) {
	if cfg.Identities == nil || cfg.Grants == nil || cfg.Events == nil {
		return nil, errors.New("rightsize: Identities, Grants and Events are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg}, nil
}

// Rightsize reads the identity, its grants and its events of the window
// ending now, page by page (memory grows with the distinct permissions
// used, not with the events), and analyses them.
func (s *Service) Rightsize(ctx context.Context, identityID string, window time.Duration) (*warden.RightsizeReport, error) {
	if window < warden.MinRightsizeWindow || window > warden.MaxRightsizeWindow {
		return nil, warden.FieldErrorf("window", "window must be between %s and %s, got %s",
			warden.FormatWindow(warden.MinRightsizeWindow), warden.FormatWindow(warden.MaxRightsizeWindow), window)
	}
	identity, err := s.cfg.Identities.FindIdentityByID(ctx, identityID)
	if err != nil {
		return nil, fmt.Errorf("rightsize %s: %w", identityID, err)
	}
	grants, err := s.cfg.Grants.FindGrants(ctx, identity.ID)
	if err != nil {
		return nil, fmt.Errorf("rightsize %s: grants: %w", identity.ID, err)
	}
	until := s.cfg.Now().UTC().Truncate(time.Second)
	since := until.Add(-window)
	usage := NewUsage()
	f := warden.EventFilter{IdentityID: identity.ID, Since: &since, Until: &until, Limit: warden.MaxPageSize}
	for {
		page, next, err := s.cfg.Events.FindEvents(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("rightsize %s: events: %w", identity.ID, err)
		}
		for _, e := range page {
			if !e.Time.Before(since) && !e.Time.After(until) {
				usage.Add(e)
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	return Analyze(identity, grants, usage, Window{Since: since, Until: until}), nil
}
