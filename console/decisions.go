package console

import (
	"fmt"
	"net/http"

	"github.com/warden-nhi/warden"
)

// decisionsPage is the data of the decision log.
type decisionsPage struct {
	Filter    decisionsForm
	Identity  *warden.Identity // the identity the log is narrowed to, if any
	Decisions []decisionRow
	Pager     pager
}

// decisionsForm echoes the filter form's fields.
type decisionsForm struct {
	Decision, Action, Identity string
}

// decisionRow is one logged decision with its latency ready to read.
type decisionRow struct {
	*warden.DecisionRecord
	Latency string
}

func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Decisions == nil {
		s.unavailable(w, r, "The decision log")
		return
	}
	q := r.URL.Query()
	form := decisionsForm{Decision: q.Get("decision"), Action: q.Get("action"), Identity: q.Get("identity")}
	filter := warden.DecisionFilter{Decision: form.Decision, Action: form.Action, Cursor: q.Get("cursor")}
	if form.Decision == "would_deny" { // monitor mode: allowed, but the policy set denied
		filter.Decision, filter.WouldDeny = "", true
	}
	if err := filter.Validate(); err != nil {
		s.renderError(w, r, err)
		return
	}
	page := decisionsPage{Filter: form}
	if form.Identity != "" {
		id, err := s.resolveIdentity(r, form.Identity)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		page.Identity, filter.IdentityID = id, id.ID
	}
	items, next, err := s.cfg.Decisions.FindDecisions(r.Context(), filter)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, d := range items {
		page.Decisions = append(page.Decisions, decisionRow{DecisionRecord: d, Latency: latency(d.LatencyMicros)})
	}
	page.Pager = newPager(r, next)
	s.render(w, r, http.StatusOK, "decisions", view{Title: "Decisions", Nav: "decisions", Data: page})
}

// latency formats a decision's latency in microseconds or milliseconds.
func latency(us int64) string {
	if us < 1000 {
		return fmt.Sprintf("%d µs", us)
	}
	return fmt.Sprintf("%.1f ms", float64(us)/1000)
}
