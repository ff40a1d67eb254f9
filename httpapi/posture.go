package httpapi

import (
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

// postureResponse is the body of GET /v1/posture.
type postureResponse struct {
	// Latest is the newest snapshot in the range, or null before the first
	// evaluation.
	Latest *warden.PostureSnapshot `json:"latest"`
	// Series holds the snapshots in the range, newest first.
	Series []*warden.PostureSnapshot `json:"series"`
}

// timeParam parses an RFC 3339 query parameter; nil when absent.
func (q queryParams) timeParam(name string) (*time.Time, error) {
	v := q.get(name)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, warden.FieldErrorf(name, "%s must be an RFC 3339 time such as 2026-03-01T00:00:00Z", name)
	}
	return &t, nil
}

func (s *Server) handleGetPosture(w http.ResponseWriter, r *http.Request) {
	if s.posture == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "governance is not enabled on this server"))
		return
	}
	q, err := parseQuery(r, []string{"since", "until", "limit"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var filter warden.PostureFilter
	if filter.Since, err = q.timeParam("since"); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Until, err = q.timeParam("until"); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := filter.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	series, err := s.posture.FindPosture(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	resp := postureResponse{Series: series}
	if resp.Series == nil {
		resp.Series = []*warden.PostureSnapshot{}
	}
	if len(series) > 0 {
		resp.Latest = series[0]
	}
	s.writeJSON(w, r, http.StatusOK, resp)
}
