package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// detectionsPage is the data of the detections list.
type detectionsPage struct {
	Filter     detectionsForm
	Identity   *warden.Identity // the identity the list is narrowed to, if any
	Detections []*warden.Detection
	Severities []warden.Severity
	Pager      pager
}

// detectionsForm echoes the filter form's fields.
type detectionsForm struct {
	Detector, Severity, Identity, Since string
}

func (s *Server) handleDetections(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Detections == nil {
		s.unavailable(w, r, "Monitoring")
		return
	}
	q := r.URL.Query()
	form := detectionsForm{Detector: q.Get("detector"), Severity: q.Get("severity"), Identity: q.Get("identity"), Since: q.Get("since")}
	filter := warden.DetectionFilter{Detector: form.Detector, MinSeverity: warden.Severity(form.Severity), Cursor: q.Get("cursor")}
	if form.Since != "" {
		since, err := parseSince(form.Since)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		filter.Since = &since
	}
	if err := filter.Validate(); err != nil {
		s.renderError(w, r, err)
		return
	}
	page := detectionsPage{Filter: form, Severities: warden.Severities}
	if form.Identity != "" {
		id, err := s.resolveIdentity(r, form.Identity)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		page.Identity, filter.IdentityID = id, id.ID
	}
	items, next, err := s.cfg.Detections.FindDetections(r.Context(), filter)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page.Detections, page.Pager = items, newPager(r, next)
	s.render(w, r, http.StatusOK, "detections", view{Title: "Detections", Nav: "detections", Data: page})
}

// parseSince reads a since filter: a date (the start of that day, UTC),
// as a date input sends it, or an RFC 3339 time.
func parseSince(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(dateLayout, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil && t.Year() >= 1970 && t.Year() <= 9999 {
		return t, nil
	}
	return time.Time{}, warden.FieldErrorf("since", "since %q is not a date such as 2026-03-01 or an RFC 3339 time such as 2026-03-01T12:00:00Z", clip(v))
}
