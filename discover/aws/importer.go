package aws

import (
	"context"
	"fmt"
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
	report := discover.NewReport(SourceIAM, ref)
	in, err := discover.Open(r, ref, im.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	batch, warnings, err := ParseGAAD(in, ref)
	if err != nil {
		return nil, err
	}
	report.Records = len(batch.Identities)
	for _, w := range warnings {
		discover.Warn(report, "%s", w)
	}
	res, err := im.Store.ImportInventory(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	discover.AddInventory(report, res)
	return report, nil
}

// CredentialReportImporter imports the IAM credential report: users,
// access keys and console passwords, in one transaction.
type CredentialReportImporter struct {
	Store         warden.InventoryImporter
	MaxInputBytes int64
}

// Import implements warden.Importer.
func (im *CredentialReportImporter) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	report := discover.NewReport(SourceCredentialReport, ref)
	in, err := discover.Open(r, ref, im.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	batch, warnings, err := ParseCredentialReport(in, ref)
	if err != nil {
		return nil, err
	}
	report.Records = len(batch.Identities)
	for _, w := range warnings {
		discover.Warn(report, "%s", w)
	}
	res, err := im.Store.ImportInventory(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	discover.AddInventory(report, res)
	return report, nil
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
	sink.Progress = im.Progress
	for {
		ok, err := p.Next()
		if err != nil {
			return nil, stoppedAt(err, sink, report)
		}
		if !ok {
			break
		}
		e := new(warden.Event)
		actor, err := p.Event(e)
		if err != nil {
			return nil, stoppedAt(err, sink, report)
		}
		if actor.AccessKey != nil {
			sink.AddCredential(actor.AccessKey)
		}
		if err := sink.Add(ctx, e, actor.Identity); err != nil {
			_ = sink.Wait()
			return nil, err
		}
	}
	if err := sink.Close(ctx); err != nil {
		return nil, err
	}
	report.Records = p.Records()
	return report, nil
}

// stoppedAt waits for the batch in flight and adds to a parse error how
// much was stored before it.
func stoppedAt(err error, sink *discover.ActivitySink, report *warden.ImportReport) error {
	if werr := sink.Wait(); werr != nil {
		return werr
	}
	if report.Events.Created+report.Events.Unchanged == 0 {
		return err
	}
	if werr, ok := err.(*warden.Error); ok {
		return &warden.Error{Code: werr.Code, Field: werr.Field, Message: fmt.Sprintf("%s (the %d events before its batch were stored)", werr.Message, report.Events.Created+report.Events.Unchanged)}
	}
	return err
}
