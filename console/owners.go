package console

import (
	"fmt"
	"net/http"

	"github.com/warden-nhi/warden"
)

// detailSuggestions bounds the pending owner suggestions the identity page
// shows.
const detailSuggestions = 20

// ownerActions are the answers to an owner suggestion.
var ownerActions = map[string]struct {
	heading, button, effect string
	danger                  bool
}{
	"accept": {heading: "Accept", button: "Accept owner",
		effect: "The identity's owner is set to this owner; its other pending suggestions are superseded."},
	"reject": {heading: "Reject", button: "Reject", danger: true,
		effect: "The suggestion is rejected: this owner is never suggested again for the identity."},
}

func (s *Server) handleOwnerAccept(w http.ResponseWriter, r *http.Request) {
	s.answerOwner(w, r, "accept")
}

func (s *Server) handleOwnerReject(w http.ResponseWriter, r *http.Request) {
	s.answerOwner(w, r, "reject")
}

// answerOwner accepts or rejects the {id} owner suggestion after
// confirmation and returns to its identity.
func (s *Server) answerOwner(w http.ResponseWriter, r *http.Request, verb string) {
	if s.cfg.Owners == nil {
		s.unavailable(w, r, "Owner suggestions")
		return
	}
	a := ownerActions[verb]
	sug, err := s.cfg.Owners.FindOwnerSuggestion(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if sug.Status != warden.OwnerSuggestionPending {
		s.renderError(w, r, warden.Errorf(warden.ECONFLICT, "this suggestion is %s already: nothing to answer", sug.Status))
		return
	}
	identity, err := s.cfg.Identities.FindIdentityByID(r.Context(), sug.IdentityID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	reason, err := formText(r.PostForm, "reason", warden.MaxTextLen, false)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	lines := []string{fmt.Sprintf("Owner: '%s' → '%s' (confidence %d)", orNone(identity.Owner), sug.Owner, sug.Confidence)}
	if verb == "reject" {
		lines[0] = fmt.Sprintf("Suggested owner: '%s' (confidence %d)", sug.Owner, sug.Confidence)
	}
	for _, e := range sug.Evidence {
		lines = append(lines, "Evidence: "+e.Detail)
	}
	if reason != "" {
		lines = append(lines, fmt.Sprintf("Reason: '%s'", reason))
	}
	lines = append(lines, a.effect)
	back := identityURL(identity.ID)
	if !s.confirmed(w, r, confirmation{
		Heading: a.heading + " " + sug.Owner + " as the owner of " + identity.Name + "?",
		Lines:   lines, Button: a.button, Danger: a.danger, Cancel: back,
	}) {
		return
	}
	if verb == "accept" {
		_, err = s.cfg.Owners.AcceptOwnerSuggestion(r.Context(), sug.ID, reason)
	} else {
		_, err = s.cfg.Owners.RejectOwnerSuggestion(r.Context(), sug.ID, reason)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, back, "owner-"+verb)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
