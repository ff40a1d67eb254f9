package warden

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Severity ranks how bad a finding is.
type Severity string

// Severities, least to most severe.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, least severe first.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool { return contains(Severities, s) }

// Rank orders severities: info 0 ... critical 4; -1 for an invalid one.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// FindingStatus is the state of a finding.
type FindingStatus string

// Finding statuses.
const (
	// FindingOpen: the condition holds and nobody has accepted it.
	FindingOpen FindingStatus = "open"
	// FindingResolved: the condition no longer held at the last evaluation
	// (or the raising component resolved it). It reopens if it comes back.
	FindingResolved FindingStatus = "resolved"
	// FindingSuppressed: someone accepted the risk with a reason until a
	// date; it counts as open again once the suppression expires.
	FindingSuppressed FindingStatus = "suppressed"
)

// FindingStatuses lists every finding status.
var FindingStatuses = []FindingStatus{FindingOpen, FindingResolved, FindingSuppressed}

// Valid reports whether s is one of FindingStatuses.
func (s FindingStatus) Valid() bool { return contains(FindingStatuses, s) }

// Suppression records who accepted a finding's risk, why, and until when.
type Suppression struct {
	Reason string    `json:"reason"`
	Until  time.Time `json:"until"`
	By     string    `json:"by"` // the actor, as in audit records
	At     time.Time `json:"at"`
}

// Finding is one governance problem of one identity: the result of a rule,
// raised by the governance evaluator or by another component (the secret
// scanner raises NHI2 "secret leaked" findings). A finding is unique per
// (IdentityID, RuleID, Subject): raising it again refreshes it instead of
// adding a copy.
type Finding struct {
	ID         string `json:"id"`
	IdentityID string `json:"identity_id"`
	RuleID     string `json:"rule_id"`
	// Subject narrows the finding to one part of the identity, such as a
	// credential id or a grant's policy; "" for the identity as a whole.
	Subject  string   `json:"subject"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail"`
	// Evidence is the JSON object of facts that made the rule fire (ages,
	// actions, principals, counts), for people and scripts to check.
	Evidence    json.RawMessage `json:"evidence"`
	OWASP       []string        `json:"owasp"` // OWASP NHI Top 10 (2025) ids, e.g. "NHI7"
	NIST        []string        `json:"nist"`  // NIST SP 800-207 and CSF 2.0 references
	Remediation string          `json:"remediation"`
	// Source is the component that raises the finding: "govern" for the
	// evaluator's rules, "scan" for the secret scanner, ...
	Source      string        `json:"source"`
	Status      FindingStatus `json:"status"`
	FirstSeenAt time.Time     `json:"first_seen_at"`
	LastSeenAt  time.Time     `json:"last_seen_at"`
	ResolvedAt  *time.Time    `json:"resolved_at"`
	Suppression *Suppression  `json:"suppression"`
}

// Limits on finding fields.
const (
	MaxEvidenceBytes = 16 << 10
	MaxRefs          = 16
)

