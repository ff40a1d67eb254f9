package warden

import (
	"context"
	"encoding/json"
	"time"
)

// Detection is one suspicious behaviour of an identity that a detector of
// the monitor raised from activity events, with the evidence and what the
// response playbooks did about it.
type Detection struct {
	ID       string   `json:"id"`
	Detector string   `json:"detector"` // e.g. "off-workload-credential"
	Severity Severity `json:"severity"`
	// Time is the event time of the last evidence event.
	Time       time.Time `json:"time"`
	DetectedAt time.Time `json:"detected_at"`
	IdentityID string    `json:"identity_id"` // warden identity, "" when unresolved (offline mode)
	Provider   Provider  `json:"provider"`
	// Identity is the external id of the actor (role ARN,
	// system:serviceaccount:ns:name, GitHub login).
	Identity      string `json:"identity"`
	Technique     string `json:"technique"`      // MITRE ATT&CK technique id, e.g. T1078.004
	TechniqueName string `json:"technique_name"` // its name
	OWASP         string `json:"owasp"`          // OWASP Non-Human Identities Top 10 (2025) id, NHI1-NHI10
	Explanation   string `json:"explanation"`
	// EventIDs are the raw record ids of the evidence (CloudTrail eventID,
	// Kubernetes auditID, GitHub _document_id), oldest first.
	EventIDs []string `json:"event_ids"`
	// Evidence holds the evidence events themselves (at most a few).
	Evidence []*Event `json:"evidence"`
	// Responses are the playbook actions taken (or, in dry-run mode, that
	// would have been taken), e.g. "quarantine", "dry-run:revoke".
	Responses []string `json:"responses"`
}

// Limits on detections.
const (
	MaxDetectionEvidence = 20
	MaxDetectionsBatch   = 1000
)

// Validate checks a detection before it is stored.
func (d *Detection) Validate() error {
	if err := checkText("detector", d.Detector, 64, true); err != nil {
		return err
	}
	if !d.Severity.Valid() {
		return FieldErrorf("severity", "severity %q is not one of %s", d.Severity, joinValues(Severities))
	}
	if d.Time.IsZero() {
		return FieldErrorf("time", "a detection needs the time of its evidence")
	}
	if err := checkText("identity", d.Identity, MaxExternalIDLen, true); err != nil {
		return err
	}
	if err := checkText("explanation", d.Explanation, 4*MaxTextLen, true); err != nil {
		return err
	}
	if len(d.EventIDs) == 0 || len(d.EventIDs) > MaxDetectionEvidence {
		return FieldErrorf("event_ids", "a detection needs 1-%d evidence event ids, got %d", MaxDetectionEvidence, len(d.EventIDs))
	}
	if len(d.Evidence) > MaxDetectionEvidence {
		return FieldErrorf("evidence", "at most %d evidence events, got %d", MaxDetectionEvidence, len(d.Evidence))
	}
	return nil
}

// DetectionFilter selects detections, newest first.
type DetectionFilter struct {
	IdentityID  string
	Detector    string
	MinSeverity Severity // only this severity and above; "" for all
	Since       *time.Time
	Until       *time.Time
	Cursor      string
	Limit       int
}

// Validate checks the filter and normalises its page size.
func (f *DetectionFilter) Validate() error {
	if f.MinSeverity != "" && !f.MinSeverity.Valid() {
		return FieldErrorf("severity", "severity %q is not one of %s", f.MinSeverity, joinValues(Severities))
	}
	if f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		return FieldErrorf("until", "until is before since")
	}
	return normaliseLimit(&f.Limit)
}

// DetectionService stores detections.
type DetectionService interface {
	// RecordDetections stores detections in one transaction with an audit
	// record each, setting their ID and DetectedAt. EINVALID names the
	// first bad detection; nothing of a failed batch is written.
	RecordDetections(ctx context.Context, ds []*Detection) error
	// FindDetections returns a page of detections, newest first, and the
	// next cursor. EINVALID for a bad filter or cursor.
	FindDetections(ctx context.Context, f DetectionFilter) ([]*Detection, string, error)
}

// Baseline is the learned behaviour of one actor, as the monitor keeps it:
// Key names the actor (provider and external id), State is the monitor's
// own encoding of what it learned.
type Baseline struct {
	Key        string          `json:"key"`
	IdentityID string          `json:"identity_id"`
	FirstSeen  time.Time       `json:"first_seen"`
	LastSeen   time.Time       `json:"last_seen"`
	Events     int64           `json:"events"`
	State      json.RawMessage `json:"state"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// BaselineService persists baselines so that they survive restarts.
type BaselineService interface {
	// FindBaselines returns the stored baselines of the keys; missing keys
	// are absent from the result.
	FindBaselines(ctx context.Context, keys []string) (map[string]*Baseline, error)
	// SaveBaselines upserts baselines in one transaction, with one audit
	// record summarising the batch.
	SaveBaselines(ctx context.Context, bs []*Baseline) error
}

// CredentialRevoker revokes what warden issued. The issuer's store
// implements it; the monitor's revoke response uses it to revoke every
// live credential of an identity (Revocation.IdentityID).
type CredentialRevoker interface {
	RevokeIssued(ctx context.Context, r Revocation) (int, error)
}

// IngestResult counts what one batch of live activity did in the monitor.
type IngestResult struct {
	Events     int `json:"events"`     // events accepted
	Duplicates int `json:"duplicates"` // events already seen, skipped
	Detections int `json:"detections"` // detections raised
}

// EventIngester takes live activity (POST /v1/events, a watched
// directory, a NATS subject) into storage and behavioural monitoring.
type EventIngester interface {
	// IngestEvents validates, stores and monitors a batch of events.
	// EINVALID names the first bad event.
	IngestEvents(ctx context.Context, events []*Event) (IngestResult, error)
}

// DeadLetter is an alert that could not be delivered after every retry,
// kept so that an operator can see and replay it.
type DeadLetter struct {
	ID          string          `json:"id"`
	Sink        string          `json:"sink"`   // e.g. "webhook"
	Target      string          `json:"target"` // the URL, without credentials
	DetectionID string          `json:"detection_id"`
	Payload     json.RawMessage `json:"payload"`
	Attempts    int             `json:"attempts"`
	LastError   string          `json:"last_error"`
	CreatedAt   time.Time       `json:"created_at"`
}

// DeadLetterService records undeliverable alerts.
type DeadLetterService interface {
	// RecordDeadLetter stores the dead letter, audited, setting its ID and
	// CreatedAt.
	RecordDeadLetter(ctx context.Context, d *DeadLetter) error
	// FindDeadLetters lists dead letters, newest first.
	FindDeadLetters(ctx context.Context, limit int) ([]*DeadLetter, error)
}
