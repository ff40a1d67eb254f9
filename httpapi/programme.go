package httpapi

import (
	"net/http"
	"strconv"

	"github.com/warden-nhi/warden"
)

var programmeParams = []string{"months", "until"}

// handleGetProgramme answers GET /v1/programme: the programme metrics by
// month.
func (s *Server) handleGetProgramme(w http.ResponseWriter, r *http.Request) {
	if s.programme == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "programme metrics are not enabled on this server"))
		return
	}
	q, err := parseQuery(r, programmeParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var f warden.ProgrammeFilter
	if v := q.get("months"); v != "" {
		if f.Months, err = strconv.Atoi(v); err != nil {
			s.Error(w, r, warden.FieldErrorf("months", "months must be a whole number of months (1-36)"))
			return
		}
		if f.Months == 0 {
			s.Error(w, r, warden.FieldErrorf("months", "months must be between 1 and 36, got 0"))
			return
		}
	}
	until, err := q.timeParam("until")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if until != nil {
		f.Until = *until
	}
	m, err := s.programme.ProgrammeMetrics(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, m)
}
