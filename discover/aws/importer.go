package aws

import (
	"context"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

var (
	_ warden.Importer = (*IAMImporter)(nil)
	_ warden.Importer = (*CredentialReportImporter)(nil)
	_ warden.Importer = (*CloudTrailImporter)(nil)
)

// IAMImporter imports GAAD output: users and roles with their grants, in
// one transaction.
type IAMImporter struct {
	Store         warden.InventoryImporter
	MaxInputBytes int64 // 0 means discover.DefaultMaxInputBytes
}

// Import implements warden.Importer.
func (im *IAMImporter) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	return discover.ImportInventory(ctx, im.Store, SourceIAM, r, ref, im.MaxInputBytes, ParseGAAD, nil)
}

// CredentialReportImporter imports the IAM credential report: users,
// access keys and console passwords, in one transaction.
type CredentialReportImporter struct {
	Store         warden.InventoryImporter
	MaxInputBytes int64
}

// Import implements warden.Importer.
func (im *CredentialReportImporter) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	return discover.ImportInventory(ctx, im.Store, SourceCredentialReport, r, ref, im.MaxInputBytes, ParseCredentialReport, nil)
}

// CloudTrailImporter streams CloudTrail records into events, one
// transaction per batch. A malformed record stops the import: batches
// before it are stored, nothing of its own batch is.
type CloudTrailImporter struct {
	Store         warden.ActivityRecorder
	BatchSize     int // 0 means discover.DefaultBatchSize
	MaxInputBytes int64
	// Progress, when set, is called after each stored batch.
	Progress func(*warden.ImportReport)
	// Provenance, when set, records who created identities and access
	// keys (CreateUser, CreateRole, CreateAccessKey events), for owner
	// suggestions and offboarding.
	Provenance warden.ProvenanceStore
}

// Import implements warden.Importer.
func (im *CloudTrailImporter) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	report := discover.NewReport(SourceCloudTrail, ref)
	in, err := discover.Open(r, ref, im.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	p, err := NewCloudTrailParser(in, ref)
	if err != nil {
		return nil, err
	}
	sink := discover.NewActivitySink(im.Store, report, im.BatchSize)
	sink.Progress, sink.Provenance = im.Progress, im.Provenance
	err = discover.ImportActivityTo(ctx, sink, report, func(e *warden.Event) (discover.Activity, bool, error) {
		if ok, err := p.Next(); err != nil || !ok {
			return discover.Activity{}, ok, err
		}
		actor, err := p.Event(e)
		if err != nil {
			return discover.Activity{}, true, err
		}
		a := discover.Activity{Keep: true, Principal: actor.Identity, Credential: actor.AccessKey}
		if c := p.Creation(); c != nil {
			a.Created, a.CreatedCredential, a.Provenance = c.Identity, c.Credential, c.Provenance
		}
		return a, true, nil
	})
	if err != nil {
		return nil, err
	}
	report.Records = p.Records()
	return report, nil
}
