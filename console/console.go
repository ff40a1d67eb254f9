// Package console is warden's web console: server-rendered pages over the
// inventory, findings, posture, detections, decisions, policies and audit
// log, with the changes a security team makes every day (assign an owner,
// quarantine, revoke, suppress) behind a confirmation step.
//
// Pages are html/template, styles and templates are embedded in the binary,
// and no page needs JavaScript: reading works in any browser, and the
// Content-Security-Policy allows no script at all. Sign-in exchanges an API
// token for a session cookie (see session.go); every state change carries a
// CSRF token bound to that session and is audited by the store under the
// token's name.
package console

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

// Prefix is where the console is mounted.
const Prefix = "/ui/"

// Config wires the console to warden's services. Identities, Sessions and
// Tokens are required; a page whose service is nil says that part of warden
// is not configured instead of failing.
type Config struct {
	Identities  warden.IdentityService
	Inventory   warden.InventoryCounter
	Credentials warden.CredentialService
	Grants      warden.GrantService
	Sessions    warden.SessionService
	Findings    warden.FindingService
	Posture     warden.PostureService
	Events      warden.EventService
	Detections  warden.DetectionService
	Decisions   warden.DecisionLog
	Policies    warden.PolicyStore
	Audit       warden.AuditService
	Issued      warden.IssuerStore
	// Access shows just-in-time access requests and lets approvers answer
	// them; nil shows the pages as not configured.
	Access warden.AccessService
	// Owners shows pending owner suggestions on identity pages and lets
	// roles that answer reviews accept or reject them; nil hides them.
	Owners warden.OwnerService
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests: set it when a TLS-terminating proxy fronts warden. Requests
	// that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// Logger receives internal errors. Nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the console. It implements http.Handler.
type Server struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	pages *pages
	mux   *http.ServeMux
}

// New returns a console Server for cfg. It panics if a required service is
// missing: that is a wiring mistake, not a runtime condition.
func New(cfg Config) *Server {
	if cfg.Identities == nil || cfg.Sessions == nil {
		panic("console.New: Identities and Sessions are required")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, pages: mustParsePages(), mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	s.mux.Handle(Prefix, s.requireSession(warden.PermInventoryRead, http.HandlerFunc(s.handleNotFound)))
	return s
}

// route is one page or action of the console. Every route but sign-in and
// the static files needs a session whose role grants perm; POST routes also
// need the session's CSRF token.
type route struct {
	method, pattern string
	perm            warden.Permission // "" only for public routes
	handler         http.HandlerFunc
}

// Routes lists the console's routes as "METHOD pattern", for tests that walk
// every one of them.
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}

// PublicRoutes lists the routes reachable without a session.
func (s *Server) PublicRoutes() []string {
	var out []string
	for _, rt := range s.routes() {
		if rt.perm == "" {
			out = append(out, rt.method+" "+rt.pattern)
		}
	}
	return out
}

func (s *Server) wrap(rt route) http.Handler {
	var h http.Handler = rt.handler
	if rt.perm == "" {
		return h
	}
	if rt.method == http.MethodPost {
		h = s.requireCSRF(h)
	}
	return s.requireSession(rt.perm, h)
}

// ServeHTTP implements http.Handler: security headers on every answer, then
// the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, warden.Errorf(warden.ENOTFOUND, "there is no console page at %s", r.URL.Path))
}
