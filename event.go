package warden

import (
	"context"
	"time"
)

// Outcome is the result of an activity event.
type Outcome string

// Event outcomes.
const (
	OutcomeAllow Outcome = "allow" // the action succeeded
	OutcomeDeny  Outcome = "deny"  // access was denied (AccessDenied, 403, Forbidden)
	OutcomeError Outcome = "error" // it failed for another reason
)

// Event is one normalised activity record: something an identity did, as
// seen in CloudTrail, a Kubernetes or GitHub audit log, or warden's own
// issuance and decision logs. It is the common input of governance rules
// (last use, human use, environment mixing) and of behavioural monitoring.
type Event struct {
	ID     string    `json:"id"`     // warden's id for the event
	Time   time.Time `json:"time"`   // when it happened, UTC
	Source string    `json:"source"` // cloudtrail, k8s-audit, github-audit, warden-issuer, warden-pdp
	// RawID is the record's own id at its source (CloudTrail eventID,
	// Kubernetes auditID, GitHub _document_id); with Source it makes
	// re-ingestion idempotent.
	RawID     string `json:"raw_id"`
	SourceRef string `json:"source_ref"` // file, bucket key or stream it came from

	IdentityID string   `json:"identity_id"` // resolved warden identity, "" if unresolved
	Provider   Provider `json:"provider"`
	// Principal is the external id of the actor as the source names it
	// (role ARN for an assumed-role session, system:serviceaccount:ns:name).
	Principal string `json:"principal"`
	// CredentialID is the public id of the credential used (an access key
	// id, a token id), "" if unknown.
	CredentialID string `json:"credential_id"`
	// Session names the concrete session or workload instance (the
	// role-session name, an EC2 instance id, a pod name).
	Session string `json:"session"`

	Action    string  `json:"action"`   // "s3:GetObject", "get secrets", "repo.create"
	Resource  string  `json:"resource"` // ARN, /namespaces/x/secrets/y, org/repo
	SourceIP  string  `json:"source_ip"`
	UserAgent string  `json:"user_agent"`
	Region    string  `json:"region"`
	Outcome   Outcome `json:"outcome"`
	ErrorCode string  `json:"error_code"`
	// Interactive is true for console or interactive (human) use, such as
	// a ConsoleLogin or a kubectl exec by the identity.
	Interactive bool `json:"interactive"`
}

// EventFilter selects events, oldest first.
type EventFilter struct {
	IdentityID string
	Source     string
	Since      *time.Time
	Until      *time.Time
	// Newest lists the latest events first; the default is oldest first.
	Newest bool
	Cursor string
	Limit  int
}

// EventService stores activity events.
type EventService interface {
	// RecordEvents stores events in one transaction, skipping any whose
	// (Source, RawID) is already stored, and returns how many were new.
	RecordEvents(ctx context.Context, events []*Event) (int, error)
	// FindEvents returns a page of events and the next cursor.
	FindEvents(ctx context.Context, filter EventFilter) ([]*Event, string, error)
}
