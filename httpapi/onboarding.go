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

// handleRequestOnboarding answers 201 with the stored request, as the
// policy decided it.
func (s *Server) handleRequestOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveBody(s, w, r, http.StatusCreated, decodeOptions{}, s.onboarding.RequestOnboarding)
}

// handleClaimIdentity answers 201 with the stored claim, as the policy
// decided it.
func (s *Server) handleClaimIdentity(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveBody(s, w, r, http.StatusCreated, decodeOptions{}, s.onboarding.ClaimIdentity)
}

var onboardingListParams = []string{"status", "type", "identity", "provider", "cursor", "limit"}

func (s *Server) handleListOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveList(s, w, r, onboardingListParams, s.onboardingFilter, s.onboarding.FindOnboardingRequests)
}

func (s *Server) onboardingFilter(r *http.Request, q queryParams) (warden.OnboardingFilter, error) {
	f := warden.OnboardingFilter{Status: warden.OnboardingStatus(q.get("status")), Type: warden.OnboardingType(q.get("type")), Cursor: q.get("cursor")}
	var err error
	if f.Limit, err = q.limit(); err != nil {
		return f, err
	}
	f.IdentityID, err = s.identityParam(r, q)
	return f, err
}

func (s *Server) handleGetOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveByID(s, w, r, s.onboarding.FindOnboardingRequest)
}

// onboardingAnswer is the body of approve and deny.
type onboardingAnswer struct {
	Comment string `json:"comment"`
}

func (s *Server) handleApproveOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, a onboardingAnswer) (*warden.OnboardingRequest, error) {
		return s.onboarding.ApproveOnboarding(ctx, id, a.Comment)
	})
}

func (s *Server) handleDenyOnboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOnboarding(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, a onboardingAnswer) (*warden.OnboardingRequest, error) {
		return s.onboarding.DenyOnboarding(ctx, id, a.Comment)
	})
}
