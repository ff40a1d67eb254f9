package httpapi

import (
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

// x509SVIDRequest is the body of POST /v1/svid/x509.
type x509SVIDRequest struct {
	CSR string          `json:"csr"` // PEM PKCS#10 request; only its key is used
	TTL warden.Duration `json:"ttl"` // 0: the entry's or issuer's default
}

// x509SVIDResponse is an issued X.509-SVID. The private key never leaves
// the workload: it sent only a CSR.
type x509SVIDResponse struct {
	SPIFFEID  string    `json:"spiffe_id"`
	Chain     string    `json:"chain"`  // PEM, leaf first
	Bundle    string    `json:"bundle"` // PEM trust anchors of the trust domain
	ExpiresAt time.Time `json:"expires_at"`
}

// jwtSVIDRequest is the body of POST /v1/svid/jwt.
type jwtSVIDRequest struct {
	Audience []string        `json:"audience"`
	TTL      warden.Duration `json:"ttl"`
}

// jwtSVIDResponse is an issued JWT-SVID.
type jwtSVIDResponse struct {
	SPIFFEID  string    `json:"spiffe_id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// checkTTL accepts 0 (default) or a lifetime between the bounds of
// registration entries; the entry's own limit caps it later.
func checkTTL(d warden.Duration) error {
	if d != 0 && (time.Duration(d) < warden.MinCredentialTTL || time.Duration(d) > warden.MaxCredentialTTL) {
		return warden.FieldErrorf("ttl", "ttl must be between %s and %s", warden.MinCredentialTTL, warden.MaxCredentialTTL)
	}
	return nil
}

func (s *Server) handleIssueX509SVID(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req x509SVIDRequest
	if err := s.decodeRequest(w, r, &req, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	if req.CSR == "" {
		s.Error(w, r, warden.FieldErrorf("csr", "csr is required: a PEM certificate request"))
		return
	}
	if err := checkTTL(req.TTL); err != nil {
		s.Error(w, r, err)
		return
	}
	svid, err := s.issuer.IssueX509SVID(r.Context(), callerFromContext(r.Context()), []byte(req.CSR), time.Duration(req.TTL))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, x509SVIDResponse{SPIFFEID: svid.SPIFFEID, Chain: string(svid.ChainPEM()),
		Bundle: string(svid.BundlePEM()), ExpiresAt: svid.ExpiresAt})
}

func (s *Server) handleIssueJWTSVID(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req jwtSVIDRequest
	if err := s.decodeRequest(w, r, &req, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := checkTTL(req.TTL); err != nil {
		s.Error(w, r, err)
		return
	}
	tok, err := s.issuer.IssueJWTSVID(r.Context(), callerFromContext(r.Context()), req.Audience, time.Duration(req.TTL))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, jwtSVIDResponse{SPIFFEID: tok.Claims.Subject, Token: tok.Raw, ExpiresAt: tok.ExpiresAt})
}
