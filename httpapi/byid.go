package httpapi

import (
	"context"
	"net/http"
)

// serveByID answers a request about the one object named by the {id} of
// its path: no query parameters are accepted, and what do returns for the
// id is written as JSON with 200, or its error as a problem.
func serveByID[T any](s *Server, w http.ResponseWriter, r *http.Request, do func(ctx context.Context, id string) (T, error)) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := do(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}
