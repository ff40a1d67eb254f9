package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warden-nhi/warden"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	panics   prometheus.Counter
	handler  http.Handler // serves the registry
}

// newMetrics registers the HTTP collectors in reg, reusing ones a previous
// Server registered there.
func newMetrics(reg *prometheus.Registry) *metrics {
	labels := []string{"route", "method", "code"}
	return &metrics{
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, labels)),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, labels)),
		panics: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "warden_http_panics_total",
			Help: "Handler panics recovered and answered with 500.",
		})),
	}
}

func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("httpapi: register metrics: " + err.Error())
	}
	return c
}

// instrument records the count and latency of requests to the route and
// writes a debug-level access log line with the actor. It never logs
// headers, query strings or bodies.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		defer func() {
			elapsed := time.Since(start)
			code := strconv.Itoa(sw.status())
			method := methodLabel(r.Method)
			s.metrics.requests.WithLabelValues(route, method, code).Inc()
			s.metrics.duration.WithLabelValues(route, method, code).Observe(elapsed.Seconds())
			s.logger.LogAttrs(r.Context(), slog.LevelDebug, "http request",
				slog.String("method", method),
				slog.String("route", route),
				slog.Int("status", sw.status()),
				slog.Duration("duration", elapsed),
				slog.String("actor", info.actor))
		}()
		next.ServeHTTP(sw, r)
	})
}

// requestInfo collects what inner middleware learns about a request for the
// access log.
type requestInfo struct {
	actor string // the authenticated actor, "" when there is none
}

type requestInfoKey struct{}

// noteActor records the authenticated actor for the access log.
func noteActor(ctx context.Context, actor warden.Actor) {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.actor = actor.String()
	}
}

// methodLabel bounds the method label to known methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	default:
		return "OTHER"
	}
}

// handleMetrics serves the registry in the Prometheus exposition format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler.ServeHTTP(w, r)
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// wroteHeader reports whether a status has gone out.
func (w *statusWriter) wroteHeader() bool { return w.code != 0 }
