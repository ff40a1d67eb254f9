// Package httpapi is warden's REST API: JSON over HTTP under /v1, bearer
// token authentication with role-based permissions, RFC 9457 problem
// documents for every error, Prometheus metrics and an embedded OpenAPI
// document that tests keep in sync with the router.
package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
)

// DefaultMaxBodyBytes is the request body limit when Config leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// Config wires a Server to warden's services. Identities, Credentials,
// Tokens and Audit are required.
type Config struct {
	Identities  warden.IdentityService
	Credentials warden.CredentialService
	Tokens      warden.TokenService
	Audit       warden.AuditService
	// Leaks records and lists leaked secrets (scan.Ledger); when nil the
	// leak routes answer 503.
	Leaks warden.LeakService
	// Ready reports whether the server can serve (a database ping); nil
	// means always ready.
	Ready func(ctx context.Context) error
	// Logger receives internal errors, recovered panics and a debug-level
	// access log. Nil discards.
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics. Nil
	// means a fresh registry.
	Registry *prometheus.Registry
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Discovery wires imports and activity events (imports.go); nil
	// leaves those routes answering 404.
	Discovery *Discovery
	// Policy wires the policy decision point (authorize.go).
	Policy PolicyConfig
	// Issuer serves the credential issuer's public documents, workload and
	// OAuth endpoints; IssuerStore its administration (registration
	// entries, join tokens, issued credentials). When either is nil the
	// issuer routes answer 503.
	Issuer      Issuer
	IssuerStore warden.IssuerStore
	// Findings, Posture and Governance serve governance (findings.go,
	// posture.go, governance.go); when nil those routes answer 503.
	Findings   warden.FindingService
	Posture    warden.PostureService
	Governance warden.GovernanceService
	// Monitor wires live event ingestion and detections (monitor.go);
	// when its members are nil those routes answer 404.
	Monitor Monitor
	// Access runs just-in-time access (access.go); when nil those routes
	// answer 503. Verifier verifies the warden-issued tokens workloads
	// and agents call them with; nil lets only API tokens in.
	Access   warden.AccessService
	Verifier warden.TokenVerifier
	// Rightsize compares identities' grants with their activity
	// (rightsize.go); when nil that route answers 503.
	Rightsize warden.RightsizeService
	// Enforcement keeps the controls' monitor/enforce settings and the
	// governance actions' events (enforcement.go); when nil those routes
	// answer 503.
	Enforcement warden.EnforcementStore
	// Programme computes the programme metrics (programme.go); when nil
	// that route answers 503.
	Programme warden.ProgrammeService
	// Reviews runs review campaigns (reviews.go); when nil those routes
	// answer 503.
	Reviews warden.ReviewService
	// Onboarding runs onboarding requests and claims (onboarding.go);
	// when nil those routes answer 503.
	Onboarding warden.OnboardingService
	// Offboarding offboards departed people (offboarding.go); when nil
	// those routes answer 503.
	Offboarding warden.OffboardingService
	// Owners suggests owners for unowned identities (owners.go); when nil
	// those routes answer 503.
	Owners warden.OwnerService
}

// Server is warden's REST API. It implements http.Handler.
type Server struct {
	identities   warden.IdentityService
	credentials  warden.CredentialService
	tokens       warden.TokenService
	audit        warden.AuditService
	leaks        warden.LeakService
	ready        func(ctx context.Context) error
	logger       *slog.Logger
	registry     *prometheus.Registry
	maxBodyBytes int64

	pdp         pdpServices
	issuer      Issuer
	issuerStore warden.IssuerStore
	discovery   *Discovery
	findings    warden.FindingService
	posture     warden.PostureService
	governance  warden.GovernanceService
	monitor     Monitor
	access      warden.AccessService
	verifier    warden.TokenVerifier
	rightsize   warden.RightsizeService
	enforcement warden.EnforcementStore
	programme   warden.ProgrammeService
	reviews     warden.ReviewService
	onboarding  warden.OnboardingService
	offboarding warden.OffboardingService
	owners      warden.OwnerService
	metrics     *metrics
	mux         *http.ServeMux
	routes      []Route
}

// New returns a Server for cfg with defaults filled in. It panics if a
// required service is missing: that is a wiring mistake, not a runtime
// condition.
func New(cfg Config) *Server {
	if cfg.Identities == nil || cfg.Credentials == nil || cfg.Tokens == nil || cfg.Audit == nil {
		panic("httpapi.New: Identities, Credentials, Tokens and Audit are required")
	}
	s := &Server{
		identities:   cfg.Identities,
		credentials:  cfg.Credentials,
		tokens:       cfg.Tokens,
		audit:        cfg.Audit,
		leaks:        cfg.Leaks,
		ready:        cfg.Ready,
		logger:       cfg.Logger,
		registry:     cfg.Registry,
		maxBodyBytes: cfg.MaxBodyBytes,
		mux:          http.NewServeMux(),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	if s.maxBodyBytes <= 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	s.metrics = newMetrics(s.registry)
	s.discovery = cfg.Discovery
	s.pdp = newPDPServices(cfg)
	s.issuer, s.issuerStore = cfg.Issuer, cfg.IssuerStore
	s.findings, s.posture, s.governance = cfg.Findings, cfg.Posture, cfg.Governance
	s.monitor = cfg.Monitor
	s.access, s.verifier = cfg.Access, cfg.Verifier
	s.rightsize = cfg.Rightsize
	s.enforcement, s.programme = cfg.Enforcement, cfg.Programme
	s.reviews = cfg.Reviews
	s.onboarding = cfg.Onboarding
	s.offboarding = cfg.Offboarding
	s.owners = cfg.Owners
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	// Everything else: a 404 or 405 problem instead of ServeMux's plain text.
	s.mux.Handle("/", s.wrap(Route{Pattern: unmatchedRoute, handler: s.handleUnrouted}))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

// wrap puts a route's handler behind its middleware: metrics and access log
// outermost, then panic recovery, then authentication and authorization.
func (s *Server) wrap(rt Route) http.Handler {
	var h http.Handler = rt.handler
	if rt.Permission == workloadAuth {
		h = s.authenticateWorkload(rt, h)
	} else if rt.Permission != "" && acceptsWorkloadTokens(rt.Method, rt.Pattern) {
		h = s.authenticateAccess(rt.Permission, h)
	} else if rt.Permission != "" {
		h = s.authenticate(rt.Permission, h)
	}
	h = s.recoverPanics(h)
	return s.instrument(rt.Pattern, h)
}

// probeMethods are the methods handleUnrouted tries when a request's method
// matches no route.
var probeMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
}

// handleUnrouted answers requests no route matches: 405 with an Allow header
// when the path exists under other methods, 404 otherwise.
func (s *Server) handleUnrouted(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range probeMethods {
		probe := r.WithContext(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.Error(w, r, warden.Errorf(codeMethodNotAllowed, "method %s is not allowed here; use %s", methodLabel(r.Method), strings.Join(allowed, ", ")))
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v1/identities/") {
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "no such endpoint; escape any '/' in an external id as %%2F"))
		return
	}
	s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "no such endpoint"))
}
