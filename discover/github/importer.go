package github

import (
	"context"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

var _ warden.Importer = (*Importer)(nil)

// Importer streams an organisation audit log into events, the NHIs they
// involve (created not onboarded when new) and the long-lived credentials
// those used, one transaction per batch. A malformed event stops the
// import: batches before it are stored, nothing of its own batch is.
type Importer struct {
	Store         warden.ActivityRecorder
	BatchSize     int // 0 means discover.DefaultBatchSize
	MaxInputBytes int64
	// Progress, when set, is called after each stored batch.
	Progress func(*warden.ImportReport)
}

// Import implements warden.Importer.
func (im *Importer) Import(ctx context.Context, r io.Reader, ref string) (*warden.ImportReport, error) {
	report := discover.NewReport(Source, ref)
	in, err := discover.Open(r, ref, im.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	p, err := NewParser(in, ref)
	if err != nil {
		return nil, err
	}
	err = discover.ImportActivity(ctx, im.Store, report, im.BatchSize, im.Progress, func(e *warden.Event) (discover.Activity, bool, error) {
		if ok, err := p.Next(); err != nil || !ok {
			return discover.Activity{}, ok, err
		}
		a, err := p.Event(e)
		return discover.Activity{Keep: a.Keep, Principal: a.Identity, Credential: a.Credential}, true, err
	})
	if err != nil {
		return nil, err
	}
	report.Records, report.Skipped = p.Records(), p.Skipped()
	return report, nil
}
