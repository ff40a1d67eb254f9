package httpapi

import "net/http"

// handleListJoinTokens lists a registration entry's join tokens, newest
// first: when each was made, when it expires, whether it was used. Their
// secrets are never stored, so never shown.
func (s *Server) handleListJoinTokens(w http.ResponseWriter, r *http.Request) {
	id, err := pathValue(r, "id")
	if err == nil {
		_, err = parseQuery(r, nil)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	toks, err := s.issuerStore.FindJoinTokens(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(toks, ""))
}
