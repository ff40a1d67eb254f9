package httpapi

import (
	"context"
	"net/http"

	"github.com/warden-nhi/warden"
)

// Onboarding: requests for new managed identities, claims of discovered
// ones, and their approval.

// requireOnboarding answers 503 when no onboarding service is wired.
func (s *Server) requireOnboarding(w http.ResponseWriter, r *http.Request) bool {
	if s.onboarding == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "onboarding is not configured on this server"))
		return false
	}
	return true
}

// serveOnboardingCreate decodes a body of type T and answers 201 with the
// request do stores, as the policy decided it.
func serveOnboardingCreate[T any](s *Server, w http.ResponseWriter, r *http.Request, do func(ctx context.Context, in T) (*warden.OnboardingRequest, error)) {
	if !s.requireOnboarding(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var in T
	if err := s.decodeRequest(w, r, &in, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := do(r.Context(), in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, out)
}

func (s *Server) handleRequestOnboarding(w http.ResponseWriter, r *http.Request) {
	serveOnboardingCreate(s, w, r, func(ctx context.Context, in warden.OnboardingInput) (*warden.OnboardingRequest, error) {
		return s.onboarding.RequestOnboarding(ctx, in)
	})
}

func (s *Server) handleClaimIdentity(w http.ResponseWriter, r *http.Request) {
	serveOnboardingCreate(s, w, r, func(ctx context.Context, in warden.ClaimInput) (*warden.OnboardingRequest, error) {
		return s.onboarding.ClaimIdentity(ctx, in)
	})
}

var onboardingListParams = []string{"status", "type", "identity", "provider", "cursor", "limit"}

func (s *Server) handleListOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	q, err := parseQuery(r, onboardingListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f := warden.OnboardingFilter{Status: warden.OnboardingStatus(q.get("status")), Type: warden.OnboardingType(q.get("type")), Cursor: q.get("cursor")}
	if f.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if f.IdentityID, err = s.identityParam(r, q); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.onboarding.FindOnboardingRequests(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleGetOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveByID(s, w, r, func(ctx context.Context, id string) (*warden.OnboardingRequest, error) {
		return s.onboarding.FindOnboardingRequest(ctx, id)
	})
}

// onboardingAnswer is the body of approve and deny.
type onboardingAnswer struct {
	Comment string `json:"comment"`
}

func (s *Server) serveOnboardingAnswer(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error)) {
	if !s.requireOnboarding(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in onboardingAnswer
	if err := s.decodeRequest(w, r, &in, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := do(r.Context(), id, in.Comment)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) handleApproveOnboarding(w http.ResponseWriter, r *http.Request) {
	s.serveOnboardingAnswer(w, r, func(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error) {
		return s.onboarding.ApproveOnboarding(ctx, id, comment)
	})
}

func (s *Server) handleDenyOnboarding(w http.ResponseWriter, r *http.Request) {
	s.serveOnboardingAnswer(w, r, func(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error) {
		return s.onboarding.DenyOnboarding(ctx, id, comment)
	})
}
