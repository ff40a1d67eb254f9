package discover

import (
	"context"
	"fmt"

	"github.com/warden-nhi/warden"
)

// DefaultBatchSize is how many events an ActivitySink stores per
// transaction.
const DefaultBatchSize = 2000

// ActivitySink collects parsed events and the identities of their actors
// and stores them through a warden.ActivityRecorder, one transaction per
// full batch. A batch that is never flushed (because the input turned out
// to be malformed) writes nothing.
type ActivitySink struct {
	rec    warden.ActivityRecorder
	report *warden.ImportReport
	size   int
	// Progress, when set, is called after each stored batch.
	Progress func(*warden.ImportReport)

	events     []*warden.Event
	principals map[warden.IdentityRef]*warden.Identity
}

// NewActivitySink returns a sink that adds its counts to report.
func NewActivitySink(rec warden.ActivityRecorder, report *warden.ImportReport, size int) *ActivitySink {
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &ActivitySink{rec: rec, report: report, size: size, principals: map[warden.IdentityRef]*warden.Identity{}}
}

// Add queues an event and, when not nil, the identity of its actor; a full
// batch is stored before Add returns.
func (s *ActivitySink) Add(ctx context.Context, e *warden.Event, principal *warden.Identity) error {
	s.events = append(s.events, e)
	if principal != nil {
		ref := warden.IdentityRef{Provider: principal.Provider, ExternalID: principal.ExternalID}
		if _, ok := s.principals[ref]; !ok {
			s.principals[ref] = principal
		}
	}
	if len(s.events) >= s.size {
		return s.Flush(ctx)
	}
	return nil
}

// Flush stores the queued events.
func (s *ActivitySink) Flush(ctx context.Context) error {
	if len(s.events) == 0 && len(s.principals) == 0 {
		return nil
	}
	batch := warden.ActivityBatch{Events: s.events, Principals: make([]*warden.Identity, 0, len(s.principals))}
	for _, p := range s.principals {
		batch.Principals = append(batch.Principals, p)
	}
	res, err := s.rec.RecordActivity(ctx, batch)
	if err != nil {
		return fmt.Errorf("%s: store events: %w", s.report.Ref, err)
	}
	AddActivity(s.report, res)
	s.events = s.events[:0:0]
	clear(s.principals)
	if s.Progress != nil {
		s.Progress(s.report)
	}
	return nil
}

// AddActivity adds an activity batch's counts to report.
func AddActivity(report *warden.ImportReport, res warden.ActivityResult) {
	add(&report.Events, res.Events)
	add(&report.Identities, res.Identities)
	add(&report.Credentials, res.Credentials)
}

// AddInventory adds an inventory batch's counts to report.
func AddInventory(report *warden.ImportReport, res warden.InventoryResult) {
	add(&report.Identities, res.Identities)
	add(&report.Credentials, res.Credentials)
	add(&report.Grants, res.Grants)
}

func add(dst *warden.ImportResult, r warden.ImportResult) {
	dst.Created += r.Created
	dst.Updated += r.Updated
	dst.Unchanged += r.Unchanged
}

// NewReport returns an empty report for source and ref.
func NewReport(source, ref string) *warden.ImportReport {
	return &warden.ImportReport{Source: source, Ref: ref, Warnings: []string{}}
}

// MaxWarnings bounds the warnings a report carries.
const MaxWarnings = 100

// Warn adds a warning to report, up to MaxWarnings.
func Warn(report *warden.ImportReport, format string, args ...any) {
	if len(report.Warnings) < MaxWarnings {
		report.Warnings = append(report.Warnings, fmt.Sprintf(format, args...))
	}
}
