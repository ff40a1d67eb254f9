package warden

import (
	"context"
	"time"
)

// Provenance records who created an identity or one of its credentials,
// as an activity log told it (a CloudTrail CreateUser or CreateAccessKey
// event, a Kubernetes audit event). Owner suggestions name creators with
// the event as evidence; offboarding lists the credentials a departed
// person created, for rotation.
type Provenance struct {
	ID       string   `json:"id"`
	Provider Provider `json:"provider"`
	// IdentityExternalID is the created identity, or the identity whose
	// credential was created; IdentityID is its warden id when the
	// inventory has it ("" until then).
	IdentityExternalID string `json:"identity_external_id"`
	IdentityID         string `json:"identity_id"`
	// CredentialExternalID is the created credential (an access key id);
	// "" when the event created the identity itself.
	CredentialExternalID string `json:"credential_external_id"`
	// Creator is the person, as the organisation names them
	// ("alice@example.com", or the IAM user name); CreatorRef is the
	// principal in the log (an ARN).
	Creator    string    `json:"creator"`
	CreatorRef string    `json:"creator_ref"`
	Event      string    `json:"event"`    // CreateUser, CreateAccessKey, ...
	EventID    string    `json:"event_id"` // the log's id of the event
	Source     string    `json:"source"`   // cloudtrail, k8s-audit, ...
	Time       time.Time `json:"time"`
}

// ProvenanceFilter selects provenance records; at least one field is set.
type ProvenanceFilter struct {
	IdentityID string
	// Creator matches Creator or CreatorRef exactly, case-insensitively.
	Creator string
	Limit   int
}

// ProvenanceStore keeps provenance records. Recording is idempotent: the
// same source, event id and identity are stored once.
type ProvenanceStore interface {
	// RecordProvenance stores records, resolving IdentityID from the
	// inventory (provider and external id) where it is empty.
	RecordProvenance(ctx context.Context, records []*Provenance) error
	// FindProvenance returns records matching the filter, oldest first.
	FindProvenance(ctx context.Context, f ProvenanceFilter) ([]*Provenance, error)
}
