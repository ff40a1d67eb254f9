package httpapi

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

var auditListParams = []string{"actor", "action", "target_type", "target_id", "order", "cursor", "limit"}

func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, auditListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	filter := warden.AuditFilter{
		Actor:      q.get("actor"),
		Action:     q.get("action"),
		TargetType: q.get("target_type"),
		TargetID:   q.get("target_id"),
		Cursor:     q.get("cursor"),
	}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Newest, err = q.newestFirst(); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := filter.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	records, next, err := s.audit.FindAuditRecords(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(records, next))
}

func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request) {
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.audit.VerifyAudit(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}
