package httpapi

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

// requireGovernance answers 503 when the server runs without governance.
func (s *Server) requireGovernance(w http.ResponseWriter, r *http.Request) bool {
	if s.governance == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "governance is not enabled on this server"))
		return false
	}
	return true
}

// rulesResponse is the body of GET /v1/governance/rules.
type rulesResponse struct {
	Items []warden.GovernanceRule `json:"items"`
	// OWASP names the OWASP NHI Top 10 (2025) ids the rules map to.
	OWASP map[string]string `json:"owasp"`
}

func (s *Server) handleListRules(w http.ResponseWriter, r *http.Request) {
	if !s.requireGovernance(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, rulesResponse{Items: s.governance.Rules(), OWASP: warden.OWASPNHITop10})
}

func (s *Server) handleEvaluate(w http.ResponseWriter, r *http.Request) {
	if !s.requireGovernance(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var req struct{}
	if err := s.decodeRequest(w, r, &req, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	res, err := s.governance.Evaluate(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	if !s.requireGovernance(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	report, err := s.governance.Report(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, report)
}
