package httpapi

import (
	"context"
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
	serveList(s, w, r, findingListParams, s.findingFilter, s.findings.FindFindings)
}

func (s *Server) findingFilter(r *http.Request, q queryParams) (warden.FindingFilter, error) {
	filter := warden.FindingFilter{
		RuleID:   q.get("rule"),
		Severity: warden.Severity(q.get("severity")),
		OWASP:    q.get("owasp"),
		Status:   warden.FindingStatus(q.get("status")),
		Source:   q.get("source"),
		Cursor:   q.get("cursor"),
	}
	var err error
	if filter.Limit, err = q.limit(); err != nil {
		return filter, err
	}
	if err = filter.Validate(); err != nil {
		return filter, err
	}
	filter.IdentityID, err = s.identityParam(r, q)
	return filter, err
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
	serveChange(s, w, r, decodeOptions{}, func(ctx context.Context, id string, req suppressRequest) (*warden.Finding, error) {
		if err := checkText("reason", req.Reason, warden.MaxTextLen, true); err != nil {
			return nil, err
		}
		if req.Until == nil {
			return nil, warden.FieldErrorf("until", "until is required: a suppression must expire")
		}
		return s.findings.SuppressFinding(ctx, id, req.Reason, *req.Until)
	})
}

func (s *Server) handleUnsuppressFinding(w http.ResponseWriter, r *http.Request) {
	if !s.requireFindings(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, _ struct{}) (*warden.Finding, error) {
		return s.findings.UnsuppressFinding(ctx, id)
	})
}
