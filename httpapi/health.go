package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

// readyTimeout bounds a readiness check.
const readyTimeout = 2 * time.Second

// handleHealthz reports that the process serves HTTP.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz reports whether the server can do its work (the database
// answers). The failure's text goes to the log, not to the caller.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.logger.LogAttrs(r.Context(), slog.LevelWarn, "not ready", slog.String("error", err.Error()))
			s.Error(w, r, warden.Errorf(codeUnavailable, "warden is not ready"))
			return
		}
	}
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
}
