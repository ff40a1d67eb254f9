package httpapi

import (
	"net/http"
	"strconv"
)

// publicKeysMaxAge is how long verifiers may cache the discovery document,
// the JWKS and the bundle. Rotation publishes a key one full period before
// it signs, so a cached copy never misses a signing key.
const publicKeysMaxAge = 300

// cachePublic lets shared caches keep a public, non-secret document.
func cachePublic(w http.ResponseWriter, seconds int) {
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(seconds))
}

// handleDiscovery serves /.well-known/openid-configuration: what AWS IAM
// OIDC providers, cloud workload-identity federation and OIDC libraries
// read to verify warden's tokens.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	cachePublic(w, publicKeysMaxAge)
	s.writeJSON(w, r, http.StatusOK, s.issuer.Discovery())
}

// handleJWKS serves the published JWT keys: next, current and previous.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	cachePublic(w, publicKeysMaxAge)
	s.writeJSON(w, r, http.StatusOK, s.issuer.JWKS())
}

// handleBundle serves the SPIFFE trust bundle (a JWK set with x509-svid and
// jwt-svid keys) for SPIFFE federation and workloads.
func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request) {
	cachePublic(w, publicKeysMaxAge)
	s.writeJSON(w, r, http.StatusOK, s.issuer.Bundle())
}

// handleCRL serves the DER CRL of revoked X.509-SVIDs. It is public like
// any CRL distribution point (RFC 5280 §4.2.1.13): relying parties that
// check revocation are not warden API clients, and the CRL is signed and
// holds only serial numbers.
func (s *Server) handleCRL(w http.ResponseWriter, r *http.Request) {
	der, err := s.issuer.CRL(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cachePublic(w, 60)
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(der)
}
