package httpapi

import (
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/warden-nhi/warden"
)

// credentialCreate is the body of POST /v1/identities/{ref}/credentials.
// There is deliberately no field for the secret: callers send its SHA-256
// fingerprint, and a "secret" member is rejected as an unknown field.
type credentialCreate struct {
	Type          warden.CredentialType   `json:"type"`
	PublicID      string                  `json:"public_id"`
	Fingerprint   string                  `json:"fingerprint"`
	Description   string                  `json:"description"`
	Status        warden.CredentialStatus `json:"status"`
	ExpiresAt     *time.Time              `json:"expires_at"`
	LastRotatedAt *time.Time              `json:"last_rotated_at"`
	LastUsedAt    *time.Time              `json:"last_used_at"`
}

// decodeCredentialCreate decodes and validates a create body; the caller
// sets the identity id.
func decodeCredentialCreate(contentType string, body io.Reader) (*warden.Credential, error) {
	var req credentialCreate
	if err := decodeBody(contentType, body, &req, decodeOptions{allowNull: true}); err != nil {
		return nil, err
	}
	cred := &warden.Credential{
		Type:          req.Type,
		PublicID:      req.PublicID,
		Fingerprint:   req.Fingerprint,
		Description:   req.Description,
		Status:        req.Status,
		ExpiresAt:     req.ExpiresAt,
		LastRotatedAt: req.LastRotatedAt,
		LastUsedAt:    req.LastUsedAt,
	}
	return cred, cred.Validate()
}

// credentialPatch is the body of PATCH /v1/credentials/{id}.
type credentialPatch struct {
	Status        *warden.CredentialStatus `json:"status"`
	Description   *string                  `json:"description"`
	Fingerprint   *string                  `json:"fingerprint"`
	ExpiresAt     *time.Time               `json:"expires_at"`
	LastRotatedAt *time.Time               `json:"last_rotated_at"`
	LastUsedAt    *time.Time               `json:"last_used_at"`
}

// decodeCredentialPatch decodes and validates a PATCH body.
func decodeCredentialPatch(contentType string, body io.Reader) (warden.CredentialUpdate, error) {
	var req credentialPatch
	if err := decodeBody(contentType, body, &req, decodeOptions{}); err != nil {
		return warden.CredentialUpdate{}, err
	}
	upd := warden.CredentialUpdate(req)
	if upd.Empty() {
		return upd, warden.Errorf(warden.EINVALID, "the update changes nothing; send at least one field")
	}
	return upd, upd.Validate()
}

var credentialListParams = []string{"identity_id", "type", "status", "public_id", "fingerprint", "cursor", "limit"}

// credentialFilter builds a validated filter from the query; identity-scoped
// listings pass identityID and do not accept the identity_id parameter.
func credentialFilter(q queryParams, identityID string) (warden.CredentialFilter, error) {
	filter := warden.CredentialFilter{
		IdentityID:  q.get("identity_id"),
		Type:        warden.CredentialType(q.get("type")),
		Status:      warden.CredentialStatus(q.get("status")),
		PublicID:    q.get("public_id"),
		Fingerprint: q.get("fingerprint"),
		Cursor:      q.get("cursor"),
	}
	if identityID != "" {
		filter.IdentityID = identityID
	}
	var err error
	if filter.Limit, err = q.limit(); err != nil {
		return filter, err
	}
	return filter, filter.Validate()
}

func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request, filter warden.CredentialFilter) {
	items, next, err := s.credentials.FindCredentials(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleListCredentials(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, credentialListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter, err := credentialFilter(q, "")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.listCredentials(w, r, filter)
}

func (s *Server) handleListIdentityCredentials(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"provider", "type", "status", "cursor", "limit"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err := s.findIdentity(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter, err := credentialFilter(q, identity.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.listCredentials(w, r, filter)
}

func (s *Server) handleCreateCredential(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, []string{"provider"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.maxBodyBytes)
	cred, err := decodeCredentialCreate(r.Header.Get("Content-Type"), body)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	identity, err := s.findIdentity(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cred.IdentityID = identity.ID
	if err := s.credentials.CreateCredential(r.Context(), cred); err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/credentials/"+url.PathEscape(cred.ID))
	s.writeJSON(w, r, http.StatusCreated, cred)
}

func (s *Server) handleGetCredential(w http.ResponseWriter, r *http.Request) {
	serveByID(s, w, r, s.credentials.FindCredentialByID)
}

func (s *Server) handleUpdateCredential(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	upd, err := decodeCredentialPatch(r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cred, err := s.credentials.UpdateCredential(r.Context(), id, upd)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, cred)
}
