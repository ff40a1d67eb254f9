package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// entryCreate is the body of POST /v1/issuer/entries: the writable fields
// of a registration entry.
type entryCreate struct {
	SPIFFEID   string            `json:"spiffe_id"`
	IdentityID string            `json:"identity_id"`
	Method     string            `json:"method"`
	OIDCIssuer string            `json:"oidc_issuer"`
	Selectors  map[string]string `json:"selectors"`
	X509TTL    warden.Duration   `json:"x509_ttl"`
	JWTTTL     warden.Duration   `json:"jwt_ttl"`
	Audiences  []string          `json:"audiences"`
	Scopes     []string          `json:"scopes"`
}

// joinTokenCreate is the body of POST /v1/issuer/entries/{id}/join-tokens.
type joinTokenCreate struct {
	TTL warden.Duration `json:"ttl"` // default 1h
}

// joinTokenCreated is the only time a join token's secret is shown.
type joinTokenCreated struct {
	JoinToken *warden.JoinToken `json:"join_token"`
	Secret    string            `json:"secret"`
}

// defaultJoinTokenTTL is the lifetime of a join token when none is asked.
const defaultJoinTokenTTL = time.Hour

func (s *Server) handleListEntries(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"method", "oidc_issuer"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	method := q.get("method")
	if method != "" && method != warden.AttestJoinToken && method != warden.AttestOIDC {
		s.Error(w, r, warden.FieldErrorf("method", "method must be %s or %s", warden.AttestJoinToken, warden.AttestOIDC))
		return
	}
	entries, err := s.issuerStore.FindRegistrationEntries(r.Context(), method, q.get("oidc_issuer"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(entries, ""))
}

func (s *Server) handleCreateEntry(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req entryCreate
	if err := s.decodeRequest(w, r, &req, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	if td := s.issuer.TrustDomain(); !strings.HasPrefix(req.SPIFFEID, "spiffe://"+td+"/") {
		s.Error(w, r, warden.FieldErrorf("spiffe_id", "spiffe_id must be in trust domain %s: spiffe://%s/<path>", td, td))
		return
	}
	e := &warden.RegistrationEntry{SPIFFEID: req.SPIFFEID, IdentityID: req.IdentityID, Method: req.Method, OIDCIssuer: req.OIDCIssuer,
		Selectors: req.Selectors, X509TTL: req.X509TTL, JWTTTL: req.JWTTTL, Audiences: req.Audiences, Scopes: req.Scopes}
	if err := s.issuerStore.CreateRegistrationEntry(r.Context(), e); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, e)
}

func (s *Server) handleGetEntry(w http.ResponseWriter, r *http.Request) {
	serveByID(s, w, r, s.issuerStore.FindRegistrationEntryByID)
}

// handleDeleteEntry deletes an entry, its unused join tokens, and revokes
// what was issued under it.
func (s *Server) handleDeleteEntry(w http.ResponseWriter, r *http.Request) {
	id, err := pathValue(r, "id")
	if err == nil {
		_, err = parseQuery(r, nil)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.issuerStore.DeleteRegistrationEntry(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCreateJoinToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathValue(r, "id")
	if err == nil {
		_, err = parseQuery(r, nil)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req joinTokenCreate
	if err := s.decodeRequest(w, r, &req, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	ttl := time.Duration(req.TTL)
	if ttl == 0 {
		ttl = defaultJoinTokenTTL
	}
	tok, secret, err := s.issuerStore.CreateJoinToken(r.Context(), id, ttl)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, joinTokenCreated{JoinToken: tok, Secret: secret})
}

func (s *Server) handleListIssued(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"identity_id", "entry_id", "kind", "cursor", "limit"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f := warden.IssuedCredentialFilter{IdentityID: q.get("identity_id"), EntryID: q.get("entry_id"), Kind: q.get("kind"), Cursor: q.get("cursor")}
	if f.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := f.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.issuerStore.FindIssuedCredentials(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleGetIssued(w http.ResponseWriter, r *http.Request) {
	serveByID(s, w, r, s.issuerStore.FindIssuedCredential)
}

// handleRevokeIssued revokes one issued credential, every credential of an
// identity or of a registration entry; effective at once for introspection
// and the policy decision point.
func (s *Server) handleRevokeIssued(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req warden.Revocation
	if err := s.decodeRequest(w, r, &req, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	n, err := s.issuerStore.RevokeIssued(r.Context(), req)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Revoked int `json:"revoked"`
	}{n})
}
