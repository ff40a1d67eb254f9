package httpapi

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

// Phased enforcement: the mode of each control per scope, and what the
// automatic governance actions did or would have done.

// controlInfo describes one control for GET /v1/enforcement.
type controlInfo struct {
	Control     warden.Control         `json:"control"`
	DefaultMode warden.EnforcementMode `json:"default_mode"`
	Description string                 `json:"description"`
}

var controlDescriptions = map[warden.Control]string{
	warden.ControlPolicy:               "the decision point's policy set: in monitor mode a deny by your policies is allowed and logged as a would-deny (the guardrails always enforce)",
	warden.ControlDisableInactive:      "disable identities unused for longer than the inactivity limit",
	warden.ControlDisableReviewExpired: "disable identities whose review went unanswered past escalation and grace",
	warden.ControlDisableOffboarded:    "disable identities a departed person owned that nobody took over in time",
}

type enforcementView struct {
	Controls []controlInfo                `json:"controls"`
	Settings []*warden.EnforcementSetting `json:"settings"`
}

func (s *Server) handleGetEnforcement(w http.ResponseWriter, r *http.Request) {
	if s.enforcement == nil {
		s.Error(w, r, pdpUnavailable("enforcement settings"))
		return
	}
	settings, err := s.enforcement.FindEnforcementSettings(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	view := enforcementView{Settings: settings}
	for _, c := range warden.Controls {
		view.Controls = append(view.Controls, controlInfo{Control: c, DefaultMode: c.DefaultMode(), Description: controlDescriptions[c]})
	}
	s.writeJSON(w, r, http.StatusOK, view)
}

// enforcementPut is the body of POST /v1/enforcement/settings.
type enforcementPut struct {
	Control warden.Control         `json:"control"`
	Scope   string                 `json:"scope"`
	Mode    warden.EnforcementMode `json:"mode"`
}

func (s *Server) handlePutEnforcement(w http.ResponseWriter, r *http.Request) {
	if s.enforcement == nil {
		s.Error(w, r, pdpUnavailable("enforcement settings"))
		return
	}
	var in enforcementPut
	if err := s.decodeStrict(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	setting := &warden.EnforcementSetting{Control: in.Control, Scope: in.Scope, Mode: in.Mode}
	if err := s.enforcement.PutEnforcementSetting(r.Context(), setting); err != nil {
		s.Error(w, r, err)
		return
	}
	s.reloadModes(r)
	s.writeJSON(w, r, http.StatusOK, setting)
}

var enforcementDeleteParams = []string{"scope"}

func (s *Server) handleDeleteEnforcement(w http.ResponseWriter, r *http.Request) {
	if s.enforcement == nil {
		s.Error(w, r, pdpUnavailable("enforcement settings"))
		return
	}
	q, err := parseQuery(r, enforcementDeleteParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	c := warden.Control(r.PathValue("control"))
	if !c.Valid() {
		s.Error(w, r, warden.Errorf(warden.ENOTFOUND, "no control %q: see GET /v1/enforcement", clip(string(c))))
		return
	}
	if err := s.enforcement.DeleteEnforcementSetting(r.Context(), c, q.get("scope")); err != nil {
		s.Error(w, r, err)
		return
	}
	s.reloadModes(r)
	w.WriteHeader(http.StatusNoContent)
}

var enforcementEventParams = []string{"control", "identity", "provider", "enforced", "cursor", "limit"}

func (s *Server) handleListEnforcementEvents(w http.ResponseWriter, r *http.Request) {
	if s.enforcement == nil {
		s.Error(w, r, pdpUnavailable("enforcement events"))
		return
	}
	serveList(s, w, r, enforcementEventParams, s.enforcementEventFilter, s.enforcement.FindEnforcementEvents)
}

func (s *Server) enforcementEventFilter(r *http.Request, q queryParams) (warden.EnforcementEventFilter, error) {
	f := warden.EnforcementEventFilter{Control: warden.Control(q.get("control")), Cursor: q.get("cursor")}
	var err error
	if f.IdentityID, err = s.identityParam(r, q); err != nil {
		return f, err
	}
	if f.Enforced, err = q.boolean("enforced"); err != nil {
		return f, err
	}
	f.Limit, err = q.limit()
	return f, err
}

// reloadModes makes this replica's decision point use a changed setting
// at once (other replicas follow the change feed). The change is stored
// either way; a failed reload is logged and the feed retries it.
func (s *Server) reloadModes(r *http.Request) {
	if err := s.pdp.engine.Reload(r.Context()); err != nil {
		s.logger.Warn("reload the decision point after an enforcement change", "error", err)
	}
}
