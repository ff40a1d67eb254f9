package govern

import (
	"github.com/warden-nhi/warden"
)

// Risk score weights. The formula is documented in docs/governance.md:
//
//	score = min(100, min(70, Σ weight(severity) over open findings) + exposure)
//	exposure = 10 if production + 10 if it holds an administrative grant
//	         + 5 if unowned + 5 if not onboarded
//
// Suppressed and resolved findings do not count; a deprovisioned identity
// scores 0.
var severityWeight = map[warden.Severity]int{
	warden.SeverityCritical: 40,
	warden.SeverityHigh:     20,
	warden.SeverityMedium:   8,
	warden.SeverityLow:      3,
	warden.SeverityInfo:     0,
}

// Exposure points and the cap on the findings part of the score.
const (
	maxFindingPoints = 70
	exposureProd     = 10
	exposureAdmin    = 10
	exposureUnowned  = 5
	exposureUnmanged = 5
)

// Exposure is what makes an identity's findings matter more.
type Exposure struct {
	Prod       bool `json:"prod"`
	Privileged bool `json:"privileged"`
	Unowned    bool `json:"unowned"`
	Unmanaged  bool `json:"unmanaged"`
}

// ExposureOf derives the exposure of a snapshot's identity.
func (e *Engine) ExposureOf(s *Snapshot) Exposure {
	x := Exposure{Unowned: s.Identity.Owner == "", Unmanaged: !s.Identity.Managed}
	if s.Identity.Environment != "" {
		x.Prod = e.classify.class(s.Identity.Environment) == "prod"
	} else {
		x.Prod = e.classify.Classify(s.Identity.ExternalID) == "prod"
	}
	for _, g := range s.Grants {
		if IsAdminGrant(g) {
			x.Privileged = true
			break
		}
	}
	return x
}

// RiskScore computes an identity's risk score, 0-100, from its open
// findings and its exposure.
func RiskScore(identity *warden.Identity, open []*warden.Finding, x Exposure) int {
	if identity.Status == warden.StatusDeprovisioned {
		return 0
	}
	points := 0
	for _, f := range open {
		if f.Status == warden.FindingOpen {
			points += severityWeight[f.Severity]
		}
	}
	points = min(points, maxFindingPoints)
	if x.Prod {
		points += exposureProd
	}
	if x.Privileged {
		points += exposureAdmin
	}
	if x.Unowned {
		points += exposureUnowned
	}
	if x.Unmanaged {
		points += exposureUnmanged
	}
	return min(points, 100)
}
