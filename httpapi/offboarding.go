package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/warden-nhi/warden"
)

// Offboarding: departed people and the identities they owned.

// MaxOffboardImportBytes limits a departed-people list upload: ten
// thousand rows of an HR export fit well within it.
const MaxOffboardImportBytes = 8 << 20

// requireOffboarding answers 503 when no offboarding service is wired.
func (s *Server) requireOffboarding(w http.ResponseWriter, r *http.Request) bool {
	if s.offboarding == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "offboarding is not configured on this server"))
		return false
	}
	return true
}

// handleOffboard starts the offboarding of one person: 201 with the new
// offboarding, or 200 with the person's open one (created false).
func (s *Server) handleOffboard(w http.ResponseWriter, r *http.Request) {
	if !s.requireOffboarding(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var in warden.OffboardInput
	if err := s.decodeRequest(w, r, &in, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	res, err := s.offboarding.Offboard(r.Context(), in, warden.OffboardSourceAPI)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, res)
}

// handleOffboardImport reads a departed-people list, CSV (text/csv) or
// JSON (application/json) by Content-Type, and offboards each person;
// ?grace= sets the reassignment period of every new offboarding.
func (s *Server) handleOffboardImport(w http.ResponseWriter, r *http.Request) {
	if !s.requireOffboarding(w, r) {
		return
	}
	q, err := parseQuery(r, []string{"grace"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	format, err := listFormat(r.Header.Get("Content-Type"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	body := &limitedBody{r: http.MaxBytesReader(w, r.Body, MaxOffboardImportBytes), limit: MaxOffboardImportBytes}
	res, err := s.offboarding.ImportDeparted(r.Context(), format, body, q.get("grace"))
	if body.err != nil {
		err = body.err
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

// listFormat maps a Content-Type to the list format it carries.
func listFormat(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch strings.ToLower(mt) {
		case "text/csv", "application/csv":
			return warden.OffboardSourceCSV, nil
		case "application/json":
			return warden.OffboardSourceJSON, nil
		}
	}
	return "", warden.Errorf(codeUnsupportedMediaType, "Content-Type must be text/csv or application/json")
}

var offboardingListParams = []string{"person", "status", "cursor", "limit"}

func (s *Server) handleListOffboardings(w http.ResponseWriter, r *http.Request) {
	if !s.requireOffboarding(w, r) {
		return
	}
	serveList(s, w, r, offboardingListParams, offboardingFilter, s.offboarding.FindOffboardings)
}

func offboardingFilter(_ *http.Request, q queryParams) (warden.OffboardingFilter, error) {
	f := warden.OffboardingFilter{Person: q.get("person"), Status: warden.OffboardingStatus(q.get("status")), Cursor: q.get("cursor")}
	var err error
	f.Limit, err = q.limit()
	return f, err
}

func (s *Server) handleGetOffboarding(w http.ResponseWriter, r *http.Request) {
	if !s.requireOffboarding(w, r) {
		return
	}
	serveByID(s, w, r, s.offboarding.FindOffboarding)
}
