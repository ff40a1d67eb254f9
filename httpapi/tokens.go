package httpapi

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

// tokenCreate is the body of POST /v1/tokens.
type tokenCreate struct {
	Name string      `json:"name"`
	Role warden.Role `json:"role"`
}

// validate checks the name and role of a new token.
func (c *tokenCreate) validate() error {
	if err := checkText("name", c.Name, warden.MaxNameLen, true); err != nil {
		return err
	}
	if !c.Role.Valid() {
		return warden.FieldErrorf("role", "role %q is not one of admin, operator, auditor, approver", clip(string(c.Role)))
	}
	return nil
}

// tokenCreated is the answer to POST /v1/tokens: the only time the secret
// is ever shown.
type tokenCreated struct {
	Token  *warden.APIToken `json:"token"`
	Secret string           `json:"secret"`
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	tokens, err := s.tokens.FindTokens(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if tokens == nil {
		tokens = []*warden.APIToken{}
	}
	s.writeJSON(w, r, http.StatusOK, struct {
		Items []*warden.APIToken `json:"items"`
	}{tokens})
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req tokenCreate
	if err := s.decodeRequest(w, r, &req, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := req.validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	tok, secret, err := s.tokens.CreateToken(r.Context(), req.Name, req.Role)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	serveByID(s, w, r, s.tokens.RevokeToken)
}