// Validate checks a finding being raised: the identity, a rule id slug, a
// valid severity, a title, evidence that is a JSON object, OWASP ids
// NHI1-NHI10.
func (f *Finding) Validate() error {
	if f.IdentityID == "" {
		return FieldErrorf("identity_id", "identity_id is required")
	}
	if !validRuleID(f.RuleID) {
		return FieldErrorf("rule_id", "rule_id %q must be 1-64 lower-case letters, digits or '-'", f.RuleID)
	}
	if err := checkText("subject", f.Subject, MaxNameLen, false); err != nil {
		return err
	}
	if !f.Severity.Valid() {
		return FieldErrorf("severity", "severity %q is not one of %s", f.Severity, joinValues(Severities))
	}
	if err := checkText("title", f.Title, MaxNameLen, true); err != nil {
		return err
	}
	if err := checkText("detail", f.Detail, 4*MaxTextLen, false); err != nil {
		return err
	}
	if err := checkText("remediation", f.Remediation, 4*MaxTextLen, false); err != nil {
		return err
	}
	if err := checkText("source", f.Source, 32, true); err != nil {
		return err
	}
	if len(f.Evidence) > MaxEvidenceBytes {
		return FieldErrorf("evidence", "evidence is larger than %d bytes", MaxEvidenceBytes)
	}
	if len(f.Evidence) == 0 {
		f.Evidence = json.RawMessage("{}")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(f.Evidence, &obj); err != nil || obj == nil {
		return FieldErrorf("evidence", "evidence must be a JSON object")
	}
	if len(f.OWASP) > MaxRefs || len(f.NIST) > MaxRefs {
		return FieldErrorf("owasp", "at most %d OWASP and %d NIST references are allowed", MaxRefs, MaxRefs)
	}
	for _, id := range f.OWASP {
		if !ValidOWASPID(id) {
			return FieldErrorf("owasp", "OWASP id %q is not one of NHI1-NHI10", id)
		}
	}
	for _, ref := range f.NIST {
		if err := checkText("nist", ref, 64, true); err != nil {
			return err
		}
	}
	if f.OWASP == nil {
		f.OWASP = []string{}
	}
	if f.NIST == nil {
		f.NIST = []string{}
	}
	return nil
}

// OWASPNHITop10 names the OWASP Non-Human Identities Top 10 (2025) risks by id.
var OWASPNHITop10 = map[string]string{
	"NHI1":  "Improper Offboarding",
	"NHI2":  "Secret Leakage",
	"NHI3":  "Vulnerable Third-Party NHI",
	"NHI4":  "Insecure Authentication",
	"NHI5":  "Overprivileged NHI",
	"NHI6":  "Insecure Cloud Deployment Configurations",
	"NHI7":  "Long-Lived Secrets",
	"NHI8":  "Environment Isolation",
	"NHI9":  "NHI Reuse",
	"NHI10": "Human Use of NHI",
}

// ValidOWASPID reports whether id is one of NHI1 ... NHI10.
func ValidOWASPID(id string) bool { _, ok := OWASPNHITop10[id]; return ok }

func validRuleID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// FindingFilter selects findings, newest first seen first. Zero fields
// match everything.
type FindingFilter struct {
	IdentityID string
	RuleID     string
	Severity   Severity // exactly this severity
	OWASP      string   // findings mapped to this OWASP id
	Status     FindingStatus
	Source     string
	Cursor     string
	Limit      int
}

// Validate checks the filter and normalises its page size.
func (f *FindingFilter) Validate() error {
	if f.RuleID != "" && !validRuleID(f.RuleID) {
		return FieldErrorf("rule", "rule %q is not a valid rule id", f.RuleID)
	}
	if f.Severity != "" && !f.Severity.Valid() {
		return FieldErrorf("severity", "severity %q is not one of %s", f.Severity, joinValues(Severities))
	}
	if f.OWASP != "" {
		f.OWASP = strings.ToUpper(f.OWASP)
		if !ValidOWASPID(f.OWASP) {
			return FieldErrorf("owasp", "owasp %q is not one of NHI1-NHI10", f.OWASP)
		}
	}
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(FindingStatuses))
	}
	return normaliseLimit(&f.Limit)
}

// MaxSuppression is the longest a finding may be suppressed for at once.
const MaxSuppression = 366 * 24 * time.Hour

// FindingSyncResult counts what one synchronisation of findings changed.
type FindingSyncResult struct {
	Opened    int `json:"opened"`    // new findings
	Reopened  int `json:"reopened"`  // resolved findings whose condition came back
	Refreshed int `json:"refreshed"` // still-present findings (last seen moved)
	Resolved  int `json:"resolved"`  // findings whose condition cleared
	Expired   int `json:"expired"`   // suppressions that ran out and were reopened
}

