package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// dateLayout is the format of <input type="date"> values.
const dateLayout = "2006-01-02"

// defaultSuppression is how far ahead the suppression form proposes the
// suppression to end.
const defaultSuppression = 30 * 24 * time.Hour

// suppressPage is the data of the suppression form.
type suppressPage struct {
	Finding  *warden.Finding
	Reason   string
	Until    string // YYYY-MM-DD
	Min, Max string // the earliest and latest dates the store accepts
}

// handleSuppressForm shows the form that accepts a finding's risk with a
// reason until a date. A suppressed finding may be suppressed again, to
// change the reason or the date.
func (s *Server) handleSuppressForm(w http.ResponseWriter, r *http.Request) {
	f, ok := s.suppressibleFinding(w, r)
	if !ok {
		return
	}
	now := s.now().UTC()
	page := suppressPage{
		Finding: f,
		Until:   now.Add(defaultSuppression).Format(dateLayout),
		Min:     now.AddDate(0, 0, 1).Format(dateLayout),
		Max:     now.Add(warden.MaxSuppression).Format(dateLayout),
	}
	if f.Status == warden.FindingSuppressed && f.Suppression != nil {
		page.Reason, page.Until = f.Suppression.Reason, f.Suppression.Until.UTC().Format(dateLayout)
	}
	s.render(w, r, http.StatusOK, "finding_suppress", view{Title: "Suppress " + f.Title, Nav: "findings", Data: page})
}

// handleSuppress suppresses a finding after confirmation. The reason and
// the date are checked before the confirmation page, so that nobody
// confirms a change that cannot be made.
func (s *Server) handleSuppress(w http.ResponseWriter, r *http.Request) {
	f, ok := s.suppressibleFinding(w, r)
	if !ok {
		return
	}
	reason, until, err := s.suppressionInput(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if !s.confirmed(w, r, confirmation{
		Heading: "Suppress “" + f.Title + "”?",
		Lines: []string{
			"Finding " + f.ID + " (" + f.RuleID + ", " + string(f.Severity) + ") of identity " + f.IdentityID + ".",
			"Reason: " + reason,
			"Until " + when(until) + "; after that the finding counts as open again by itself.",
			"Until then it does not count towards open findings, the posture or the identity's risk score.",
		},
		Button: "Suppress the finding",
		Cancel: Prefix + "findings/" + f.ID,
	}) {
		return
	}
	if _, err := s.cfg.Findings.SuppressFinding(r.Context(), f.ID, reason, until); err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, Prefix+"findings/"+f.ID, "suppress")
}

// handleUnsuppress ends a finding's suppression early, after confirmation.
func (s *Server) handleUnsuppress(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Findings == nil {
		s.unavailable(w, r, "Governance findings")
		return
	}
	f, err := s.cfg.Findings.FindFindingByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if f.Status != warden.FindingSuppressed {
		s.renderError(w, r, warden.Errorf(warden.ECONFLICT, "This finding is %s, not suppressed: there is no suppression to end.", f.Status))
		return
	}
	if !s.confirmed(w, r, confirmation{
		Heading: "End the suppression of “" + f.Title + "”?",
		Lines: []string{
			"Finding " + f.ID + " (" + f.RuleID + ", " + string(f.Severity) + ") of identity " + f.IdentityID + " is open again at once.",
			"It counts towards open findings, the posture and the identity's risk score from the next evaluation.",
		},
		Button: "End the suppression",
		Cancel: Prefix + "findings/" + f.ID,
	}) {
		return
	}
	if _, err := s.cfg.Findings.UnsuppressFinding(r.Context(), f.ID); err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, Prefix+"findings/"+f.ID, "unsuppress")
}

// suppressibleFinding loads the finding of the request and checks that it
// can be suppressed: open, or suppressed already (to change it). It
// answers the request itself when not.
func (s *Server) suppressibleFinding(w http.ResponseWriter, r *http.Request) (*warden.Finding, bool) {
	if s.cfg.Findings == nil {
		s.unavailable(w, r, "Governance findings")
		return nil, false
	}
	f, err := s.cfg.Findings.FindFindingByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	if f.Status == warden.FindingResolved {
		s.renderError(w, r, warden.Errorf(warden.ECONFLICT, "This finding is resolved: only open findings can be suppressed."))
		return nil, false
	}
	return f, true
}

// suppressionInput reads and checks the suppression form: a reason, and a
// date in the future no further away than warden.MaxSuppression. The
// suppression ends at the start (00:00 UTC) of that date.
func (s *Server) suppressionInput(r *http.Request) (string, time.Time, error) {
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		return "", time.Time{}, warden.FieldErrorf("reason", "A reason is required: say why the risk is accepted.")
	}
	if len(reason) > warden.MaxTextLen {
		return "", time.Time{}, warden.FieldErrorf("reason", "The reason is longer than %d bytes.", warden.MaxTextLen)
	}
	raw := strings.TrimSpace(r.PostForm.Get("until"))
	if raw == "" {
		return "", time.Time{}, warden.FieldErrorf("until", "An until date is required: a suppression must expire.")
	}
	until, err := time.Parse(dateLayout, raw)
	if err != nil {
		return "", time.Time{}, warden.FieldErrorf("until", "The until date %q is not a date such as 2026-05-01.", clip(raw))
	}
	now := s.now()
	if !until.After(now) {
		return "", time.Time{}, warden.FieldErrorf("until", "The until date must be in the future (a suppression ends at 00:00 UTC of that day).")
	}
	if until.Sub(now) > warden.MaxSuppression {
		return "", time.Time{}, warden.FieldErrorf("until", "The until date is too far ahead: a suppression lasts at most %d days.", int(warden.MaxSuppression/(24*time.Hour)))
	}
	return reason, until, nil
}
