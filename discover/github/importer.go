package github

import (
	"context"
	"fmt"
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
		a, err := p.Event(e)
		if err != nil {
			return nil, stoppedAt(err, sink, report)
		}
		if !a.Keep {
			continue
		}
		if a.Credential != nil {
			sink.AddCredential(a.Credential)
		}
		if err := sink.Add(ctx, e, a.Identity); err != nil {
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

// stoppedAt waits for the batch in flight and adds to a parse error how
// much was stored before it.
func stoppedAt(err error, sink *discover.ActivitySink, report *warden.ImportReport) error {
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
