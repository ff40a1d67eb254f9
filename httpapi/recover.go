package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/warden-nhi/warden"
)

// recoverPanics turns a handler panic into a logged 500 problem. It is
// defence in depth: no input should get this far, and the panics counter
// lets tests and operators see that none does.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.metrics.panics.Inc()
			s.logger.LogAttrs(r.Context(), slog.LevelError, "handler panic",
				slog.String("method", r.Method),
				slog.String("route", r.Pattern),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if sw, ok := w.(*statusWriter); ok && sw.wroteHeader() {
				return // too late for a problem document
			}
			s.Error(w, r, warden.Errorf(warden.EINTERNAL, "panic"))
		}()
		next.ServeHTTP(w, r)
	})
}
