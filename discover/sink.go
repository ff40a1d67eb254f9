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
// full batch. A full batch is stored in the background while the caller
// goes on parsing the next one (at most one batch is in flight), so
// parsing and writing overlap. A batch that is never flushed (because the
// input turned out to be malformed) writes nothing. Call Close at the end,
// and Wait before reading the report after an error.
type ActivitySink struct {
	rec    warden.ActivityRecorder
	report *warden.ImportReport
	size   int
	// Progress, when set, is called after each stored batch, from the
	// goroutine that stored it.
	Progress func(*warden.ImportReport)
	// Provenance, when set, stores the provenance records of each batch
	// right after the batch itself, so that the identities the batch
	// created are in the inventory and the records resolve to them.
	// Without it provenance records are dropped.
	Provenance warden.ProvenanceStore

	events      []*warden.Event
	principals  map[warden.IdentityRef]*warden.Identity
	order       []*warden.Identity
	credentials map[[2]string]bool
	creds       []*warden.ImportedCredential
	provenance  []*warden.Provenance
	inflight    chan error
}

// NewActivitySink returns a sink that adds its counts to report.
func NewActivitySink(rec warden.ActivityRecorder, report *warden.ImportReport, size int) *ActivitySink {
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &ActivitySink{rec: rec, report: report, size: size, principals: map[warden.IdentityRef]*warden.Identity{}, credentials: map[[2]string]bool{}}
}

// AddCredential queues a credential seen in use, stored with the next
// batch (see warden.ActivityBatch.Credentials). Call it before Add of the
// event that used it, so that both land in the same batch. Its identity
// should be the principal of that event or already in the inventory.
func (s *ActivitySink) AddCredential(c *warden.ImportedCredential) {
	key := [2]string{string(c.Credential.Type), c.Credential.PublicID}
	if !s.credentials[key] {
		s.credentials[key] = true
		s.creds = append(s.creds, c)
	}
}

// AddIdentity queues an identity the log showed being created, upserted
// with the next batch like the actors of events.
func (s *ActivitySink) AddIdentity(id *warden.Identity) {
	ref := warden.IdentityRef{Provider: id.Provider, ExternalID: id.ExternalID}
	if _, ok := s.principals[ref]; !ok {
		s.principals[ref] = id
		s.order = append(s.order, id)
	}
}

// AddProvenance queues a provenance record, stored after the next batch
// when the sink has a Provenance store.
func (s *ActivitySink) AddProvenance(p *warden.Provenance) {
	if s.Provenance != nil {
		s.provenance = append(s.provenance, p)
	}
}

// Add queues an event and, when not nil, the identity of its actor; a full
// batch is handed to the background writer before Add returns.
func (s *ActivitySink) Add(ctx context.Context, e *warden.Event, principal *warden.Identity) error {
	s.events = append(s.events, e)
	if principal != nil {
		s.AddIdentity(principal)
	}
	if len(s.events) >= s.size {
		return s.Flush(ctx)
	}
	return nil
}

// Flush starts storing the queued events, after the batch in flight (if
// any) is stored.
func (s *ActivitySink) Flush(ctx context.Context) error {
	if err := s.Wait(); err != nil {
		return err
	}
	if len(s.events) == 0 && len(s.order) == 0 && len(s.creds) == 0 && len(s.provenance) == 0 {
		return nil
	}
	batch := warden.ActivityBatch{Events: s.events, Principals: s.order, Credentials: s.creds}
	provenance := s.provenance
	s.events, s.order, s.creds, s.provenance = make([]*warden.Event, 0, s.size), nil, nil, nil
	clear(s.principals)
	clear(s.credentials)
	done := make(chan error, 1)
	s.inflight = done
	go func() {
		res, err := s.rec.RecordActivity(ctx, batch)
		if err != nil {
			done <- fmt.Errorf("%s: store events: %w", s.report.Ref, err)
			return
		}
		AddActivity(s.report, res)
		if len(provenance) > 0 {
			if err := s.Provenance.RecordProvenance(ctx, provenance); err != nil {
				done <- fmt.Errorf("%s: store provenance: %w", s.report.Ref, err)
				return
			}
		}
		if s.Progress != nil {
			s.Progress(s.report)
		}
		done <- nil
	}()
	return nil
}

// Wait waits for the batch in flight and returns its error.
func (s *ActivitySink) Wait() error {
	if s.inflight == nil {
		return nil
	}
	err := <-s.inflight
	s.inflight = nil
	return err
}

// Close stores what is queued and waits until everything is stored.
func (s *ActivitySink) Close(ctx context.Context) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	return s.Wait()
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
