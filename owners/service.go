// Package owners suggests owners for unowned identities from the evidence
// warden holds (who created them or their keys, owner labels, who used them
// interactively, the pipelines that use them) and applies the answers:
// accepting sets the identity's owner, rejecting is remembered.
package owners

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/warden-nhi/warden"
)

// Config wires a Service. Store and Identities are required; each of
// Provenance, Events and Grants adds a source of evidence.
type Config struct {
	Store      warden.OwnerSuggestionStore
	Identities warden.IdentityService
	Provenance warden.ProvenanceStore
	Events     warden.EventService
	Grants     warden.GrantService
	Logger     *slog.Logger
}

// Service implements warden.OwnerService.
type Service struct {
	cfg Config
}

var _ warden.OwnerService = (*Service)(nil)

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Identities == nil {
		return nil, errors.New("owners: Store and Identities are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}, nil
}

// SuggestOwners implements warden.OwnerService. Without ref it walks every
// unowned identity that is not deprovisioned, page by page.
func (s *Service) SuggestOwners(ctx context.Context, ref string) (*warden.OwnerSuggestReport, error) {
	report := &warden.OwnerSuggestReport{Suggestions: []*warden.OwnerSuggestion{}}
	if ref != "" {
		id, err := s.cfg.Identities.FindIdentityByRef(ctx, ref, "")
		if err != nil {
			return nil, fmt.Errorf("suggest owners: %w", err)
		}
		if err := s.suggestFor(ctx, id, report); err != nil {
			return nil, err
		}
		return report, nil
	}
	f := warden.IdentityFilter{Unowned: true, Limit: warden.MaxPageSize}
	for {
		page, next, err := s.cfg.Identities.FindIdentities(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("suggest owners: list unowned identities: %w", err)
		}
		for _, id := range page {
			if id.Status == warden.StatusDeprovisioned {
				continue
			}
			if err := s.suggestFor(ctx, id, report); err != nil {
				return nil, err
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	s.cfg.Logger.Info("owner suggestions", "identities", report.Identities, "created", report.Result.Created,
		"updated", report.Result.Updated, "skipped", report.Result.Skipped)
	return report, nil
}

func (s *Service) suggestFor(ctx context.Context, id *warden.Identity, report *warden.OwnerSuggestReport) error {
	report.Identities++
	suggestions, err := s.Evidence(ctx, id)
	if err != nil || len(suggestions) == 0 {
		return err
	}
	res, err := s.cfg.Store.SaveOwnerSuggestions(ctx, id.ID, suggestions)
	if err != nil {
		return fmt.Errorf("suggest owners for %s: %w", id.ID, err)
	}
	report.Result.Created += res.Created
	report.Result.Updated += res.Updated
	report.Result.Unchanged += res.Unchanged
	report.Result.Skipped += res.Skipped
	for _, sug := range suggestions {
		if sug.Status == warden.OwnerSuggestionPending {
			report.Suggestions = append(report.Suggestions, sug)
		}
	}
	return nil
}

// FindOwnerSuggestion implements warden.OwnerService.
func (s *Service) FindOwnerSuggestion(ctx context.Context, id string) (*warden.OwnerSuggestion, error) {
	return s.cfg.Store.FindOwnerSuggestion(ctx, id)
}

// FindOwnerSuggestions implements warden.OwnerService.
func (s *Service) FindOwnerSuggestions(ctx context.Context, f warden.OwnerSuggestionFilter) ([]*warden.OwnerSuggestion, string, error) {
	return s.cfg.Store.FindOwnerSuggestions(ctx, f)
}

// AcceptOwnerSuggestion implements warden.OwnerService: the identity's
// owner is set, the suggestion marked accepted and the identity's other
// pending suggestions superseded in one audited store transaction, so of
// two acceptances racing for one identity exactly one changes anything.
func (s *Service) AcceptOwnerSuggestion(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error) {
	if _, err := s.pending(ctx, id); err != nil {
		return nil, err
	}
	out, err := s.cfg.Store.DecideOwnerSuggestion(ctx, id, warden.OwnerSuggestionAccepted, reason)
	if err != nil {
		return nil, fmt.Errorf("accept owner suggestion %s: %w", id, err)
	}
	return out, nil
}

// RejectOwnerSuggestion implements warden.OwnerService.
func (s *Service) RejectOwnerSuggestion(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error) {
	if _, err := s.pending(ctx, id); err != nil {
		return nil, err
	}
	out, err := s.cfg.Store.DecideOwnerSuggestion(ctx, id, warden.OwnerSuggestionRejected, reason)
	if err != nil {
		return nil, fmt.Errorf("reject owner suggestion %s: %w", id, err)
	}
	return out, nil
}

// pending returns the suggestion, ECONFLICT unless it is pending.
func (s *Service) pending(ctx context.Context, id string) (*warden.OwnerSuggestion, error) {
	sug, err := s.cfg.Store.FindOwnerSuggestion(ctx, id)
	if err != nil {
		return nil, err
	}
	if sug.Status != warden.OwnerSuggestionPending {
		return nil, warden.Errorf(warden.ECONFLICT, "owner suggestion %s is %s, not pending: run warden owners suggest for fresh suggestions", id, sug.Status)
	}
	return sug, nil
}
