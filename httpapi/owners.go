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
	q, err := parseQuery(r, ownerListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f := warden.OwnerSuggestionFilter{Status: warden.OwnerSuggestionStatus(q.get("status")), Cursor: q.get("cursor")}
	if f.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if f.IdentityID, err = s.identityParam(r, q); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.owners.FindOwnerSuggestions(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
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
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var in suggestRequest
	if err := s.decodeRequest(w, r, &in, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	if len(in.Identity) > warden.MaxExternalIDLen {
		s.Error(w, r, warden.FieldErrorf("identity", "identity is longer than %d bytes", warden.MaxExternalIDLen))
		return
	}
	rep, err := s.owners.SuggestOwners(r.Context(), in.Identity)
	if warden.ErrorCode(err) == warden.ENOTFOUND && in.Identity != "" {
		err = warden.FieldErrorf("identity", "identity %q not found", clip(in.Identity))
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, rep)
}

// ownerAnswer is the body of accept and reject.
type ownerAnswer struct {
	Reason string `json:"reason"`
}

// serveOwnerDecision applies do to the suggestion named by {id}.
func (s *Server) serveOwnerDecision(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error)) {
	if !s.requireOwners(w, r) {
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
	var in ownerAnswer
	if err := s.decodeRequest(w, r, &in, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := do(r.Context(), id, in.Reason)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) handleAcceptOwnerSuggestion(w http.ResponseWriter, r *http.Request) {
	s.serveOwnerDecision(w, r, func(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error) {
		return s.owners.AcceptOwnerSuggestion(ctx, id, reason)
	})
}

func (s *Server) handleRejectOwnerSuggestion(w http.ResponseWriter, r *http.Request) {
	s.serveOwnerDecision(w, r, func(ctx context.Context, id, reason string) (*warden.OwnerSuggestion, error) {
		return s.owners.RejectOwnerSuggestion(ctx, id, reason)
	})
}
