package k8s

import (
	"context"
	"fmt"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

var _ warden.Importer = (*AuditImporter)(nil)

// AuditImporter streams a Kubernetes audit log into events of service
// accounts, one transaction per batch; service accounts not in the
// inventory are created not onboarded. A malformed event stops the
// import: batches before it are stored, nothing of its own batch is.
type AuditImporter struct {
	Store         warden.ActivityRecorder
	BatchSize     int // 0 means discover.DefaultBatchSize
	MaxInputBytes int64
	// Progress, when set, is called after each stored batch.
	Progress func(*warden.ImportReport)
}

// Import implements warden.Importer.
func (im *AuditImporter) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	report := discover.NewReport(AuditSource, ref)
	in, err := discover.Open(r, ref, im.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	p, err := NewAuditParser(in, ref)
	if err != nil {
		return nil, err
	}
	sink := discover.NewActivitySink(im.Store, report, im.BatchSize)
	sink.Progress = im.Progress
	for {
		ok, err := p.Next()
		if err != nil {
			return nil, auditStoppedAt(err, sink, report)
		}
		if !ok {
			break
		}
		e := new(warden.Event)
		principal, keep, err := p.Event(e)
		if err != nil {
			return nil, auditStoppedAt(err, sink, report)
		}
		if !keep {
			continue
		}
		if err := sink.Add(ctx, e, principal); err != nil {
			_ = sink.Wait()
			return nil, err
		}
	}
	if err := sink.Close(ctx); err != nil {
		return nil, err
	}
	report.Records, report.Skipped = p.Records(), p.Skipped()
	return report, nil
}

// auditStoppedAt waits for the batch in flight and adds to a parse error
// how much was stored before it.
func auditStoppedAt(err error, sink *discover.ActivitySink, report *warden.ImportReport) error {
	if werr := sink.Wait(); werr != nil {
		return werr
	}
	stored := report.Events.Created + report.Events.Unchanged
	if stored == 0 {
		return err
	}
	if werr, ok := err.(*warden.Error); ok {
		return &warden.Error{Code: werr.Code, Field: werr.Field, Message: fmt.Sprintf("%s (the %d events before its batch were stored)", werr.Message, stored)}
	}
	return err
}
