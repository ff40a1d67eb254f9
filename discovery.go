package warden

import (
	"context"
	"io"
	"time"
)

// IdentityRef names an identity by provider and external id, the way an
// importer knows it before warden has given it an id.
type IdentityRef struct {
	Provider   Provider `json:"provider"`
	ExternalID string   `json:"external_id"`
}

// IdentityGrants is the complete set of grants one source gives one
// identity. An empty Grants list removes the identity's grants from that
// source.
type IdentityGrants struct {
	Identity IdentityRef
	Grants   []*Grant
}

// ImportedCredential is a credential found by an importer, attached to its
// identity by reference. Credentials are keyed by type and public id.
type ImportedCredential struct {
	Identity   IdentityRef
	Credential Credential
}

// InventoryBatch is what one import contributes to the inventory, stored in
// one transaction: identities (upserted like ImportIdentities), the grants
// of identities from Source (replaced), and credentials (upserted).
// Grants and credentials may refer to identities of the batch or to
// identities already in the inventory.
type InventoryBatch struct {
	Source      string
	Identities  []*Identity
	Grants      []IdentityGrants
	Credentials []*ImportedCredential
}

// InventoryResult counts what an inventory import did. Grants are counted
// per identity: a grant set is created, updated (replaced) or unchanged.
type InventoryResult struct {
	Identities  ImportResult `json:"identities"`
	Credentials ImportResult `json:"credentials"`
	Grants      ImportResult `json:"grants"`
}

// InventoryImporter stores inventory batches. Re-importing the same batch
// changes nothing and reports everything unchanged. Credential merge rules:
// status, expiry and rotation time follow the source, last use keeps the
// latest time, a description or fingerprint set in warden is kept.
// EINVALID names the first bad object; nothing of a failed batch is written.
type InventoryImporter interface {
	ImportInventory(ctx context.Context, batch InventoryBatch) (InventoryResult, error)
}

// ActivityBatch is a batch of events from one log, with the identities of
// their actors as the log describes them.
type ActivityBatch struct {
	Events []*Event
	// Principals are the actors of Events. Those not yet in the inventory
	// are created unmanaged ("not onboarded"); existing ones are left as
	// they are apart from first-seen and last-used.
	Principals []*Identity
	// Credentials seen in use (an AWS access key id in CloudTrail, a
	// token in a GitHub audit log), attached to a principal of the batch
	// or an identity in the inventory. Those not recorded yet (by type and
	// public id, or by fingerprint) are created; recorded ones are left as
	// they are apart from last-used, which follows the events.
	Credentials []*ImportedCredential
	// LastUseGranularity lets last-used times lag by up to this much: an
	// identity or credential whose last use is already that recent is not
	// rewritten. A busy source (the decision log) sets it so that a
	// thousand uses a second do not become a thousand row updates; zero
	// records every use exactly.
	LastUseGranularity time.Duration
}

// ActivityResult counts what recording an activity batch did: events new
// (Created) or already stored (Unchanged); identities created as not
// onboarded (Created) or whose first-seen or last-used time moved
// (Updated); credentials first seen in the batch (Created) or whose
// last-used time moved (Updated).
type ActivityResult struct {
	Events      ImportResult `json:"events"`
	Identities  ImportResult `json:"identities"`
	Credentials ImportResult `json:"credentials"`
}

// ActivityRecorder stores activity in one transaction per batch: events
// (skipping those already stored, by source and raw id), each event's
// identity resolved from its provider and principal, not-onboarded
// identities for unknown principals, and the latest use of identities and
// credentials (by public id), aggregated per batch.
type ActivityRecorder interface {
	RecordActivity(ctx context.Context, batch ActivityBatch) (ActivityResult, error)
}

// EventPruner deletes old events to enforce a retention period.
type EventPruner interface {
	// PruneEvents deletes events that happened before the time and returns
	// how many were deleted.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}

// ImportReport is what one import of a file or stream did.
type ImportReport struct {
	Source  string `json:"source"`  // importer: aws-iam, cloudtrail, k8s, ...
	Ref     string `json:"ref"`     // the file or stream name
	Records int    `json:"records"` // records read from the input
	// Skipped counts records that were read but not imported (for example
	// intermediate stages of a Kubernetes audit event).
	Skipped     int          `json:"skipped"`
	Identities  ImportResult `json:"identities"`
	Credentials ImportResult `json:"credentials"`
	Grants      ImportResult `json:"grants"`
	Events      ImportResult `json:"events"`
	// Warnings describe input that was understood but could not be used
	// fully, such as a binding to a role that does not exist.
	Warnings []string `json:"warnings"`
}

// Importer reads one export or log of an outside system from r and stores
// what it holds. ref names the input (a file name) in errors and in the
// events' SourceRef. Malformed input is EINVALID naming ref and the record.
type Importer interface {
	Import(ctx context.Context, r io.Reader, ref string) (*ImportReport, error)
}
