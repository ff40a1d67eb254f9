package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// accessPage is the data of the access requests list.
type accessPage struct {
	Filter   accessForm
	Requests []*warden.AccessRequest
	Names    map[string]string // identity id -> name
	Statuses []warden.AccessStatus
	Pager    pager
}

// accessForm echoes the filter form's fields.
type accessForm struct {
	Status      string
	NeedsReview bool
}

func (s *Server) handleAccessRequests(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Access == nil {
		s.unavailable(w, r, "Just-in-time access")
		return
	}
	q := r.URL.Query()
	form := accessForm{Status: q.Get("status"), NeedsReview: q.Get("needs_review") == "1"}
	filter := warden.AccessRequestFilter{Status: warden.AccessStatus(form.Status), NeedsReview: form.NeedsReview, Cursor: q.Get("cursor")}
	if err := filter.Validate(); err != nil {
		s.renderError(w, r, err)
		return
	}
	items, next, err := s.cfg.Access.FindAccessRequests(r.Context(), filter)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.IdentityID
	}
	names, err := s.identityNames(r.Context(), ids)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := accessPage{Filter: form, Requests: items, Names: names, Statuses: warden.AccessStatuses, Pager: newPager(r, next)}
	s.render(w, r, http.StatusOK, "access", view{Title: "Access requests", Nav: "access", Data: page})
}

// accessRequestPage is the data of one request's page.
type accessRequestPage struct {
	Request  *warden.AccessRequest
	Identity *warden.Identity // nil when no longer in the inventory
	Scope    string
	Duration string
	Active   bool
}

func (s *Server) handleAccessRequest(w http.ResponseWriter, r *http.Request) {
	req, ok := s.accessRequest(w, r)
	if !ok {
		return
	}
	page := accessRequestPage{Request: req, Scope: strings.Join(req.Scope.Strings(), " "), Duration: grantLength(req.DurationSeconds), Active: req.Active(s.now())}
	if id, err := s.cfg.Identities.FindIdentityByID(r.Context(), req.IdentityID); err == nil {
		page.Identity = id
	} else if warden.ErrorCode(err) != warden.ENOTFOUND {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "access_request", view{Title: "Access request " + req.ID, Nav: "access", Data: page})
}

// accessRequest loads the {id} request, answering the request itself when
// it cannot.
func (s *Server) accessRequest(w http.ResponseWriter, r *http.Request) (*warden.AccessRequest, bool) {
	if s.cfg.Access == nil {
		s.unavailable(w, r, "Just-in-time access")
		return nil, false
	}
	req, err := s.cfg.Access.FindAccessRequest(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	return req, true
}

// accessAction is one answer an approver gives in the console.
type accessAction struct {
	verb    string // approve, deny, revoke, review
	heading string
	effect  string
	button  string
	field   string // the posted text field: comment, reason or notes
	needed  bool   // whether the field is required
}

var accessActions = map[string]accessAction{
	"approve": {verb: "approve", heading: "Approve", button: "Approve", field: "comment",
		effect: "Your approval counts once; with enough approvals the grant starts now and ends by itself."},
	"deny": {verb: "deny", heading: "Deny", button: "Deny", field: "comment",
		effect: "The request is denied and ends; the requester must ask again."},
	"revoke": {verb: "revoke", heading: "Revoke", button: "Revoke", field: "reason", needed: true,
		effect: "The grant ends now (a pending request is withdrawn), and every token minted for it is revoked."},
	"review": {verb: "review", heading: "Record the review of", button: "Record the review", field: "notes",
		effect: "The break-glass grant's review task is closed with this outcome."},
}

func (s *Server) handleAccessApprove(w http.ResponseWriter, r *http.Request) {
	s.answerAccess(w, r, "approve")
}
func (s *Server) handleAccessDeny(w http.ResponseWriter, r *http.Request) {
	s.answerAccess(w, r, "deny")
}
func (s *Server) handleAccessRevoke(w http.ResponseWriter, r *http.Request) {
	s.answerAccess(w, r, "revoke")
}
func (s *Server) handleAccessReview(w http.ResponseWriter, r *http.Request) {
	s.answerAccess(w, r, "review")
}

// answerAccess applies an approver's answer to the {id} request after
// confirmation; the access service enforces who may give it (never the
// requester, never twice).
func (s *Server) answerAccess(w http.ResponseWriter, r *http.Request, verb string) {
	a := accessActions[verb]
	req, ok := s.accessRequest(w, r)
	if !ok {
		return
	}
	text, err := formText(r.PostForm, a.field, warden.MaxTextLen, a.needed)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	outcome := r.PostForm.Get("outcome")
	if verb == "review" && outcome != warden.ReviewJustified && outcome != warden.ReviewUnjustified {
		s.renderError(w, r, warden.FieldErrorf("outcome", "Choose whether the break-glass use was justified or unjustified."))
		return
	}
	lines := []string{
		"Request " + req.ID + " by " + req.Requester + ": " + strings.Join(req.Scope.Strings(), " ") + " for " + grantLength(req.DurationSeconds) + ".",
		"Reason given: " + req.Reason,
		a.effect,
	}
	if outcome != "" {
		lines = append(lines, "Outcome: "+outcome)
	}
	if text != "" {
		lines = append(lines, strings.ToUpper(a.field[:1])+a.field[1:]+": "+text)
	}
	if !s.confirmed(w, r, confirmation{
		Heading: a.heading + " access request " + req.ID + "?",
		Lines:   lines,
		Button:  a.button,
		Danger:  verb == "deny" || verb == "revoke",
		Cancel:  Prefix + "access/" + req.ID,
	}) {
		return
	}
	ctx := r.Context()
	switch verb {
	case "approve":
		_, err = s.cfg.Access.ApproveAccess(ctx, req.ID, text)
	case "deny":
		_, err = s.cfg.Access.DenyAccess(ctx, req.ID, text)
	case "revoke":
		_, err = s.cfg.Access.RevokeAccess(ctx, req.ID, text)
	case "review":
		_, err = s.cfg.Access.ReviewAccess(ctx, req.ID, outcome, text)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, Prefix+"access/"+req.ID, "access-"+verb)
}

// grantLength renders a grant's duration: "45m", "2h", "1h30m", "1d".
func grantLength(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d > time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}