// FindingService stores findings. Every change of a finding's state is
// audited in the same transaction.
type FindingService interface {
	// FindFindingByID returns ENOTFOUND for an unknown id.
	FindFindingByID(ctx context.Context, id string) (*Finding, error)

	// FindFindings returns a page of findings and the next cursor.
	// EINVALID for a bad filter or cursor.
	FindFindings(ctx context.Context, filter FindingFilter) ([]*Finding, string, error)

	// RaiseFinding is how any component reports a finding it detected
	// outside the evaluator's rules (the secret scanner's "secret-leaked",
	// NHI2): it validates f and upserts it keyed by (IdentityID, RuleID,
	// Subject). A new finding is stored open; an existing one has its
	// severity, texts, evidence and references replaced and its last-seen
	// time moved; a resolved one reopens; a suppressed one stays
	// suppressed until its suppression expires. The governance evaluator
	// never resolves findings of another Source: call ResolveFinding when
	// the condition clears (the leaked key was revoked). ENOTFOUND if the
	// identity does not exist. f is updated with the stored state.
	RaiseFinding(ctx context.Context, f *Finding) error

	// ResolveFinding marks a finding resolved (the raising component saw
	// its condition clear). Resolving a resolved finding is a no-op.
	ResolveFinding(ctx context.Context, id string) (*Finding, error)

	// SuppressFinding accepts a finding's risk with a reason until a time
	// in the future, at most MaxSuppression away. EINVALID for a missing
	// reason or a bad time; ECONFLICT for a resolved finding.
	SuppressFinding(ctx context.Context, id, reason string, until time.Time) (*Finding, error)

	// UnsuppressFinding ends a suppression early; the finding is open again.
	// ECONFLICT unless the finding is suppressed.
	UnsuppressFinding(ctx context.Context, id string) (*Finding, error)
}

// FindingSyncer is the evaluator's side of the finding store: it replaces
// the findings of a set of rules for a set of identities with what the
// rules found now, in one transaction, and sets the identities' risk
// scores from the resulting open findings.
type FindingSyncer interface {
	// SyncFindings upserts found (every finding must be of one of rules and
	// one of identityIDs, with Source set), resolves the open or suppressed
	// findings of rules on identityIDs that are not in found, reopens
	// suppressions that have expired, and returns the counts together with
	// every open finding (of any rule and source) of identityIDs after the
	// change, keyed by identity id.
	SyncFindings(ctx context.Context, rules, identityIDs []string, found []*Finding) (FindingSyncResult, map[string][]*Finding, error)

	// SetRiskScores stores the risk score of each identity in scores whose
	// score changed, with one audit record listing the changes.
	SetRiskScores(ctx context.Context, scores map[string]int) (int, error)
}

// GovernanceRule describes one governance rule: what it checks, how bad it
// is, how to fix it, and the OWASP NHI Top 10 (2025) and NIST SP 800-207 /
// CSF 2.0 references it maps to.
type GovernanceRule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    Severity `json:"severity"`
	Remediation string   `json:"remediation"`
	OWASP       []string `json:"owasp"`
	NIST        []string `json:"nist"`
	// Source is "govern" for rules the evaluator runs, or the component
	// that raises the rule's findings (e.g. "scan").
	Source  string `json:"source"`
	Enabled bool   `json:"enabled"`
	// Params are the rule's thresholds (e.g. max_age_days), as configured.
	Params map[string]float64 `json:"params"`
}

// EvaluationResult is what one governance evaluation did.
type EvaluationResult struct {
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Identities int               `json:"identities"` // identities evaluated
	Findings   FindingSyncResult `json:"findings"`
	// RiskChanged counts identities whose risk score changed.
	RiskChanged int              `json:"risk_changed"`
	Posture     *PostureSnapshot `json:"posture"`
}

// GovernanceService runs governance: it evaluates the rules over the whole
// inventory and describes the rules it runs.
type GovernanceService interface {
	// Evaluate runs every enabled rule over every identity, stores the
	// findings, risk scores and a posture snapshot, and reports the counts.
	Evaluate(ctx context.Context) (*EvaluationResult, error)

	// Rules lists the rule catalog, evaluator rules and external ones.
	Rules() []GovernanceRule

	// Report lists the open and suppressed findings grouped by OWASP NHI id
	// and by NIST reference, with the latest posture.
	Report(ctx context.Context) (*Report, error)
}
