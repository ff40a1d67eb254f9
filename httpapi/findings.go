package httpapi

import (
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

// findingListParams are the filters of GET /v1/findings.
var findingListParams = []string{"rule", "severity", "owasp", "identity", "provider", "status", "source", "cursor", "limit"}

// requireFindings answers 503 when the server runs without a finding store.
func (s *Server) requireFindings(w http.ResponseWriter, r *http.Request) bool {
	if s.findings == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "governance is not enabled on this server"))
		return false
	}
	return true
}

func (s *Server) handleListFindings(w http.ResponseWriter, r *http.Request) {
	if !s.requireFindings(w, r) {
		return
	}
	q, err := parseQuery(r, findingListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter := warden.FindingFilter{
		RuleID:   q.get("rule"),
		Severity: warden.Severity(q.get("severity")),
		OWASP:    q.get("owasp"),
		Status:   warden.FindingStatus(q.get("status")),
		Source:   q.get("source"),
		Cursor:   q.get("cursor"),
	}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := filter.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.IdentityID, err = s.identityParam(r, q); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.findings.FindFindings(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

func (s *Server) handleGetFinding(w http.ResponseWriter, r *http.Request) {
	if !s.requireFindings(w, r) {
		return
	}
	serveByID(s, w, r, s.findings.FindFindingByID)
}

// suppressRequest is the body of POST /v1/findings/{id}/suppress.
type suppressRequest struct {
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until"`
}

func (s *Server) handleSuppressFinding(w http.ResponseWriter, r *http.Request) {
	if !s.requireFindings(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req suppressRequest
	if err := s.decodeRequest(w, r, &req, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := checkText("reason", req.Reason, warden.MaxTextLen, true); err != nil {
		s.Error(w, r, err)
		return
	}
	if req.Until == nil {
		s.Error(w, r, warden.FieldErrorf("until", "until is required: a suppression must expire"))
		return
	}
	f, err := s.findings.SuppressFinding(r.Context(), id, req.Reason, *req.Until)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, f)
}

func (s *Server) handleUnsuppressFinding(w http.ResponseWriter, r *http.Request) {
	if !s.requireFindings(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	id, err := pathValue(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var req struct{}
	if err := s.decodeRequest(w, r, &req, decodeOptions{allowEmpty: true}); err != nil {
		s.Error(w, r, err)
		return
	}
	f, err := s.findings.UnsuppressFinding(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, f)
}
