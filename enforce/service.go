// Package enforce runs warden's controls in monitor or enforce mode: it
// keeps the mode settings (per control, for all identities, an environment
// or a team), carries out automatic governance actions in the mode that
// applies (disable in enforce mode; record and tell the owner in monitor
// mode), and disables identities left unused past the inactivity limit.
package enforce

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/warden-nhi/warden"
)

// Store is what the service keeps its settings and events in.
type Store interface {
	warden.EnforcementStore
}

// Notifier tells an identity's owner what a control did or would have
// done. Delivery must not block the caller.
type Notifier interface {
	NotifyOwner(ctx context.Context, e *warden.EnforcementEvent, identity *warden.Identity)
}

// Config wires a Service. Store and Identities are required.
type Config struct {
	Store      Store
	Identities warden.IdentityService
	Notifier   Notifier // optional
	Now        func() time.Time
	Logger     *slog.Logger
}

// Service implements warden.GovernanceActions and manages the settings.
type Service struct {
	cfg Config
}

var _ warden.GovernanceActions = (*Service)(nil)

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Store == nil || cfg.Identities == nil {
		panic("enforce.New: Store and Identities are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Mode returns the mode of control c for the identity and the scope of
// the setting that decided it ("default" when none did).
func (s *Service) Mode(ctx context.Context, c warden.Control, identity *warden.Identity) (warden.EnforcementMode, string, error) {
	settings, err := s.cfg.Store.FindEnforcementSettings(ctx)
	if err != nil {
		return "", "", fmt.Errorf("enforcement mode: %w", err)
	}
	mode, scope := warden.ResolveEnforcementMode(settings, c, identity)
	return mode, scope, nil
}

// Disable implements warden.GovernanceActions. In monitor mode the report
// is made once per control, identity and Ref: a sweep that runs again
// returns the report it already made, and the owner is told once.
func (s *Service) Disable(ctx context.Context, req warden.DisableRequest) (*warden.EnforcementEvent, error) {
	if !req.Control.Valid() || req.Control == warden.ControlPolicy {
		return nil, warden.FieldErrorf("control", "control %q is not an automatic governance action", req.Control)
	}
	identity, err := s.cfg.Identities.FindIdentityByID(ctx, req.IdentityID)
	if err != nil {
		return nil, fmt.Errorf("governance action %s: %w", req.Control, err)
	}
	if identity.Status == warden.StatusDisabled || identity.Status == warden.StatusDeprovisioned {
		return nil, nil
	}
	mode, scope, err := s.Mode(ctx, req.Control, identity)
	if err != nil {
		return nil, err
	}
	e := &warden.EnforcementEvent{
		Time: s.now(), Control: req.Control, Mode: mode, Action: "disable",
		IdentityID: identity.ID, Owner: identity.Owner, Reason: req.Reason, Ref: req.Ref,
	}
	if mode == warden.ModeEnforce {
		after, err := s.cfg.Store.DisableIdentityEnforced(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("governance action %s: disable %s: %w", req.Control, identity.ID, err)
		}
		if after == nil {
			return nil, nil // disabled meanwhile
		}
		s.cfg.Logger.Info("identity disabled", "control", req.Control, "identity", identity.ID, "scope", scope, "ref", req.Ref)
		s.notify(ctx, e, after)
		return e, nil
	}
	if prior, err := s.priorReport(ctx, req); err != nil || prior != nil {
		return prior, err
	}
	if err := s.cfg.Store.RecordEnforcementEvent(ctx, e); err != nil {
		return nil, fmt.Errorf("governance action %s: report %s: %w", req.Control, identity.ID, err)
	}
	s.cfg.Logger.Debug("identity would be disabled (monitor mode)", "control", req.Control, "identity", identity.ID, "scope", scope, "ref", req.Ref)
	s.notify(ctx, e, identity)
	return e, nil
}

// priorReport finds the monitor-mode report already made for req.
func (s *Service) priorReport(ctx context.Context, req warden.DisableRequest) (*warden.EnforcementEvent, error) {
	reported := false
	f := warden.EnforcementEventFilter{Control: req.Control, IdentityID: req.IdentityID, Enforced: &reported, Limit: warden.MaxPageSize}
	for {
		events, next, err := s.cfg.Store.FindEnforcementEvents(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("governance action %s: earlier reports: %w", req.Control, err)
		}
		for _, e := range events {
			if e.Ref == req.Ref {
				return e, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		f.Cursor = next
	}
}

func (s *Service) notify(ctx context.Context, e *warden.EnforcementEvent, identity *warden.Identity) {
	if s.cfg.Notifier != nil {
		s.cfg.Notifier.NotifyOwner(ctx, e, identity)
	}
}

// SetMode stores a setting (audited).
func (s *Service) SetMode(ctx context.Context, setting *warden.EnforcementSetting) error {
	return s.cfg.Store.PutEnforcementSetting(ctx, setting)
}

// UnsetMode removes a setting (audited).
func (s *Service) UnsetMode(ctx context.Context, c warden.Control, scope string) error {
	if !c.Valid() {
		return warden.FieldErrorf("control", "control %q is not one of %s", c, controlNames())
	}
	return s.cfg.Store.DeleteEnforcementSetting(ctx, c, scope)
}

func controlNames() string {
	out := ""
	for i, c := range warden.Controls {
		if i > 0 {
			out += ", "
		}
		out += string(c)
	}
	return out
}
