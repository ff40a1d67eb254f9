package console

import (
	"net/http"

	"github.com/warden-nhi/warden"
)

// trendSnapshots is how many posture snapshots the overview charts.
const trendSnapshots = 90

// overviewPage is the data of the overview.
type overviewPage struct {
	Counts  *warden.InventoryCounts
	Posture *warden.PostureSnapshot // the latest, nil before the first evaluation
	OWASP   []owaspCount
	Trend   trendChart
	Risk    trendChart
}

// owaspCount is the number of open findings mapped to one OWASP NHI risk.
type owaspCount struct {
	ID, Title string
	Open      int
}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page := overviewPage{Counts: &warden.InventoryCounts{}}
	if s.cfg.Inventory != nil {
		c, err := s.cfg.Inventory.CountInventory(ctx)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		page.Counts = c
	}
	var snaps []*warden.PostureSnapshot
	if s.cfg.Posture != nil {
		var err error
		snaps, err = s.cfg.Posture.FindPosture(ctx, warden.PostureFilter{Limit: trendSnapshots})
		if err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	if len(snaps) > 0 {
		page.Posture = snaps[0]
	}
	for _, id := range owaspIDs {
		open := 0
		if page.Posture != nil {
			open = page.Posture.ByOWASP[id]
		}
		page.OWASP = append(page.OWASP, owaspCount{ID: id, Title: warden.OWASPNHITop10[id], Open: open})
	}
	page.Trend, page.Risk = postureCharts(snaps)
	s.render(w, r, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Data: page})
}

// owaspIDs are the OWASP NHI Top 10 ids in order.
var owaspIDs = []string{"NHI1", "NHI2", "NHI3", "NHI4", "NHI5", "NHI6", "NHI7", "NHI8", "NHI9", "NHI10"}

// postureCharts turns snapshots (newest first) into the two trend charts of
// the overview: findings and ownership, and risk.
func postureCharts(snaps []*warden.PostureSnapshot) (trendChart, trendChart) {
	trend := trendChart{ID: "trend-findings", Title: "Open findings, unowned and not-onboarded identities over time"}
	risk := trendChart{ID: "trend-risk", Title: "High-risk, over-privileged and stale identities over time"}
	open := series{Name: "Open findings", Class: "s1"}
	unowned := series{Name: "Unowned", Class: "s2"}
	notOnboarded := series{Name: "Not onboarded", Class: "s3"}
	high := series{Name: "High risk", Class: "s1"}
	over := series{Name: "Over-privileged", Class: "s2"}
	stale := series{Name: "Stale", Class: "s3"}
	for i := len(snaps) - 1; i >= 0; i-- {
		p := snaps[i]
		trend.Times = append(trend.Times, p.Time)
		risk.Times = append(risk.Times, p.Time)
		open.Values = append(open.Values, p.OpenFindings)
		unowned.Values = append(unowned.Values, p.Unowned)
		notOnboarded.Values = append(notOnboarded.Values, p.NotOnboarded)
		high.Values = append(high.Values, p.HighRisk)
		over.Values = append(over.Values, p.OverPrivileged)
		stale.Values = append(stale.Values, p.Stale)
	}
	trend.Series = []series{open, unowned, notOnboarded}
	risk.Series = []series{high, over, stale}
	return trend, risk
}
