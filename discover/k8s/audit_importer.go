package k8s

import (
	"context"
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
	err = discover.ImportActivity(ctx, im.Store, report, im.BatchSize, im.Progress, func(e *warden.Event) (discover.Activity, bool, error) {
		if ok, err := p.Next(); err != nil || !ok {
			return discover.Activity{}, ok, err
		}
		principal, keep, err := p.Event(e)
		return discover.Activity{Keep: keep, Principal: principal}, true, err
	})
	if err != nil {
		return nil, err
	}
	report.Records, report.Skipped = p.Records(), p.Skipped()
	return report, nil
}
