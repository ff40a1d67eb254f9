package httpapi

import (
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

var decisionListParams = []string{"identity", "decision", "action", "would_deny", "since", "until", "cursor", "limit"}

func (s *Server) handleListDecisions(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, decisionListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.pdp.decisions == nil {
		s.Error(w, r, pdpUnavailable("decision log"))
		return
	}
	filter := warden.DecisionFilter{IdentityID: q.get("identity"), Decision: q.get("decision"), Action: q.get("action"), Cursor: q.get("cursor")}
	if wd, err := q.boolean("would_deny"); err != nil {
		s.Error(w, r, err)
		return
	} else if wd != nil {
		filter.WouldDeny = *wd
	}
	for name, dst := range map[string]**time.Time{"since": &filter.Since, "until": &filter.Until} {
		if v := q.get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.Error(w, r, warden.FieldErrorf(name, "%s must be an RFC 3339 time such as 2026-03-01T00:00:00Z", name))
				return
			}
			*dst = &t
		}
	}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := filter.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	records, next, err := s.pdp.decisions.FindDecisions(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(records, next))
}
