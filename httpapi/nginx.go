package httpapi

import (
	"net"
	"net/http"
	"strings"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// Headers of the nginx auth_request endpoint. nginx authenticates to warden
// with its own API token (Authorization) and forwards what it knows about
// the original request in these headers; see docs/pdp.md for the
// configuration.
const (
	headerOriginalMethod = "X-Original-Method"
	headerOriginalURI    = "X-Original-URI"
	headerForwardedFor   = "X-Forwarded-For"
	headerForwardedHost  = "X-Forwarded-Host"
	headerWardenToken    = "X-Warden-Token"     // the caller's warden-issued token (its Authorization header)
	headerWardenIdentity = "X-Warden-Principal" // an identity the proxy authenticated (SPIFFE ID of an mTLS peer)
)

// handleNginxAuth answers nginx's auth_request subrequests: 200 to let the
// request through, 403 to refuse it; the decision id and identity are in
// response headers nginx can log or pass on (auth_request_set).
func (s *Server) handleNginxAuth(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	h := policy.HTTPRequest{
		Method:    r.Header.Get(headerOriginalMethod),
		Path:      r.Header.Get(headerOriginalURI),
		Host:      r.Header.Get(headerForwardedHost),
		Principal: r.Header.Get(headerWardenIdentity),
	}
	if tok := r.Header.Get(headerWardenToken); tok != "" {
		scheme, rest, ok := strings.Cut(tok, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(rest)
		}
		h.Token = tok
	}
	if ff := r.Header.Get(headerForwardedFor); ff != "" {
		first, _, _ := strings.Cut(ff, ",")
		h.SourceIP = strings.TrimSpace(first)
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h.SourceIP = host
	}
	for name, v := range map[string]string{headerOriginalMethod: h.Method, headerOriginalURI: h.Path, headerWardenIdentity: h.Principal, headerForwardedHost: h.Host} {
		if err := checkParam(name, v); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if h.Method == "" || h.Path == "" {
		s.Error(w, r, warden.FieldErrorf(headerOriginalURI, "nginx must send %s and %s (proxy_set_header)", headerOriginalMethod, headerOriginalURI))
		return
	}
	req, err := s.pdp.http.Request(h)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.pdp.engine.Decide(r.Context(), req, "nginx")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("X-Warden-Decision", d.Decision)
	w.Header().Set("X-Warden-Decision-Id", d.ID)
	if d.IdentityID != "" {
		w.Header().Set("X-Warden-Identity", d.IdentityID)
	}
	status := http.StatusOK
	if !d.Allowed() {
		status = http.StatusForbidden
	}
	s.writeJSON(w, r, status, d)
}
