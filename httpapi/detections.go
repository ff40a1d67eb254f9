package httpapi

import (
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

var detectionListParams = []string{"identity", "provider", "detector", "severity", "since", "until", "cursor", "limit"}

// handleListDetections lists the monitor's detections, newest first.
// identity is an identity id or external id (narrowed by provider);
// severity is a minimum.
func (s *Server) handleListDetections(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, detectionListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.monitor.Detections == nil {
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "monitoring is not configured on this server"))
		return
	}
	filter := warden.DetectionFilter{Detector: q.get("detector"), MinSeverity: warden.Severity(q.get("severity")), Cursor: q.get("cursor")}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &filter.Since}, {"until", &filter.Until}} {
		if v := q.get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || t.Year() < 1970 || t.Year() > 9999 {
				s.Error(w, r, warden.FieldErrorf(p.name, "%s must be an RFC 3339 time between 1970 and 9999, such as 2026-03-04T00:00:00Z", p.name))
				return
			}
			*p.dst = &t
		}
	}
	if err := filter.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.IdentityID, err = s.identityParam(r, q); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.monitor.Detections.FindDetections(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}
