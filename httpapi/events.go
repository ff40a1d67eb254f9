package httpapi

import (
	"net/http"
	"time"

	"github.com/warden-nhi/warden"
)

var eventListParams = []string{"identity", "provider", "source", "since", "until", "order", "cursor", "limit"}

// handleListEvents lists activity events, oldest first unless order=newest. identity is an
// identity id or external id (narrowed by provider).
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, eventListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if s.discovery == nil || s.discovery.Events == nil {
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "activity events are not configured on this server"))
		return
	}
	filter := warden.EventFilter{Source: q.get("source"), Cursor: q.get("cursor")}
	if filter.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Newest, err = q.newestFirst(); err != nil {
		s.Error(w, r, err)
		return
	}
	if filter.Limit > warden.MaxPageSize {
		s.Error(w, r, warden.FieldErrorf("limit", "limit must be between 1 and %d", warden.MaxPageSize))
		return
	}
	for name, dst := range map[string]**time.Time{"since": &filter.Since, "until": &filter.Until} {
		if v := q.get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || t.Year() < 1970 || t.Year() > 9999 {
				s.Error(w, r, warden.FieldErrorf(name, "%s must be an RFC 3339 time between 1970 and 9999, such as 2026-02-28T00:00:00Z", name))
				return
			}
			*dst = &t
		}
	}
	if ref := q.get("identity"); ref != "" {
		identity, err := s.identities.FindIdentityByRef(r.Context(), ref, warden.Provider(q.get("provider")))
		if err != nil {
			s.Error(w, r, err)
			return
		}
		filter.IdentityID = identity.ID
	} else if q.get("provider") != "" {
		s.Error(w, r, warden.FieldErrorf("provider", "provider narrows identity; give identity too"))
		return
	}
	events, next, err := s.discovery.Events.FindEvents(r.Context(), filter)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(events, next))
}
