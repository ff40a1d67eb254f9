package httpapi

import (
	"context"
	"net/http"

	"github.com/warden-nhi/warden"
)

// Owner suggestions: evidence-backed owners for unowned identities,
// accepted or rejected by someone who may answer reviews.

// requireOwners answers 503 when no owner service is wired.
func (s *Server) requireOwners(w http.ResponseWriter, r *http.Request) bool {
	if s.owners == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "owner suggestions are not configured on this server"))
		return false
	}
	return true
}

var ownerListParams = []string{"identity", "provider", "status", "cursor", "limit"}

func (s *Server) handleListOwnerSuggestions(w http.ResponseWriter, r *http.Request) {
	if !s.requireOwners(w, r) {
		return
	}
	serveList(s, w, r, ownerListParams, s.ownerSuggestionFilter, s.owners.FindOwnerSuggestions)
}

func (s *Server) ownerSuggestionFilter(r *http.Request, q queryParams) (warden.OwnerSuggestionFilter, error) {
	f := warden.OwnerSuggestionFilter{Status: warden.OwnerSuggestionStatus(q.get("status")), Cursor: q.get("cursor")}
	var err error
	if f.Limit, err = q.limit(); err != nil {
		return f, err
	}
	f.IdentityID, err = s.identityParam(r, q)
	return f, err
}

// suggestRequest is the body of POST /v1/owners/suggest; an empty body
// suggests for every unowned identity.
type suggestRequest struct {
	Identity string `json:"identity"`
}

func (s *Server) handleSuggestOwners(w http.ResponseWriter, r *http.Request) {
	if !s.requireOwners(w, r) {
		return
	}
	serveBody(s, w, r, http.StatusOK, decodeOptions{allowEmpty: true}, func(ctx context.Context, in suggestRequest) (*warden.OwnerSuggestReport, error) {
		if len(in.Identity) > warden.MaxExternalIDLen {
			return nil, warden.FieldErrorf("identity", "identity is longer than %d bytes", warden.MaxExternalIDLen)
		}
		rep, err := s.owners.SuggestOwners(ctx, in.Identity)
		if warden.ErrorCode(err) == warden.ENOTFOUND && in.Identity != "" {
			err = warden.FieldErrorf("identity", "identity %q not found", clip(in.Identity))
		}
		return rep, err
	})
}

// ownerAnswer is the body of accept and reject.
type ownerAnswer struct {
	Reason string `json:"reason"`
}

func (s *Server) handleAcceptOwnerSuggestion(w http.ResponseWriter, r *http.Request) {
	if !s.requireOwners(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, a ownerAnswer) (*warden.OwnerSuggestion, error) {
		return s.owners.AcceptOwnerSuggestion(ctx, id, a.Reason)
	})
}

func (s *Server) handleRejectOwnerSuggestion(w http.ResponseWriter, r *http.Request) {
	if !s.requireOwners(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, a ownerAnswer) (*warden.OwnerSuggestion, error) {
		return s.owners.RejectOwnerSuggestion(ctx, id, a.Reason)
	})
}
