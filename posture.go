package warden

import (
	"context"
	"time"
)

// PostureSnapshot is the governance posture of the inventory at one
// evaluation: the counts a team tracks over time to show progress.
type PostureSnapshot struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Identities counts the identities evaluated (deprovisioned excluded).
	Identities     int `json:"identities"`
	Unowned        int `json:"unowned"`         // no owner
	NotOnboarded   int `json:"not_onboarded"`   // seen only in activity (managed=false)
	OverPrivileged int `json:"over_privileged"` // with an open NHI5 finding
	Stale          int `json:"stale"`           // with an open stale-identity finding
	HighRisk       int `json:"high_risk"`       // risk score at or above the high-risk threshold
	OpenFindings   int `json:"open_findings"`
	Suppressed     int `json:"suppressed"`
	// Open findings by severity, by rule id and by OWASP NHI id.
	BySeverity map[string]int `json:"by_severity"`
	ByRule     map[string]int `json:"by_rule"`
	ByOWASP    map[string]int `json:"by_owasp"`
}

// PostureFilter selects posture snapshots, newest first.
type PostureFilter struct {
	Since *time.Time
	Until *time.Time
	Limit int
}

// Validate checks the time range and normalises the limit.
func (f *PostureFilter) Validate() error {
	if f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		return FieldErrorf("until", "until is before since")
	}
	return normaliseLimit(&f.Limit)
}

// PostureService stores the posture time series.
type PostureService interface {
	// RecordPosture stores a snapshot, setting its ID; audited.
	RecordPosture(ctx context.Context, p *PostureSnapshot) error
	// FindPosture returns snapshots newest first.
	FindPosture(ctx context.Context, filter PostureFilter) ([]*PostureSnapshot, error)
}

// Report lists the findings of an audit grouped by OWASP NHI id and by NIST
// reference, with the posture they add up to.
type Report struct {
	GeneratedAt time.Time        `json:"generated_at"`
	Posture     *PostureSnapshot `json:"posture"`
	Rules       []GovernanceRule `json:"rules"`
	ByOWASP     []ReportGroup    `json:"by_owasp"`
	ByNIST      []ReportGroup    `json:"by_nist"`
	// Programme is the programme metrics of the last 12 months, when the
	// server computes them.
	Programme *ProgrammeMetrics `json:"programme,omitempty"`
}

// ReportGroup is the findings mapped to one reference.
type ReportGroup struct {
	Ref      string          `json:"ref"`   // "NHI7", "CSF PR.AA-05", "SP 800-207 tenet 3"
	Title    string          `json:"title"` // what the reference stands for
	Findings []ReportFinding `json:"findings"`
}

// ReportFinding is a finding as the report shows it, with the identity
// named so the report stands on its own.
type ReportFinding struct {
	FindingID  string        `json:"finding_id"`
	RuleID     string        `json:"rule_id"`
	Severity   Severity      `json:"severity"`
	Status     FindingStatus `json:"status"`
	Title      string        `json:"title"`
	Detail     string        `json:"detail"`
	IdentityID string        `json:"identity_id"`
	Identity   string        `json:"identity"` // external id
	Owner      string        `json:"owner"`
}
